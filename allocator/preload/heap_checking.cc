#include "allocator/preload/heap_checking.h"

#include <errno.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <new>

#include "allocator/preload/check_protocol.h"
#include "allocator/preload/twin_check_layout.h"
#include "allocator/real_memory.h"
#include "oracle/check/incremental.h"
#include "oracle/check/text.h"
#include "oracle/read_arena_heaps.h"

namespace heaptwin::preload {

namespace {

// Beside the library (linked at 0x7e0000000000) and the trace's table (0x7e0100000000).
constexpr uint64_t kRegionHint = 0x7e0200000000;
constexpr uint64_t kRegionBytes = uint64_t{3} << 30;  // address space; touched as the heap needs
constexpr uint64_t kLogEntries = uint64_t{1} << 16;   // a call that stores more: a full check
constexpr size_t kMaxFindings = 32;
constexpr size_t kMaxThreadHeaps = 256;  // threads' heaps whose chunks a tcache may hold
constexpr size_t kReportBytes = kMaxFindings * (check::kMessageBytes + 200) + 512;

// Static storage only (no constructors run at load: libraries loaded before this one call malloc
// from theirs); the objects are built on start().
alignas(check::Region) unsigned char g_region_storage[sizeof(check::Region)];
alignas(check::IncrementalCheck) unsigned char g_check_storage[sizeof(check::IncrementalCheck)];
check::Region* g_region = nullptr;
check::IncrementalCheck* g_check = nullptr;
alloc::WriteLog g_log;
check::Finding* g_findings = nullptr;
char* g_report = nullptr;
constexpr size_t kMaxStacks = 4;
ReportStack g_stacks[kMaxStacks];
static_assert(kReportFrames == kMaxFrames, "the protocol carries the stacks the library captures");

void copy_text(char* to, size_t capacity, const char* from) {
  size_t n = std::strlen(from);
  if (n >= capacity) n = capacity - 1;
  std::memcpy(to, from, n);
  to[n] = '\0';
}

// Adds a stack to the report unless it is unknown (nullptr or no frame) or the report is full.
void add_stack(size_t* count, StackKind kind, uint64_t chunk, uint64_t call, const CallStack* s) {
  if (*count >= kMaxStacks || s == nullptr || s->depth == 0) return;
  ReportStack* r = &g_stacks[(*count)++];
  r->kind = kind;
  r->depth = s->depth;
  r->chunk = chunk;
  r->call_index = call;
  std::memcpy(r->pcs, s->pcs, sizeof r->pcs);
}

// The chunk that ends where `chunk` starts, walking the heap from its base by the size fields
// (each checked to stay in the heap); 0 when the walk cannot get there (a corrupted size below).
uint64_t chunk_below(uint64_t chunk, const check::Where& w) {
  uint64_t c = (w.heap_base + 15) & ~uint64_t{15};
  while (c < chunk && c + 16 <= w.heap_end) {
    const uint64_t size = reinterpret_cast<const uint64_t*>(c)[1] & ~uint64_t{7};
    if (size < 32 || size % 16 != 0 || size > w.heap_end - c) return 0;
    if (c + size == chunk) return c;
    c += size;
  }
  return 0;
}

void say(const char* s) {
  ssize_t w = write(2, s, std::strlen(s));
  (void)w;
}

// The program's own heap and malloc's objects, read in place; anything else is not readable (a
// wild pointer in a corrupted list must not fault the checker). Each object is readable as far as
// the checker reads it (2.36's main_arena and mp_, 8 bytes of global_max_fast: a release's may be
// smaller, and what follows is libc's or the library's own data); the objects may lie apart, some
// in libc and some in the library (libc_placement.h), and what lies between them is not readable.
class OwnMemory : public check::Reader {
 public:
  // `heaps`: the threads' heaps (their chunks may sit in this thread's tcache).
  OwnMemory(const check::Where& w, const ArenaHeapRange* heaps, size_t heap_count)
      : heap_lo_(w.heap_base),
        heap_hi_(w.heap_end),
        arena_(w.arena),
        mp_(w.mp),
        max_fast_(w.global_max_fast),
        heaps_(heaps),
        heap_count_(heap_count) {}
  bool read(uint64_t addr, void* out, size_t n) const override {
    const unsigned char* p = direct(addr, n);
    if (p == nullptr) return false;
    std::memcpy(out, p, n);
    return true;
  }
  const unsigned char* direct(uint64_t addr, size_t n) const override {
    if (inside(addr, n, heap_lo_, heap_hi_) ||
        inside(addr, n, arena_, arena_ + check::kMallocStateBytes) ||
        inside(addr, n, mp_, mp_ + check::kMallocParBytes) ||
        inside(addr, n, max_fast_, max_fast_ + 8)) {
      return reinterpret_cast<const unsigned char*>(addr);
    }
    for (size_t i = 0; i < heap_count_; ++i) {
      if (inside(addr, n, heaps_[i].start, heaps_[i].start + heaps_[i].bytes)) {
        return reinterpret_cast<const unsigned char*>(addr);
      }
    }
    return nullptr;
  }

 private:
  static bool inside(uint64_t a, uint64_t n, uint64_t lo, uint64_t hi) {
    return a >= lo && a < hi && hi - a >= n;
  }
  uint64_t heap_lo_, heap_hi_, arena_, mp_, max_fast_;
  const ArenaHeapRange* heaps_;
  size_t heap_count_;
};

// A word where a program may have forged the pointer that led there (the list of arenas).
int read_word_safely(void*, uint64_t address, uint64_t* out) {
  return alloc::readable(address, out, sizeof *out) ? 1 : 0;
}

check::Where where_now(const alloc::Allocator& twin) {
  check::Where w;
  const alloc::LibcObjects& libc = twin.libc();
  w.heap_end = reinterpret_cast<uint64_t>(sbrk(0));
  const uint64_t sbrk_base = twin.mp().sbrk_base;
  w.heap_base = sbrk_base != 0 ? sbrk_base : w.heap_end;
  w.arena = twin.main_arena();  // before 2.27 not the struct's address (allocator.h)
  w.mp = reinterpret_cast<uint64_t>(libc.mp);
  w.global_max_fast = reinterpret_cast<uint64_t>(libc.global_max_fast);
  // With threads: main_arena's heap and bins with the main thread's tcache (thread 0, whose
  // first call came before any thread). A thread's tcache may hold chunks of this heap; to this
  // view they are in use, as they are to main_arena.
  w.tcache = twin.thread_tcache(0);
  return w;
}

bool send_all(int fd, const void* p, size_t n) {
  const char* s = static_cast<const char*>(p);
  while (n > 0) {
    ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
    if (w < 0 && errno == ENOTSOCK) w = write(fd, s, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    s += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

}  // namespace

bool HeapChecking::start(alloc::Allocator* twin, int report_fd, int ack_fd, uint64_t full_every) {
  g_region = new (g_region_storage) check::Region();
  if (!g_region->reserve(kRegionBytes, kRegionHint)) {
    say("heaptwin: cannot reserve memory for the heap checker; the program runs unchecked\n");
    return false;
  }
  g_check = new (g_check_storage) check::IncrementalCheck();
  g_log.entries = static_cast<uint64_t*>(g_region->take(kLogEntries * 8));
  g_log.capacity = kLogEntries;
  void* findings = g_region->take(2 * kMaxFindings * sizeof(check::Finding));
  g_report = static_cast<char*>(g_region->take(kReportBytes));
  if (!g_check->init(g_region) || g_log.entries == nullptr || findings == nullptr ||
      g_report == nullptr) {
    say("heaptwin: cannot reserve memory for the heap checker; the program runs unchecked\n");
    return false;
  }
  pid_ = getpid_now();
  void* page = g_region->take(4096);
  if (page != nullptr && madvise(page, 4096, MADV_WIPEONFORK) == 0) {
    wiped_on_fork_ = static_cast<volatile uint64_t*>(page);
    *wiped_on_fork_ = 1;
  }
  g_findings = static_cast<check::Finding*>(findings);
  for (size_t i = 0; i < 2 * kMaxFindings; ++i) new (&g_findings[i]) check::Finding();
  twin_ = twin;
  report_fd_ = report_fd;
  ack_fd_ = ack_fd;
  full_every_ = full_every;
  twin->set_write_log(&g_log);
  if (!sites_.start())
    say("heaptwin: cannot reserve memory for allocation sites; reports name none\n");
  active_ = true;
  return true;
}

int64_t HeapChecking::getpid_now() { return static_cast<int64_t>(getpid()); }

bool HeapChecking::after_call(uint64_t op_index, const char* call, const CallStack& stack) {
  if (!active_) return false;
  const bool full = full_every_ != 0 && op_index % full_every_ == 0;
  return check(op_index, call, stack, full);
}

bool HeapChecking::at_exit(uint64_t op_index) {
  if (!active_) return false;
  return check(op_index, "exit", CallStack(), true);
}

bool HeapChecking::check(uint64_t op_index, const char* call, const CallStack& stack, bool full) {
  if (twin_->multi_threaded() && !said_threads_) {
    say("heaptwin exec --check: the program started a thread; the heap checker goes on with "
        "main_arena's heap and bins and the main thread's tcache (threads' arenas and tcaches "
        "are not checked)\n");
    said_threads_ = true;
  }
  check::Where where = where_now(*twin_);
  const check::Layout layout = twin_check_layout(twin_->profile());
  ArenaHeapRange heaps[kMaxThreadHeaps];
  size_t heap_count = 0;
  if (twin_->multi_threaded()) {
    where.other_arenas = true;
    heap_count = arena_heap_ranges(read_word_safely, nullptr, where.arena, layout.binmap + 16,
                                   layout.top, heaps, kMaxThreadHeaps);
  }
  const OwnMemory mem(where, heaps, heap_count);
  check::Findings out(g_findings, kMaxFindings);
  if (full) {
    g_check->full_check(mem, where, layout, &out);
  } else {
    g_check->check_op(mem, where, layout, g_log.entries, g_log.size, !g_log.overflowed, &out);
  }
  g_log.clear();
  if (out.empty()) return false;
  if (!full) {
    // Reported as the full check reports it (the incremental check found it; if the full check
    // finds nothing, which would be a bug of one of them, its own findings are reported).
    check::Findings again(g_findings + kMaxFindings, kMaxFindings);
    g_check->full_check(mem, where, layout, &again);
    if (!again.empty()) {
      report(op_index, call, stack, where, again);
      active_ = false;
      return true;
    }
  }
  report(op_index, call, stack, where, out);
  active_ = false;
  return true;
}

void HeapChecking::report(uint64_t op_index, const char* call, const CallStack& stack,
                          const check::Where& where, const check::Findings& out) {
  check::Text t(g_report, kReportBytes);
  t.add("heaptwin exec --check: the heap breaks ")
      .dec(out.size())
      .add(" rule")
      .add(out.size() == 1 ? "" : "s");
  t.add(" after call ").dec(op_index).add(" (").add(call).add("):\n");
  for (size_t i = 0; i < out.size(); ++i) {
    t.add("  ");
    check::add_finding(&t, out[i], where.heap_base, static_cast<int64_t>(op_index));
    t.add("\n");
  }
  t.add("heap base ")
      .hex(where.heap_base)
      .add(" (offsets are from it), main_arena ")
      .hex(where.arena)
      .add("\n");
  CheckReport header;
  header.op_index = op_index;
  header.heap_base = where.heap_base;
  header.chunk = out[0].chunk;
  copy_text(header.call, sizeof header.call, call);
  copy_text(header.rule, sizeof header.rule, out[0].rule);
  copy_text(header.message, sizeof header.message, out[0].message);
  send(&header, t.size(), stack, out[0].chunk, true);
}

void HeapChecking::report_abort(uint64_t op_index, const char* call, const char* message,
                                uint64_t user, const CallStack& stack) {
  if (!active_) return;
  active_ = false;
  const check::Where where = where_now(*twin_);
  check::Text t(g_report, kReportBytes);
  t.add("heaptwin exec --check: glibc aborts in call ")
      .dec(op_index)
      .add(" (")
      .add(call)
      .add("): ");
  t.add(message).add("\n");
  t.add("heap base ").hex(where.heap_base).add(", main_arena ").hex(where.arena).add("\n");
  CheckReport header;
  header.op_index = op_index;
  header.heap_base = where.heap_base;
  header.chunk = user != 0 ? user - 16 : 0;
  copy_text(header.call, sizeof header.call, call);
  copy_text(header.rule, sizeof header.rule, "glibc_abort");
  copy_text(header.message, sizeof header.message, message);
  // A chunk freed twice (tcache's key, fastbin's top) was not overflowed: its neighbour below
  // says nothing. glibc's other "double free or corruption" messages are mostly corruption.
  const bool double_free = std::strstr(message, "double free detected") != nullptr ||
                           std::strstr(message, "(fasttop)") != nullptr;
  send(&header, t.size(), stack, header.chunk, !double_free);
}

void HeapChecking::send(CheckReport* header, size_t text_bytes, const CallStack& stack,
                        uint64_t chunk, bool with_below) {
  size_t count = 0;
  add_stack(&count, StackKind::kCall, 0, header->op_index, &stack);
  // A finding about a place no allocation began (a walk led into the middle of a chunk) is
  // about the chunk whose size field leads there: its site, and its neighbour's below, are what
  // the program can act on.
  const check::Where where = where_now(*twin_);
  if (chunk != 0 && sites_.find(chunk + 16) == nullptr) {
    const uint64_t leading = chunk_below(chunk, where);
    if (leading != 0 && sites_.find(leading + 16) != nullptr) chunk = leading;
  }
  if (chunk != 0) {
    if (const Site* s = sites_.find(chunk + 16)) {
      add_stack(&count, StackKind::kChunkAllocated, chunk, s->alloc_call,
                sites_.stack(s->alloc_stack));
      if (s->free_call != 0)
        add_stack(&count, StackKind::kChunkFreed, chunk, s->free_call, sites_.stack(s->free_stack));
    }
    const uint64_t below = with_below ? chunk_below(chunk, where) : 0;
    if (const Site* s = below != 0 ? sites_.find(below + 16) : nullptr) {
      add_stack(&count, StackKind::kBelowAllocated, below, s->alloc_call,
                sites_.stack(s->alloc_stack));
    }
  }
  header->text_bytes = text_bytes;
  header->stack_count = count;
  const int saved = errno;
  if (send_all(report_fd_, header, sizeof *header) && send_all(report_fd_, g_report, text_bytes) &&
      send_all(report_fd_, g_stacks, count * sizeof(ReportStack))) {
    char ack = 0;
    ssize_t got;
    do got = read(ack_fd_, &ack, 1);
    while (got < 0 && errno == EINTR);
  } else {
    say(g_report);  // heaptwin went away: the report on stderr instead
  }
  errno = saved;
}

}  // namespace heaptwin::preload
