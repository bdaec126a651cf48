#include "oracle/glibc/glibc_side.h"

#include <signal.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "oracle/glibc/glibc_probe.h"
#include "oracle/glibc/glibc_snapshots.h"
#include "oracle/glibc/glibc_versions.h"
#include "oracle/glibc/libc_symbols.h"
#include "oracle/glibc/runner_binary.h"
#include "oracle/glibc/runner_channel.h"
#include "oracle/glibc/runner_outcomes.h"
#include "oracle/glibc/runner_process.h"
#include "oracle/glibc/runner_protocol.h"
#include "oracle/heap_view.h"
#include "oracle/read_arena_heaps.h"
#include "oracle/read_namer.h"

namespace heaptwin {

namespace {

// Whether the runner can start threads under this release (runner_threads.c).
bool runs_threads(const std::string& version) {
  int major = 0, minor = 0;
  return std::sscanf(version.c_str(), "%d.%d", &major, &minor) == 2 &&
         (major > 2 || (major == 2 && minor >= 34));
}

class GlibcSide : public Side {
 public:
  GlibcSide(std::string name, RunnerCommand command, GlibcLayout layout)
      : name_(std::move(name)),
        command_(std::move(command)),
        layout_(std::move(layout)),
        arena_layout_(to_arena_layout(layout_)) {}
  ~GlibcSide() override { stop(); }

  std::string name() const override { return name_; }
  const RunnerCommand& command() const { return command_; }
  // Each thread of the runner's child finds its own `tcache` as t0 does (runner_threads.c).
  std::string thread_tcaches_unknown() const override {
    if (symbols_ && symbols_->tcache_tls != 0 && symbols_->errno_tls != 0) return "";
    return name_ + ": no TLS offsets of tcache and errno (" +
           (symbols_ ? "not in " + symbols_->debug_file : symbols_error_) + ")";
  }

  Trace run(const Program& program, const RunOptions& options) override {
    start(program, options);
    return finish();
  }

  // Hands the Program to the runner and returns while the runner works on it.
  void start(const Program& program, const RunOptions& options) override {
    if (pending_.sent) finish();  // one Program at a time: an unfinished one is collected first
    pending_ = Pending{&program, &options};
    trace_ = Trace();
    trace_.side = name_;
    warn_if_key_unpinned(program);
    if (program.slot_count() > RUNNER_MAX_SLOTS) {
      trace_.error = "the Program has " + std::to_string(program.slot_count()) +
                     " slots; the glibc runner takes at most " + std::to_string(RUNNER_MAX_SLOTS) +
                     " (RUNNER_MAX_SLOTS, runner_protocol.h)";
      return;
    }
    if (program.uses_threads() && !runs_threads(command_.version)) {
      trace_.error =
          "threads (tN: ops) run on glibc 2.34 and later only: before, pthread_create "
          "is in libpthread, which the runner does not link (this side runs " +
          command_.version + ")";
      return;
    }
    std::string error;
    if (!ensure_server(options, &error)) {
      trace_.error = error;
      return;
    }
    if ((options.snapshots || options.inspect || options.digests) && !symbols_ && !probed_)
      probe(options);
    if (options.digests && !arena_known()) {
      trace_.error = "cannot digest the arena: " + (!symbols_ ? symbols_error_ : base_error_);
      return;
    }
    // read8 names what it read after main_arena (oracle/read_value.h).
    if (!arena_known() && reads_memory(program)) {
      if (!symbols_ && !probed_) probe(options);
      if (!arena_known()) {
        trace_.error =
            "cannot name what read8 reads: " + (!symbols_ ? symbols_error_ : base_error_);
        return;
      }
    }
    // Snapshots copied by the child (no pause per op) when we know where to copy from.
    pending_.copy = options.snapshots && !options.inspect && arena_known() &&
                    std::getenv("HEAPTWIN_RUNNER_PAUSE") == nullptr;
    send(program, options, pending_.copy);
    pending_.sent = true;
  }

  // Collects the Trace of the Program start() handed over.
  Trace finish() override {
    if (!pending_.program) return Trace();
    const Program& program = *pending_.program;
    const RunOptions& options = *pending_.options;
    const bool copy = pending_.copy, sent = pending_.sent;
    pending_ = Pending();
    if (!sent) return std::move(trace_);
    bool overflow = false;
    if (collect(program, options, copy, &trace_, &overflow)) {
      if (!overflow) return std::move(trace_);
      // A state did not fit the shared memory: run it again, pausing the child instead.
      return run_again(program, options);
    }
    stop();  // a confused server is not reused
    if (persistent_ && mode_ == RunnerMode::kAuto && trace_.outcomes.empty()) {
      // The persistent runner could not start here (e.g. libc's data not found): fork mode.
      persistent_failed_ = true;
      return run_again(program, options);
    }
    if (trace_.error.empty()) {
      trace_.error = "the runner stopped answering (" + command_.argv.back() +
                     "; a runner built from other sources than this binary refuses to run)";
    }
    return std::move(trace_);
  }

  RunnerMode mode_ = RunnerMode::kAuto;
  std::optional<LibcSymbols> symbols_;  // nullopt: snapshots say symbols_error_
  std::string symbols_error_;
  bool key_random_ = false;  // glibc >= 2.34 draws tcache_key at random, and we cannot pin it

 private:
  struct Pending {
    const Program* program = nullptr;
    const RunOptions* options = nullptr;
    bool copy = false;
    bool sent = false;
  };

  Trace run_again(const Program& program, const RunOptions& options) {
    trace_ = Trace();
    trace_.side = name_;
    std::string error;
    if (!ensure_server(options, &error)) {
      trace_.error = error;
      return std::move(trace_);
    }
    bool overflow = false;
    send(program, options, false);
    if (!collect(program, options, false, &trace_, &overflow)) {
      stop();
      if (trace_.error.empty())
        trace_.error = "the runner stopped answering (" + command_.argv.back() + ")";
    }
    return std::move(trace_);
  }

  bool arena_known() const { return symbols_ && libc_base_ != 0; }

  // Persistent (one child runs Program after Program, reset in place) unless told otherwise
  // (HEAPTWIN_RUNNER_MODE=fork) or impossible: the reset needs the tcache TLS slot.
  bool want_persistent() const {
    if (mode_ == RunnerMode::kFork) return false;
    const char* env = std::getenv("HEAPTWIN_RUNNER_MODE");
    if (mode_ == RunnerMode::kAuto && env && std::string(env) == "fork") return false;
    return !persistent_failed_ && symbols_ && symbols_->tcache_tls != 0;
  }

  bool ensure_server(const RunOptions& options, std::string* error) {
    // A server that died is noticed while waiting for its records (collect).
    if (server_ > 0 && options.tunables == tunables_ && persistent_ == want_persistent())
      return true;
    stop();
    tunables_ = options.tunables;
    located_ = false;
    libc_base_ = 0;
    persistent_ = want_persistent();
    // Fresh shared memory for each server: nothing of an earlier one can reach it.
    if (!channel_.create(runner_spin_cycles(), error)) return false;
    server_ = spawn_runner(command_, persistent_, tunables_, channel_.fd(), error);
    if (server_ < 0) return false;
    // libc's base: for copied snapshots, digests, the reset and pinning tcache_key.
    if (symbols_) locate_server();
    return true;
  }

  void stop() {
    stop_runner(server_);
    server_ = -1;
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
  void locate(pid_t pid) {
    if (located_) return;
    located_ = true;
    libc_base_ = 0;
    std::string path;
    if (!find_libc_mapping(pid, &libc_base_, &path)) {
      libc_base_ = 0;
      base_error_ = "libc not found in /proc/" + std::to_string(pid) + "/maps";
    }
  }

  void send(const Program& program, const RunOptions& options, bool copy) {
    RunnerRequest req;
    std::memset(&req, 0, sizeof req);
    req.magic = RUNNER_MAGIC;
    // The child waits after each op (snapshots read live, the inspect hook) unless it copies.
    const bool pause = (options.snapshots && !copy) || options.inspect;
    req.flags =
        (pause ? RUNNER_PAUSE : 0) | (copy ? RUNNER_COPY_STATE : 0) |
        (options.digests ? RUNNER_DIGESTS : 0) |
        (options.thread_tcaches && thread_tcaches_unknown().empty() ? RUNNER_THREAD_TCACHES : 0);
    req.slot_count = static_cast<uint32_t>(program.slot_count());
    req.timeout_ms = static_cast<uint32_t>(options.timeout_ms > 0 ? options.timeout_ms : 2000);
    req.layout = arena_layout_;
    if (symbols_) {
      req.errno_tls = symbols_->errno_tls;
      req.tcache_tls = symbols_->tcache_tls;
      req.thread_arena_tls = symbols_->thread_arena_tls;
    }
    if (arena_known()) {
      req.arena = libc_base_ + symbols_->main_arena;
      req.mp = libc_base_ + symbols_->mp;
      req.global_max_fast = libc_base_ + symbols_->global_max_fast;
      if (symbols_->tcache_key != 0) {
        req.tcache_key = libc_base_ + symbols_->tcache_key;
        req.tcache_key_value = kPinnedTcacheKey;
      }
      if (symbols_->abort_msg != 0) req.abort_msg = libc_base_ + symbols_->abort_msg;
      if (persistent_ && req.tcache_tls != 0) {
        req.flags |= RUNNER_RESET;
        // Keep the child after a Program that wrote memory when it provably changed nothing
        // the reset does not undo (runner_guard.c); HEAPTWIN_RUNNER_KEEP_WRITERS=0: never.
        static const bool keep_writers = [] {
          const char* env = std::getenv("HEAPTWIN_RUNNER_KEEP_WRITERS");
          return !(env && std::string(env) == "0");
        }();
        if (keep_writers && req.thread_arena_tls != 0) req.flags |= RUNNER_KEEP_WRITERS;
      }
    }
    channel_.send(req, program);
  }

  // Reads the running Program's records into *trace until its RUNNER_END; false when the
  // runner stopped answering or made no sense.
  bool collect(const Program& program, const RunOptions& options, bool copy, Trace* trace,
               bool* overflow) {
    using Clock = std::chrono::steady_clock;
    const bool pause = (options.snapshots && !copy) || options.inspect;
    const int timeout_ms = options.timeout_ms > 0 ? options.timeout_ms : 2000;
    // Wall-clock guard on top of the child's own CPU-time guard: no record for this long.
    const auto patience = std::chrono::milliseconds(timeout_ms + 10000);
    auto last_record = Clock::now();
    trace->outcomes.reserve(program.ops.size());
    if (options.digests) trace->digests.reserve(program.ops.size());
    int kills = 0;
    bool faulted = false;
    uint64_t heap_end = 0;  // the break after the last op that returned (0: none yet)
    namer_.start(program);
    while (true) {
      const RunnerRecord* r = nullptr;
      if (!channel_.next(&r, 50)) {
        if (!runner_alive(server_)) {
          server_ = -1;
          return false;
        }
        if (Clock::now() - last_record > patience) {
          if (kills++ == 2) return false;
          pid_t child = channel_.child_pid();
          if (child > 0) ::kill(child, SIGKILL);  // the server reports it as a time limit
          last_record = Clock::now() - patience + std::chrono::seconds(5);
        }
        continue;
      }
      last_record = Clock::now();
      const uint64_t heap_base = channel_.heap_base();
      if (r->kind == RUNNER_END) {
        // The break as the last op left it: an abort names pointers into the heap by offset.
        const ReadPlaces places =
            runner_read_places(heap_base, heap_end ? heap_end : heap_base, libc_base_,
                               symbols_ ? &*symbols_ : nullptr, arena_layout_);
        if (faulted) return true;
        if (trace->outcomes.size() == program.ops.size()) return true;
        if (r->error == 0 && trace->outcomes.size() < program.ops.size()) return false;
        add_death(
            r->error,
            process_independent_message(channel_.message(r->value), command_.argv.back(), places),
            trace);
        return true;
      }
      const size_t index = trace->outcomes.size();
      if (index >= program.ops.size()) return false;
      if (r->kind == RUNNER_FAULT) {
        faulted = true;
        uint64_t a = r->pointer;
        bool in_heap = a >= heap_base && a - heap_base < kHeapWindow;
        trace->outcomes.push_back(Outcome::fault(r->error, in_heap ? a - heap_base : a, in_heap));
        continue;
      }
      if (r->kind != RUNNER_RETURNED) return false;
      heap_end = r->heap_end;
      const Op& op = program.ops[index];
      if (op.kind == OpKind::kRead8) {
        ReadArenaHeap heaps[READ_ARENA_HEAPS_MAX];
        const ReadPlaces places = runner_read_places_of(
            *r, heap_base, libc_base_, symbols_ ? &*symbols_ : nullptr, arena_layout_, heaps);
        trace->outcomes.push_back(namer_.read(places, r->value, r->pointer, r->tcache));
      } else {
        trace->outcomes.push_back(outcome_of(op, *r, heap_base));
      }
      namer_.after(op, trace->outcomes.back(), r->pointer);
      if (options.digests) trace->digests.push_back(r->digest);
      if (copy) {
        if (r->state == RUNNER_NO_STATE) {
          *overflow = true;
          trace->states.emplace_back();
        } else {
          const RunnerState* s = channel_.state(r->state);
          trace->states.push_back(copied_snapshot(*s, location(*r, heap_base), layout_));
          channel_.release_state(s, r->state);
        }
      }
      if (pause) on_paused(index, *r, heap_base, options, trace);
    }
  }

  // The child waits while we read its memory.
  void on_paused(size_t index, const RunnerRecord& r, uint64_t heap_base, const RunOptions& options,
                 Trace* trace) {
    pid_t child = channel_.child_pid();
    locate(child);
    if (probe_) probe_->step(child, index, r.pointer, heap_base);
    if (options.snapshots) trace->states.push_back(snapshot(child, r, heap_base));
    if (options.inspect) inspect(child, index, r, heap_base, options.inspect, trace);
  }

  ArenaSnapshot snapshot(pid_t child, const RunnerRecord& r, uint64_t heap_base) {
    if (!arena_known()) {
      ArenaSnapshot s;
      s.invalid_reason = !symbols_ ? symbols_error_ : base_error_;
      return s;
    }
    ChildMemory mem(child, heap_base, r.heap_end);
    return read_arena(mem, location(r, heap_base, true), layout_);
  }

  // RunOptions::inspect on the paused child; when the arena cannot be located, trace->error says
  // why (an inspection that silently did not happen would read as a clean heap).
  void inspect(pid_t child, size_t index, const RunnerRecord& r, uint64_t heap_base,
               const HeapInspector& inspector, Trace* trace) {
    if (!arena_known()) {
      if (trace->error.empty()) {
        trace->error = "cannot inspect the heap: " + (!symbols_ ? symbols_error_ : base_error_);
      }
      return;
    }
    ChildMemory mem(child, heap_base, r.heap_end);
    inspector(index, mem, location(r, heap_base, true), layout_);
  }

  // Without debug symbols: see glibc_probe.h.
  void probe(const RunOptions& options) {
    probed_ = true;
    probe_ = std::make_unique<ArenaProbe>(layout_);
    Program p = ArenaProbe::program();
    RunOptions probe_options = options;
    probe_options.snapshots = false;
    probe_options.digests = false;
    probe_options.inspect = [](size_t, const MemoryReader&, const HeapLocation&,
                               const GlibcLayout&) {};
    Trace t;
    bool overflow = false;
    send(p, probe_options, false);
    bool ok = collect(p, probe_options, false, &t, &overflow);
    std::unique_ptr<ArenaProbe> found = std::move(probe_);
    if (!ok) stop();
    if (!ok || found->arena() == 0 || found->mp() == 0 || found->global_max_fast() == 0 ||
        libc_base_ == 0) {
      symbols_error_ += "; locating without them failed" +
                        (found->error().empty() ? std::string() : ": " + found->error());
      return;
    }
    LibcSymbols s;
    s.main_arena = found->arena() - libc_base_;
    s.mp = found->mp() - libc_base_;
    s.global_max_fast = found->global_max_fast() - libc_base_;
    s.debug_file = "(none: located by a probe; " + symbols_error_ + ")";
    symbols_ = s;
  }

  HeapLocation location(const RunnerRecord& r, uint64_t heap_base, bool paused = false) const {
    HeapLocation loc = runner_location(*symbols_, libc_base_, heap_base, r.heap_end, r.tcache);
    if (paused) channel_.paused_thread_tcaches(&loc);  // with its other threads' tcaches
    return loc;
  }

  // Once per side: a Program that corrupts the heap can read glibc's tcache_key, which then
  // differs from run to run (and from the twin's kPinnedTcacheKey) when it is not pinned.
  void warn_if_key_unpinned(const Program& program) {
    if (!key_random_) return;
    for (const Op& op : program.ops) {
      if (op.kind != OpKind::kWrite8 && op.kind != OpKind::kRead8) continue;
      std::fprintf(stderr,
                   "heaptwin: %s: tcache_key is not pinned (%s): a Program that reads it "
                   "(read8, or through a forged size) may differ from run to run\n",
                   name_.c_str(),
                   symbols_ ? "no tcache_key in the debug symbols" : symbols_error_.c_str());
      key_random_ = false;
      return;
    }
  }

  std::string name_;
  RunnerCommand command_;
  GlibcLayout layout_;
  ArenaLayout arena_layout_;
  Tunables tunables_;
  RunnerChannel channel_;
  pid_t server_ = -1;
  bool persistent_ = false;
  bool persistent_failed_ = false;
  bool located_ = false;
  uint64_t libc_base_ = 0;
  std::string base_error_;
  bool probed_ = false;
  std::unique_ptr<ArenaProbe> probe_;  // while the probe Program runs
  Pending pending_;
  Trace trace_;
  ReadNamer namer_;  // read8 values, as every side names them
};

}  // namespace

std::string glibc_side_name(const std::string& version) {
  return version.empty() || version == "host" ? "glibc" : "glibc-" + version;
}

std::unique_ptr<Side> make_glibc_side(const std::string& name, std::string* error) {
  return make_glibc_side(name, RunnerMode::kAuto, error);
}

std::unique_ptr<Side> make_glibc_side(const std::string& name, RunnerMode mode,
                                      std::string* error) {
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
