#include "oracle/glibc/glibc_side.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/personality.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "oracle/glibc/glibc_versions.h"
#include "oracle/glibc/libc_symbols.h"
#include "oracle/glibc/runner_binary.h"
#include "oracle/glibc/runner_protocol.h"
#include "oracle/heap_view.h"

extern char** environ;

namespace heaptwin {

namespace {

static_assert(static_cast<int>(OpKind::kTrim) == RUNNER_TRIM, "op numbering");
static_assert(static_cast<int>(Value::Kind::kProtect) == RUNNER_VALUE_PROTECT, "value numbering");

constexpr uint64_t kHeapWindow = 1ull << 32;  // fault addresses this close above the base are heap offsets

// Reads the paused child's memory. The heap is copied once per snapshot (one syscall), the rest
// (arena, mp_, tcache struct) read directly.
class ChildMemory : public MemoryReader {
 public:
  ChildMemory(pid_t pid, uint64_t heap_base, uint64_t heap_end) : pid_(pid), base_(heap_base) {
    uint64_t n = heap_end - heap_base;
    if (n > 0 && n <= (256u << 20)) {
      heap_.resize(n);
      if (!remote(heap_base, heap_.data(), n)) heap_.clear();
    }
  }
  bool read(uint64_t addr, void* out, size_t n) const override {
    if (addr >= base_ && addr - base_ <= heap_.size() && heap_.size() - (addr - base_) >= n) {
      std::memcpy(out, heap_.data() + (addr - base_), n);
      return true;
    }
    return remote(addr, out, n);
  }

 private:
  bool remote(uint64_t addr, void* out, size_t n) const {
    struct iovec local = {out, n};
    struct iovec far = {reinterpret_cast<void*>(addr), n};
    return ::process_vm_readv(pid_, &local, 1, &far, 1, 0) == static_cast<ssize_t>(n);
  }
  pid_t pid_;
  uint64_t base_;
  std::vector<unsigned char> heap_;
};

// A snapshot's memory as the child copied it (arena, mp_, global_max_fast, heap): reads outside
// those regions fail, as reads of unmapped memory would.
class CopiedMemory : public MemoryReader {
 public:
  void add(uint64_t addr, const unsigned char* bytes, uint64_t n) { regions_.push_back({addr, bytes, n}); }
  bool read(uint64_t addr, void* out, size_t n) const override {
    for (const auto& r : regions_) {
      if (addr >= r.addr && addr - r.addr <= r.n && r.n - (addr - r.addr) >= n) {
        std::memcpy(out, r.bytes + (addr - r.addr), n);
        return true;
      }
    }
    return false;
  }

 private:
  struct Region {
    uint64_t addr;
    const unsigned char* bytes;
    uint64_t n;
  };
  std::vector<Region> regions_;
};

constexpr uint32_t kArenaBytes = 0x898, kMpBytes = 0x88;

bool write_all(int fd, const void* buf, size_t n) {
  const char* p = static_cast<const char*>(buf);
  while (n > 0) {
    ssize_t r = ::write(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

// Reads exactly n bytes, waiting at most timeout_ms for each chunk. 0 ok, 1 timeout, -1 EOF/error.
int read_all(int fd, void* buf, size_t n, int timeout_ms) {
  char* p = static_cast<char*>(buf);
  while (n > 0) {
    struct pollfd pfd = {fd, POLLIN, 0};
    int ready = ::poll(&pfd, 1, timeout_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) return 1;
    ssize_t r = ::read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return 0;
}

RunnerOp encode(const Op& op) {
  RunnerOp r;
  std::memset(&r, 0, sizeof r);
  r.kind = static_cast<uint8_t>(op.kind);
  r.dst = op.dst;
  r.src = op.src;
  r.a = op.a;
  r.b = op.b;
  r.param = op.param;
  r.offset = op.offset;
  r.value_kind = static_cast<uint8_t>(op.value.kind);
  r.value_literal = op.value.literal;
  r.value_slot = op.value.slot;
  r.value_pos_is_heap = op.value.pos_is_heap;
  r.value_delta = op.value.delta;
  r.value_target_kind = static_cast<uint8_t>(op.value.target_kind);
  r.value_target_literal = op.value.target_literal;
  r.value_target_slot = op.value.target_slot;
  r.value_target_delta = op.value.target_delta;
  return r;
}

Outcome outcome_of(const Op& op, const RunnerRecord& r) {
  if (op.allocates()) {
    if (r.pointer == 0) return Outcome::null(r.error);
    if (r.chunk_size & 0x2) return Outcome::mmapped(r.chunk_size & ~uint64_t{7}, r.pointer & 0xfff);
    return Outcome::pointer(static_cast<int64_t>(r.pointer - r.heap_base));
  }
  switch (op.kind) {
    case OpKind::kUsableSize:
    case OpKind::kMallopt:
    case OpKind::kTrim:
      return Outcome::value_of(r.value);
    default:
      return Outcome::done();
  }
}

std::string trim_newlines(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

class GlibcSide : public Side {
 public:
  GlibcSide(std::string name, RunnerCommand command, GlibcLayout layout)
      : name_(std::move(name)), command_(std::move(command)), layout_(std::move(layout)) {}
  ~GlibcSide() override {
    stop();
    if (shared_) ::munmap(shared_, sizeof(RunnerShared));
    if (shared_fd_ >= 0) ::close(shared_fd_);
  }

  std::string name() const override { return name_; }
  const RunnerCommand& command() const { return command_; }

  Trace run(const Program& program, const RunOptions& options) override {
    Trace trace;
    trace.side = name_;
    warn_if_key_unpinned(program);
    if (program.ops.size() > RUNNER_MAX_OPS) {
      trace.error = "Program longer than " + std::to_string(RUNNER_MAX_OPS) + " ops";
      return trace;
    }
    if (program.slot_count() > RUNNER_MAX_SLOTS) {
      trace.error = "Program with more than " + std::to_string(RUNNER_MAX_SLOTS) + " slots";
      return trace;
    }
    std::string error;
    if (!ensure_server(options, &error)) {
      trace.error = error;
      return trace;
    }
    if ((options.snapshots || options.inspect) && !symbols_ && !probed_) probe(options);
    // libc's base: for copied snapshots, and for pinning tcache_key (RunnerRequest).
    if (symbols_ && (options.snapshots || symbols_->tcache_key != 0) && !located_) locate_server();
    // Snapshots copied by the child (no pause per op) when we know where to copy from.
    const bool copy = options.snapshots && !options.inspect && symbols_ && libc_base_ != 0 &&
                      shared_ != nullptr && std::getenv("HEAPTWIN_RUNNER_PAUSE") == nullptr;
    if (copy) {
      bool overflow = false;
      if (run_on_server(program, options, &trace, true, &overflow) && !overflow) return trace;
      if (!overflow) {
        stop();
        if (trace.error.empty()) trace.error = "the runner stopped answering";
        return trace;
      }
      trace = Trace();  // the states did not fit: run it again, pausing the child
      trace.side = name_;
    }
    if (!run_on_server(program, options, &trace)) {
      stop();  // a confused server is not reused
      if (persistent_ && mode_ == RunnerMode::kAuto && trace.outcomes.empty()) {
        // The persistent runner could not start here (e.g. libc's data not found): fork mode.
        persistent_failed_ = true;
        trace = Trace();
        trace.side = name_;
        if (ensure_server(options, &error) && run_on_server(program, options, &trace)) return trace;
        stop();
      }
      if (trace.error.empty()) {
        trace.error = "the runner stopped answering (" + command_.argv.back() +
                      "; a runner built from other sources than this binary refuses to run)";
      }
    }
    return trace;
  }

 private:
  // Persistent (one child runs Program after Program, reset in place) unless told otherwise
  // (HEAPTWIN_RUNNER_MODE=fork) or impossible: the reset needs the tcache TLS slot.
  bool want_persistent() const {
    if (mode_ == RunnerMode::kFork) return false;
    const char* env = std::getenv("HEAPTWIN_RUNNER_MODE");
    if (mode_ == RunnerMode::kAuto && env && std::string(env) == "fork") return false;
    return !persistent_failed_ && symbols_ && symbols_->tcache_tls != 0;
  }

  bool ensure_server(const RunOptions& options, std::string* error) {
    if (server_ > 0 && options.tunables == tunables_ && persistent_ == want_persistent()) {
      int status;
      if (::waitpid(server_, &status, WNOHANG) == 0) return true;
      server_ = -1;
    }
    stop();
    tunables_ = options.tunables;
    located_ = false;
    int req[2], resp[2], ack[2];
    if (::pipe2(req, O_CLOEXEC) || ::pipe2(resp, O_CLOEXEC) || ::pipe2(ack, O_CLOEXEC)) {
      *error = std::string("pipe: ") + std::strerror(errno);
      return false;
    }
    // A dead runner must be an error we report, not a SIGPIPE that ends us.
    ::signal(SIGPIPE, SIG_IGN);

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, req[0], RUNNER_FD_REQUEST);
    posix_spawn_file_actions_adddup2(&fa, resp[1], RUNNER_FD_RESPONSE);
    posix_spawn_file_actions_adddup2(&fa, ack[0], RUNNER_FD_ACK);
    if (shared_fd_ < 0) make_shared();
    if (shared_fd_ >= 0) posix_spawn_file_actions_adddup2(&fa, shared_fd_, RUNNER_FD_SHARED);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);

    // A pristine malloc: none of the caller's malloc settings, no preloaded allocator.
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) {
      std::string kv = *e;
      if (kv.rfind("GLIBC_TUNABLES=", 0) == 0 || kv.rfind("MALLOC_", 0) == 0 ||
          kv.rfind("LD_PRELOAD=", 0) == 0 || kv.rfind("LIBC_FATAL_STDERR_=", 0) == 0) {
        continue;
      }
      env.push_back(kv);
    }
    env.push_back("LIBC_FATAL_STDERR_=1");
    if (!tunables_.empty()) {
      std::string t = "GLIBC_TUNABLES=";
      for (size_t i = 0; i < tunables_.size(); ++i) {
        t += (i ? ":" : "") + tunables_[i].first + "=" + tunables_[i].second;
      }
      env.push_back(t);
    }
    std::vector<char*> envp, argv;
    for (auto& s : env) envp.push_back(s.data());
    envp.push_back(nullptr);
    persistent_ = want_persistent();
    std::vector<std::string> args = command_.argv;
    if (persistent_) args.push_back("persistent");
    for (auto& s : args) argv.push_back(s.data());
    argv.push_back(nullptr);
    pid_t pid;
    // The runner starts without address randomisation (the personality flag is inherited and
    // applied at exec): glibc's mappings then land at the same addresses in every run, so a
    // Program whose outcome depends on where the kernel maps (a dangling mmapped pointer)
    // reproduces, and CI's fixed-seed fuzzing is repeatable.
    const int persona = ::personality(0xffffffff);
    if (persona != -1) ::personality(static_cast<unsigned long>(persona) | ADDR_NO_RANDOMIZE);
    int rc = ::posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), envp.data());
    if (persona != -1) ::personality(static_cast<unsigned long>(persona));
    posix_spawn_file_actions_destroy(&fa);
    ::close(req[0]);
    ::close(resp[1]);
    ::close(ack[0]);
    if (rc != 0) {
      ::close(req[1]);
      ::close(resp[0]);
      ::close(ack[1]);
      *error = "cannot start the glibc runner " + command_.argv[0] + ": " + std::strerror(rc);
      return false;
    }
    server_ = pid;
    req_ = req[1];
    resp_ = resp[0];
    ack_ = ack[1];
    return true;
  }

  // The record area shared with every runner this side starts (see RUNNER_FD_SHARED).
  void make_shared() {
    int fd = ::memfd_create("heaptwin-runner", MFD_CLOEXEC);
    if (fd < 0) return;
    if (::ftruncate(fd, sizeof(RunnerShared)) != 0) {
      ::close(fd);
      return;
    }
    void* map = ::mmap(nullptr, sizeof(RunnerShared), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
      ::close(fd);
      return;
    }
    shared_fd_ = fd;
    shared_ = static_cast<RunnerShared*>(map);
  }

  void stop() {
    if (server_ > 0) {
      ::kill(server_, SIGKILL);
      ::waitpid(server_, nullptr, 0);
    }
    for (int* fd : {&req_, &resp_, &ack_}) {
      if (*fd >= 0) ::close(*fd);
      *fd = -1;
    }
    server_ = -1;
  }

  ArenaSnapshot copied_snapshot(const RunnerRecord& r) const {
    const unsigned char* at = shared_->state + r.state_offset;
    HeapLocation loc = location(r);
    CopiedMemory mem;
    mem.add(loc.arena, at, kArenaBytes);
    mem.add(loc.mp, at + kArenaBytes, kMpBytes);
    mem.add(loc.global_max_fast, at + kArenaBytes + kMpBytes, 8);
    mem.add(r.heap_base, at + kArenaBytes + kMpBytes + 8, r.state_heap_bytes);
    if (runner_tcache_outside_heap(r.tcache, r.heap_base, r.heap_end)) {
      mem.add(r.tcache, at + kArenaBytes + kMpBytes + 8 + r.state_heap_bytes, RUNNER_TCACHE_BYTES);
    }
    return read_arena(mem, loc, layout_);
  }

  // The server maps libc as its children do; it may still be starting, so look a few times.
  void locate_server() {
    for (int i = 0; i < 200 && !located_; ++i) {
      uint64_t base = 0;
      std::string path;
      if (find_libc_mapping(server_, &base, &path)) {
        locate(server_);
        return;
      }
      ::usleep(1000);
    }
  }

  // libc's load base in this server (the same in every fork of it), once per server.
  void locate(pid_t child) {
    if (located_) return;
    located_ = true;
    libc_base_ = 0;
    std::string path;
    if (!find_libc_mapping(child, &libc_base_, &path)) {
      libc_base_ = 0;
      base_error_ = "libc not found in /proc/" + std::to_string(child) + "/maps";
    }
  }

  bool run_on_server(const Program& program, const RunOptions& options, Trace* trace,
                     bool copy = false, bool* overflow = nullptr) {
    RunnerRequest req;
    std::memset(&req, 0, sizeof req);
    req.magic = RUNNER_MAGIC;
    req.op_count = static_cast<uint32_t>(program.ops.size());
    // The child waits after each op (snapshots read live, the inspect hook) unless it copies.
    const bool pause = (options.snapshots && !copy) || options.inspect;
    req.snapshots = pause;
    if (copy) {
      req.arena = libc_base_ + symbols_->main_arena;
      req.mp = libc_base_ + symbols_->mp;
      req.global_max_fast = libc_base_ + symbols_->global_max_fast;
      req.arena_bytes = kArenaBytes;
      req.mp_bytes = kMpBytes;
    }
    req.timeout_ms = static_cast<uint32_t>(options.timeout_ms > 0 ? options.timeout_ms : 2000);
    if (symbols_) {
      req.errno_tls = symbols_->errno_tls;
      req.tcache_tls = symbols_->tcache_tls;
      if (symbols_->tcache_key != 0 && libc_base_ != 0) {
        req.tcache_key = libc_base_ + symbols_->tcache_key;
        req.tcache_key_value = kPinnedTcacheKey;
      }
    }
    std::vector<RunnerOp> ops;
    ops.reserve(program.ops.size());
    for (const Op& op : program.ops) ops.push_back(encode(op));
    const bool doorbell = persistent_ && shared_ != nullptr;
    // Spin-waiting (HEAPTWIN_RUNNER_SPIN rounds of `pause`, default 0) saves the sleeping
    // wake-ups when parent and runner each have a CPU; on a loaded machine it only costs.
    static const uint32_t spin = [] {
      const char* env = std::getenv("HEAPTWIN_RUNNER_SPIN");
      return env ? static_cast<uint32_t>(std::strtoul(env, nullptr, 10)) : 0u;
    }();
    req.spin_rounds = spin;
    uint32_t seq = 0;
    if (doorbell) {
      // Request in shared memory, the doorbell byte, then the sequence number (runner_protocol.h).
      std::memcpy(&shared_->request, &req, sizeof req);
      std::memcpy(shared_->ops, ops.data(), ops.size() * sizeof(RunnerOp));
      seq = __atomic_load_n(&shared_->request_seq, __ATOMIC_RELAXED) + 1;
      char bell = 1;
      if (!write_all(req_, &bell, 1)) {
        trace->error = "cannot send the Program to the runner";
        return false;
      }
      __atomic_store_n(&shared_->request_seq, seq, __ATOMIC_RELEASE);
    } else if (!write_all(req_, &req, sizeof req) ||
               !write_all(req_, ops.data(), ops.size() * sizeof(RunnerOp))) {
      trace->error = "cannot send the Program to the runner";
      return false;
    }
    // Wall-clock guard on top of the child's own CPU timer.
    const int wait_ms = static_cast<int>(req.timeout_ms) + 10000;
    const bool via_shared = !pause && shared_ != nullptr;
    trace->outcomes.reserve(program.ops.size());
    if (options.snapshots) trace->states.reserve(program.ops.size());
    pid_t child = -1;
    uint64_t heap_base = 0;
    bool faulted = false;
    // START, RETURNED and FAULT records; false when the stream makes no sense.
    auto take = [&](const RunnerRecord& r) -> bool {
      if (r.kind == RUNNER_START) {
        child = r.pid;
        heap_base = r.heap_base;
        if (pause) locate(child);
        return true;
      }
      if (r.kind == RUNNER_RETURNED) {
        if (r.index >= program.ops.size()) return false;
        trace->outcomes.push_back(outcome_of(program.ops[r.index], r));
        if (copy) {
          if (!r.state_copied) *overflow = true;
          trace->states.push_back(r.state_copied ? copied_snapshot(r) : ArenaSnapshot());
        }
        if (pause) {
          if (probing_) probe_step(child, r);
          if (options.snapshots) trace->states.push_back(snapshot(child, r));
          if (options.inspect) inspect(child, r, options.inspect, trace);
          char ack = 1;
          if (!write_all(ack_, &ack, 1)) return false;
        }
        return true;
      }
      if (r.kind == RUNNER_FAULT) {
        faulted = true;
        uint64_t a = r.address;
        bool in_heap = a >= heap_base && a - heap_base < kHeapWindow;
        trace->outcomes.push_back(Outcome::fault(r.signal, in_heap ? a - heap_base : a, in_heap));
        return true;
      }
      return false;
    };
    if (doorbell && via_shared) {
      // Spin a little: the END record is in the pipe once done_seq says so.
      for (uint32_t i = 0; i < spin && __atomic_load_n(&shared_->done_seq, __ATOMIC_ACQUIRE) != seq; ++i) {
        __builtin_ia32_pause();
      }
    }
    for (;;) {
      RunnerRecord r;
      int got = read_all(resp_, &r, sizeof r, wait_ms);
      if (got == 1) {
        if (via_shared && __atomic_load_n(&shared_->count, __ATOMIC_ACQUIRE) > 0) {
          child = shared_->records[0].pid;
        }
        if (child > 0) {
          ::kill(child, SIGKILL);  // the server reaps it and sends RUNNER_END
          got = read_all(resp_, &r, sizeof r, 5000);
        }
      }
      if (got != 0) return false;
      if (r.kind != RUNNER_END) {
        if (via_shared || !take(r)) return false;
        continue;
      }
      if (via_shared) {
        uint32_t n = __atomic_load_n(&shared_->count, __ATOMIC_ACQUIRE);
        if (n > RUNNER_MAX_OPS + 2) return false;
        for (uint32_t i = 0; i < n; ++i) {
          if (!take(shared_->records[i])) return false;
        }
      }
      std::string message(r.message_len, '\0');
      if (r.message_len > RUNNER_MAX_MESSAGE ||
          (r.message_len && read_all(resp_, message.data(), r.message_len, 5000) != 0)) {
        return false;
      }
      if (faulted || trace->outcomes.size() == program.ops.size()) return true;
      int status = r.status;
      if (WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT) {
        trace->outcomes.push_back(Outcome::abort(trim_newlines(message)));
      } else if (WIFSIGNALED(status) && (WTERMSIG(status) == SIGPROF || WTERMSIG(status) == SIGKILL)) {
        trace->outcomes.push_back(Outcome::timeout());
      } else if (WIFSIGNALED(status)) {
        trace->outcomes.push_back(Outcome::fault(WTERMSIG(status), 0, false));
      } else {
        trace->error = "the runner's child exited with status " +
                       std::to_string(WEXITSTATUS(status)) + " after op " +
                       std::to_string(trace->outcomes.size()) +
                       (message.empty() ? "" : ": " + trim_newlines(message));
      }
      return true;
    }
  }

  ArenaSnapshot snapshot(pid_t child, const RunnerRecord& r) {
    if (!symbols_ || libc_base_ == 0) {
      ArenaSnapshot s;
      s.invalid_reason = !symbols_ ? symbols_error_ : base_error_;
      return s;
    }
    ChildMemory mem(child, r.heap_base, r.heap_end);
    return read_arena(mem, location(r), layout_);
  }

  // RunOptions::inspect on the paused child; when the arena cannot be located, trace->error says
  // why (an inspection that silently did not happen would read as a clean heap).
  void inspect(pid_t child, const RunnerRecord& r, const HeapInspector& inspector, Trace* trace) {
    if (!symbols_ || libc_base_ == 0) {
      if (trace->error.empty()) {
        trace->error = "cannot inspect the heap: " + (!symbols_ ? symbols_error_ : base_error_);
      }
      return;
    }
    ChildMemory mem(child, r.heap_base, r.heap_end);
    inspector(r.index, mem, location(r), layout_);
  }

  // Without debug symbols, finds main_arena, mp_ and global_max_fast by running a probe Program
  // and looking at the paused child: a freed 0x510 chunk's fd is the unsorted bin head
  // (main_arena + 0x60); mp_ is the word pattern in libc's data whose sbrk_base is the heap
  // base; global_max_fast is the one word of libc's data that `mallopt M_MXFAST 0x48` turns
  // into 0x50. read_arena's self-check then vouches for the result.
  void probe(const RunOptions& options) {
    probed_ = true;
    probing_ = true;
    probe_ = ProbeState();
    Program p;
    SlotId a = p.intern("a"), g = p.intern("g");
    Op op;
    op.kind = OpKind::kMalloc;
    op.dst = a;
    op.a = 0x500;
    p.ops.push_back(op);
    op.dst = g;
    op.a = 0x18;
    p.ops.push_back(op);
    Op f;
    f.kind = OpKind::kFree;
    f.src = a;
    p.ops.push_back(f);
    Op m;
    m.kind = OpKind::kMallopt;
    m.param = static_cast<int32_t>(MalloptParam::kMxFast);
    m.a = 0x48;
    p.ops.push_back(m);
    RunOptions probe_options = options;
    probe_options.snapshots = false;
    probe_options.inspect = [](size_t, const MemoryReader&, const HeapLocation&, const GlibcLayout&) {};
    Trace t;
    bool ok = run_on_server(p, probe_options, &t);
    probing_ = false;
    if (!ok) stop();
    if (!ok || probe_.arena == 0 || probe_.mp == 0 || probe_.max_fast == 0 || libc_base_ == 0) {
      symbols_error_ += "; locating without them failed" +
                        (probe_.error.empty() ? std::string() : ": " + probe_.error);
      return;
    }
    LibcSymbols found;
    found.main_arena = probe_.arena - libc_base_;
    found.mp = probe_.mp - libc_base_;
    found.global_max_fast = probe_.max_fast - libc_base_;
    found.debug_file = "(none: located by a probe; " + symbols_error_ + ")";
    symbols_ = found;
  }

  void probe_step(pid_t child, const RunnerRecord& r) {
    auto read_data = [&](std::vector<uint64_t>* words) {
      if (probe_.data_start == 0 && !find_libc_data(child, &probe_.data_start, &probe_.data_end)) return false;
      words->assign((probe_.data_end - probe_.data_start) / 8, 0);
      ChildMemory mem(child, 0, 0);
      return mem.read(probe_.data_start, words->data(), words->size() * 8);
    };
    ChildMemory mem(child, 0, 0);
    if (r.index == 0) probe_.chunk_user = r.pointer;
    if (r.index == 2) {
      uint64_t fd = 0, bk = 0;
      if (!mem.read_u64(probe_.chunk_user, &fd) || !mem.read_u64(probe_.chunk_user + 8, &bk) || fd != bk) {
        probe_.error = "the freed chunk's fd/bk do not point at one bin head";
        return;
      }
      probe_.arena = fd - (layout_.bins - 0x10);
      if (!read_data(&probe_.before)) probe_.error = "libc's data not readable";
    }
    if (r.index == 3 && probe_.error.empty()) {
      std::vector<uint64_t> after;
      if (!read_data(&after) || after.size() != probe_.before.size()) {
        probe_.error = "libc's data not readable";
        return;
      }
      for (size_t i = 0; i < after.size(); ++i) {
        uint64_t addr = probe_.data_start + 8 * i;
        if (after[i] == 0x50 && probe_.before[i] != 0x50 && probe_.before[i] <= 0xb0) {
          probe_.max_fast = probe_.max_fast ? 1 : addr;  // 1: ambiguous
        }
        uint64_t sbrk_at = 8 * i + layout_.mp_sbrk_base, bins_at = 8 * i + layout_.mp_tcache_bins;
        if (bins_at + 8 <= after.size() * 8 && after[sbrk_at / 8] == r.heap_base &&
            after[bins_at / 8] <= kTcacheBins && after[i] >= 0x1000 /* trim_threshold */) {
          probe_.mp = probe_.mp ? 1 : addr;
        }
      }
      if (probe_.max_fast == 1 || probe_.mp == 1) {
        probe_.error = "more than one candidate for mp_ or global_max_fast";
        probe_.max_fast = probe_.mp = 0;
      }
    }
  }

  struct ProbeState {
    uint64_t chunk_user = 0, arena = 0, mp = 0, max_fast = 0;
    uint64_t data_start = 0, data_end = 0;
    std::vector<uint64_t> before;
    std::string error;
  };

  HeapLocation location(const RunnerRecord& r) const {
    HeapLocation loc;
    loc.heap_base = r.heap_base;
    loc.heap_end = r.heap_end;
    loc.arena = libc_base_ + symbols_->main_arena;
    loc.mp = libc_base_ + symbols_->mp;
    loc.global_max_fast = libc_base_ + symbols_->global_max_fast;
    if (symbols_->tcache_tls != 0) {
      loc.tcache = r.tcache;  // malloc's own TLS pointer
    } else if (r.heap_end > r.heap_base) {
      loc.tcache = r.heap_base + 0x10;  // where the first malloc of a process puts it
    }
    return loc;
  }

  std::string name_;
  RunnerCommand command_;
  GlibcLayout layout_;
  std::vector<std::pair<std::string, std::string>> tunables_;
  pid_t server_ = -1;
  int req_ = -1, resp_ = -1, ack_ = -1;
  bool located_ = false;
  bool probed_ = false, probing_ = false;
  ProbeState probe_;
  int shared_fd_ = -1;
  RunnerShared* shared_ = nullptr;
  bool persistent_ = false;
  bool persistent_failed_ = false;

 public:
  RunnerMode mode_ = RunnerMode::kAuto;

 private:
  std::string base_error_;
  uint64_t libc_base_ = 0;

 public:
  std::optional<LibcSymbols> symbols_;  // nullopt: snapshots say symbols_error_
  std::string symbols_error_;
  bool key_random_ = false;  // glibc >= 2.34 draws tcache_key at random, and we cannot pin it

  // Once per side: a Program that corrupts the heap can read glibc's tcache_key, which then
  // differs from run to run (and from the twin's kPinnedTcacheKey) when it is not pinned.
  void warn_if_key_unpinned(const Program& program) {
    if (!key_random_) return;
    for (const Op& op : program.ops) {
      if (op.kind != OpKind::kWrite8) continue;
      std::fprintf(stderr,
                   "heaptwin: %s: tcache_key is not pinned (%s): a Program that reads it "
                   "through a forged size may differ from run to run\n",
                   name_.c_str(),
                   symbols_ ? "no tcache_key in the debug symbols" : symbols_error_.c_str());
      key_random_ = false;
      return;
    }
  }
};

}  // namespace

std::string glibc_side_name(const std::string& version) {
  return version.empty() || version == "host" ? "glibc" : "glibc-" + version;
}

std::unique_ptr<Side> make_glibc_side(const std::string& name, std::string* error) {
  return make_glibc_side(name, RunnerMode::kAuto, error);
}

std::unique_ptr<Side> make_glibc_side(const std::string& name, RunnerMode mode, std::string* error) {
  std::optional<RunnerCommand> command;
  if (name == "glibc") {
    command = host_runner(error);
  } else if (name.rfind("glibc-", 0) == 0) {
    command = versioned_runner(name.substr(6), error);
  } else {
    *error = "not a glibc side: " + name;
    return nullptr;
  }
  if (!command) return nullptr;
  auto layout = glibc_layout(command->version);
  if (!layout) {
    *error = "no snapshot layout for glibc " + command->version;
    return nullptr;
  }
  auto side = std::make_unique<GlibcSide>(name, std::move(*command), std::move(*layout));
  // Without symbols the side still runs Programs; only its snapshots are refused.
  const RunnerCommand& c = side->command();
  if (const char* off = std::getenv("HEAPTWIN_NO_DEBUG_SYMBOLS"); off && *off && *off != '0') {
    side->symbols_error_ = "debug symbols not used (HEAPTWIN_NO_DEBUG_SYMBOLS)";
  } else {
    side->symbols_ = find_libc_symbols(c.libc_path, c.debug_roots, &side->symbols_error_);
  }
  int major = 0, minor = 0;
  if (std::sscanf(c.version.c_str(), "%d.%d", &major, &minor) == 2 &&
      (major > 2 || (major == 2 && minor >= 34))) {
    side->key_random_ = !side->symbols_ || side->symbols_->tcache_key == 0;
  }
  side->mode_ = mode;
  return side;
}

}  // namespace heaptwin
