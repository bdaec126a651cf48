// The drop-in library: glibc's malloc family exported from a shared object that LD_PRELOAD puts in
// front of libc, served by the twin (allocator/) over the real program break and mmap. Exact to
// glibc 2.36: the library allocates nothing of its own, has no static constructors and does not
// load the C++ library. Threads: one spinlock serialises the calls once a process has had a second
// thread (before, none is taken, as glibc takes none: SINGLE_THREAD_P), and each runs on its
// thread's own tcache and arena in the twin (thread_numbers.h), as in glibc (2.35 .. 2.41's
// twins; under another release's all threads share main_arena and one tcache).
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstring>
#include <new>

#include "allocator/allocator.h"
#include "allocator/preload/call_stack.h"
#include "allocator/preload/environment.h"
#include "allocator/preload/heap_checking.h"
#include "allocator/preload/libc_placement.h"
#include "allocator/preload/spin_lock.h"
#include "allocator/preload/statistics.h"
#include "allocator/preload/thread_following.h"
#include "allocator/preload/trace_writer.h"
#include "allocator/real_memory.h"

namespace heaptwin::preload {
namespace {

using alloc::Addr;

// glibc's abort: malloc_printerr -> __libc_message (do_abort, "%s\n", str): one writev to fd 2
// (2.36 no longer opens /dev/tty), then abort().
class PrintingFatalHandler : public alloc::FatalHandler {
 public:
  [[noreturn]] void abort_with(const char* message) override;
  [[noreturn]] void fault(uint64_t address) override;
  [[noreturn]] void hang() override;
  [[noreturn]] void unmodelled(const char* why) override;
};

// Everything lives in zero-initialised static storage and is built on the first call.
alignas(64) alloc::LibcData g_data;
alignas(alloc::Allocator) unsigned char g_twin_storage[sizeof(alloc::Allocator)];
alignas(alloc::RealMemory) unsigned char g_memory_storage[sizeof(alloc::RealMemory)];
alignas(PrintingFatalHandler) unsigned char g_fatal_storage[sizeof(PrintingFatalHandler)];
alloc::Allocator* g_twin = nullptr;
PreloadSettings g_settings;
TraceWriter g_trace;
SpinLock g_lock;
uint64_t g_ops = 0;
bool g_check = false;
HeapChecking g_checking;
// The call in progress (under the lock), for --check's reports: what it is and where the
// program made it (both set only with --check).
const char* g_call_verb = "";
uint64_t g_call_arg = 0;
CallStack g_call_stack;

void write_all(int fd, const char* s, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, s, n);
    if (w <= 0) return;
    s += w;
    n -= static_cast<size_t>(w);
  }
}
void say(const char* s) { write_all(2, s, std::strlen(s)); }

// "free 0x55555555a2a0": the call as reports name it.
void format_call(char* out, size_t capacity, const char* verb, uint64_t a) {
  size_t n = std::strlen(verb);
  if (n > capacity - 20) n = capacity - 20;
  std::memcpy(out, verb, n);
  out[n] = ' ';
  char* h = out + n + 1;
  *h++ = '0';
  *h++ = 'x';
  int digits = 1;
  while (digits < 16 && (a >> (4 * digits)) != 0) ++digits;
  for (int i = digits - 1; i >= 0; --i) *h++ = "0123456789abcdef"[(a >> (4 * i)) & 15];
  *h = '\0';
}

bool takes_a_chunk(const char* verb) {
  return std::strcmp(verb, "free") == 0 || std::strcmp(verb, "realloc") == 0;
}

void PrintingFatalHandler::abort_with(const char* message) {
  if (g_trace.active()) g_trace.flush();
  // --check: glibc's abort is a broken heap too; heaptwin reports it with the stacks first.
  if (g_check && g_checking.in_started_process()) {
    char call[48];
    format_call(call, sizeof call, g_call_verb, g_call_arg);
    g_checking.report_abort(g_ops, call, message, takes_a_chunk(g_call_verb) ? g_call_arg : 0,
                            g_call_stack);
  }
  iovec iov[2] = {{const_cast<char*>(message), std::strlen(message)}, {const_cast<char*>("\n"), 1}};
  ssize_t r = writev(2, iov, 2);
  (void)r;
  abort();
}

void PrintingFatalHandler::fault(uint64_t address) {
  // RealMemory owns everything, so the twin never stops before an access: unreachable. Touch the
  // address anyway, as glibc would.
  if (g_trace.active()) g_trace.flush();
  (void)*reinterpret_cast<volatile uint64_t*>(address);
  abort();
}

void PrintingFatalHandler::hang() {
  if (g_trace.active()) g_trace.flush();
  say("heaptwin: a corrupted bin list made malloc loop (glibc would hang here)\n");
  abort();
}

// RealMemory is the real process, so the twin never gets here in it; a Memory that could not
// follow glibc must not let the program run on as if it had.
void PrintingFatalHandler::unmodelled(const char* why) {
  if (g_trace.active()) g_trace.flush();
  say("heaptwin: cannot follow glibc: ");
  say(why);
  say("\n");
  abort();
}

bool owner_process() {
  return g_settings.owner_pid < 0 || g_settings.owner_pid == static_cast<int64_t>(getpid());
}

bool is_open(int fd) { return fcntl(fd, F_GETFD) >= 0; }

void init() {
  read_settings(&g_settings);
  alloc::GlibcProfile profile = alloc::GlibcProfile::glibc_2_36();
  if (g_settings.glibc[0] != '\0' &&
      !alloc::GlibcProfile::for_version(g_settings.glibc, &profile)) {
    say("heaptwin: no twin of glibc ");
    say(g_settings.glibc);
    say(" (HEAPTWIN_GLIBC); following 2.36\n");
  }
  profile.tunables = g_settings.tunables;
  auto* memory = new (g_memory_storage) alloc::RealMemory();
  auto* fatal = new (g_fatal_storage) PrintingFatalHandler();
  alloc::LibcObjects libc = alloc::LibcObjects::in(&g_data);
  if (g_settings.libc_data_malformed) {
    say("heaptwin: HEAPTWIN_LIBC_DATA is malformed (expected BUILDID,name=0xOFFSET,...); malloc's "
        "objects stay in the library\n");
  } else if (const char* why = place_in_loaded_libc(
                 g_settings.libc_data, alloc::Allocator::arena_name_offset(profile), &libc)) {
    say("heaptwin: ");
    say(why);
    say("; malloc's objects stay in the library\n");
  }
  g_twin = new (g_twin_storage) alloc::Allocator(memory, libc, fatal, profile);
  follow_threads(g_twin, &g_lock, fatal);
  // The trace is of the process image heaptwin exec started: its descriptor is close-on-exec, so
  // a program the process execs (a shell script's last command) writes no second script into
  // the same file. The checker follows exec: each image's heap is checked in turn.
  if (g_settings.trace_fd >= 0 && owner_process() && is_open(g_settings.trace_fd)) {
    fcntl(g_settings.trace_fd, F_SETFD, fcntl(g_settings.trace_fd, F_GETFD) | FD_CLOEXEC);
    g_trace.open(g_settings.trace_fd, g_settings.trace_max_ops);
  }
  g_check = g_settings.check_fd >= 0 && g_settings.check_reply_fd >= 0 && owner_process() &&
            is_open(g_settings.check_fd) && is_open(g_settings.check_reply_fd) &&
            g_checking.start(g_twin, g_settings.check_fd, g_settings.check_reply_fd,
                             g_settings.full_check_every);
}

[[noreturn]] void abort_for_violation() {
  if (g_trace.active()) g_trace.flush();
  say("heaptwin: the heap checker found a violation (report above); aborting\n");
  abort();
}

// `heaptwin exec --check`: the checker after the call (heap_checking.h); a broken heap is
// reported to heaptwin and the program aborted.
void check_after(const char* verb, uint64_t a) {
  if (!g_checking.in_started_process()) return;  // a child of fork
  char call[48];
  format_call(call, sizeof call, verb, a);
  const int saved = errno;  // the program's errno is the call's, not the checker's
  const bool broken = g_checking.after_call(g_ops, call, g_call_stack);
  errno = saved;
  if (broken) abort_for_violation();
}

// One call: lock, build on first use, (with --check) capture where the program made it, run,
// record, check. Always inlined, so the captured frame is the exported function's. A plain call
// (thread_following.h: one thread, the twin built and on it, no --trace or --check) has none of
// that to do: two comparisons, and the rest out of line, so the plain path saves no registers.
class Call {
 public:
  __attribute__((always_inline)) Call(const char* verb, uint64_t arg) : plain_(plain_call()) {
    if (!plain_) begin(verb, arg, __builtin_frame_address(0));
  }
  __attribute__((always_inline)) ~Call() {
    if (!plain_) end();
  }
  // The allocation sites --check reports (allocation_sites.h).
  void allocated(uint64_t user) {
    if (g_check && user != 0) g_checking.allocated(user, g_ops, g_call_stack);
  }
  void freed(uint64_t user) {
    if (g_check && user != 0) g_checking.freed(user, g_ops, g_call_stack);
  }
  void done(const char* verb, uint64_t a) {
    if (g_check) check_after(verb, a);
  }

 private:
  __attribute__((noinline)) void begin(const char* verb, uint64_t arg, void* frame) {
    locked_ = !single_threaded();
    if (locked_) g_lock.lock();
    __atomic_store_n(&g_plain_thread, 0, __ATOMIC_RELAXED);
    if (g_twin == nullptr) init();
    if (following_threads()) arm_exit_of_ = switch_to_calling_thread();
    ++g_ops;        // for --check's reports only: plain calls do not count
    if (g_check) {  // what --check's reports name: the call and where the program made it
      g_call_verb = verb;
      g_call_arg = arg;
      capture_stack(frame, &g_call_stack);
    }
  }
  __attribute__((noinline)) void end() {
    // The next calls of this thread may be plain: it is the twin's, and nothing is on that
    // watches calls or stores (all set at the first call, for good; a trace past its last op is
    // done), so plain calls take the hot paths without the write log (tcache_hot_paths.h).
    const uintptr_t self = reinterpret_cast<uintptr_t>(__builtin_thread_pointer());
    const bool plain_next = &__libc_single_threaded != nullptr && !g_check && !g_trace.active() &&
                            !g_twin->logs_writes() &&
                            (!following_threads() || g_twin_thread_pointer == self);
    __atomic_store_n(&g_plain_thread, plain_next ? self : 0, __ATOMIC_RELAXED);
    if (locked_) g_lock.unlock();
    // Outside the lock: setspecific callocs where the key is past the first 32.
    if (arm_exit_of_ >= 0) arm_thread_exit(arm_exit_of_);
  }

  const bool plain_;
  bool locked_ = false;  // the process had a second thread when the call began
  int arm_exit_of_ = -1;
};

void set_errno(int e) {
  if (e != 0) errno = e;
}

alloc::FatalHandler* fatal_handler() {
  return reinterpret_cast<PrintingFatalHandler*>(g_fatal_storage);
}

// ptmalloc_init without a tcache, as mallinfo2 and malloc_stats run it: the twin's malloc
// initialises, then checked_request2size refuses this request before MAYBE_INIT_TCACHE.
void ensure_initialized() {
  if (!*g_twin->libc().malloc_initialized) g_twin->malloc(~uint64_t{0});
  g_twin->clear_errno();
}

}  // namespace
}  // namespace heaptwin::preload

// The twin's API takes and returns typed user addresses; here, at the C boundary, they are
// void* and the raw numbers Call and the trace record.
using heaptwin::alloc::Addr;
using heaptwin::alloc::UserAddr;
using heaptwin::preload::Call;
using heaptwin::preload::ensure_initialized;
using heaptwin::preload::fatal_handler;
using heaptwin::preload::g_trace;
using heaptwin::preload::g_twin;
using heaptwin::preload::set_errno;

#define HEAPTWIN_EXPORT extern "C" __attribute__((visibility("default")))

namespace heaptwin::preload {
namespace {

// malloc, valloc and pvalloc: one size, one block. Inlined into each exported function, whose
// frame --check's call stacks start from (Call), and `entry` with it.
__attribute__((always_inline)) inline void* allocate(
    const char* verb, size_t bytes, UserAddr (alloc::Allocator::*entry)(uint64_t)) {
  Call call(verb, bytes);
  g_twin->clear_errno();
  Addr r = (g_twin->*entry)(bytes).raw();
  int e = r == 0 ? g_twin->last_errno() : 0;
  g_trace.allocation(r, verb, bytes);
  call.allocated(r);
  call.done(verb, bytes);
  set_errno(e);
  return reinterpret_cast<void*>(r);
}

}  // namespace
}  // namespace heaptwin::preload

using heaptwin::preload::allocate;

namespace heaptwin::preload {
namespace {

// malloc's, free's and calloc's whole calls, out of line, so that their exported functions' hot
// paths save no registers. Each is its exported function's last act, a tail call (a jmp): the frame
// it runs in stands where the exported function's stood, and --check's call stacks start at the
// program's call as before (tests/preload's exec_test names the program's functions).
__attribute__((noinline)) void* whole_malloc(size_t bytes) {
  return allocate("malloc", bytes, &alloc::Allocator::malloc_past_hot_path);
}

// The rest of a plain free whose hot path left the chunk to be merged (Allocator::FreeHot).
__attribute__((noinline)) void plain_free_merge(void* mem) {
  int saved = errno;  // 2.33+: free preserves errno (systrim's sbrk may set it)
  g_twin->free_merge(UserAddr{reinterpret_cast<Addr>(mem)});
  errno = saved;
}

// A plain calloc: the twin's, and errno.
__attribute__((noinline)) void* plain_calloc(size_t n, size_t elem) {
  g_twin->clear_errno();
  const Addr r = g_twin->calloc(n, elem).raw();
  if (r == 0) set_errno(g_twin->last_errno());
  return reinterpret_cast<void*>(r);
}

// calloc's whole call, out of line and tail-called as whole_malloc is.
__attribute__((noinline)) void* whole_calloc(size_t n, size_t elem) {
  Call call("calloc", n * elem);
  g_twin->clear_errno();
  Addr r = g_twin->calloc(n, elem).raw();
  int e = r == 0 ? g_twin->last_errno() : 0;
  g_trace.allocation(r, "calloc", n, elem, 2);
  call.allocated(r);
  call.done("calloc", n * elem);
  set_errno(e);
  return reinterpret_cast<void*>(r);
}

// The rest of a plain malloc whose hot path got past the tcache.
__attribute__((noinline)) void* plain_malloc_past_tcache(size_t bytes) {
  g_twin->clear_errno();
  const Addr r = g_twin->malloc_past_tcache(bytes).raw();
  if (r == 0) set_errno(g_twin->last_errno());
  return reinterpret_cast<void*>(r);
}

__attribute__((noinline)) void whole_free(void* mem) {
  int saved = errno;  // 2.33+: free preserves errno
  Call call("free", reinterpret_cast<Addr>(mem));
  g_twin->free_past_hot_path(UserAddr{reinterpret_cast<Addr>(mem)});
  g_trace.free(reinterpret_cast<Addr>(mem));
  call.freed(reinterpret_cast<Addr>(mem));
  call.done("free", reinterpret_cast<Addr>(mem));
  errno = saved;
}

}  // namespace
}  // namespace heaptwin::preload

// malloc and free first try the tcache's hot paths (allocator/tcache_hot_paths.h) where the
// call is plain: most calls of a single-threaded program end there, with no errno to set or keep.
HEAPTWIN_EXPORT void* malloc(size_t bytes) {
  if (heaptwin::preload::plain_call()) {
    bool past_tcache = false;
    if (const UserAddr r = g_twin->malloc_hot_path</*kLogged=*/false>(bytes, &past_tcache)) {
      return reinterpret_cast<void*>(r.raw());
    }
    if (past_tcache) return heaptwin::preload::plain_malloc_past_tcache(bytes);
  }
  return heaptwin::preload::whole_malloc(bytes);
}

HEAPTWIN_EXPORT void free(void* mem) {
  if (mem == nullptr) return;  // __libc_free returns before anything else
  if (heaptwin::preload::plain_call()) {
    using FreeHot = heaptwin::alloc::Allocator::FreeHot;
    const FreeHot hot =
        g_twin->free_hot_path</*kLogged=*/false>(UserAddr{reinterpret_cast<Addr>(mem)});
    if (hot == FreeHot::kDone) return;
    if (hot == FreeHot::kMerge) return heaptwin::preload::plain_free_merge(mem);
  }
  heaptwin::preload::whole_free(mem);
}

HEAPTWIN_EXPORT void* calloc(size_t n, size_t elem) {
  if (heaptwin::preload::plain_call()) return heaptwin::preload::plain_calloc(n, elem);
  return heaptwin::preload::whole_calloc(n, elem);
}

HEAPTWIN_EXPORT void* realloc(void* old, size_t bytes) {
  Call call("realloc", reinterpret_cast<Addr>(old));
  g_twin->clear_errno();
  Addr r = g_twin->realloc(UserAddr{reinterpret_cast<Addr>(old)}, bytes).raw();
  int e = r == 0 ? g_twin->last_errno() : 0;
  g_trace.realloc(r, reinterpret_cast<Addr>(old), bytes);
  // realloc(p, 0) frees p; a moved block frees the old one.
  if (old != nullptr && r != reinterpret_cast<Addr>(old) && (r != 0 || bytes == 0)) {
    call.freed(reinterpret_cast<Addr>(old));
  }
  call.allocated(r);
  call.done("realloc", bytes);
  set_errno(e);
  return reinterpret_cast<void*>(r);
}

// __libc_reallocarray: the overflow check, then realloc.
HEAPTWIN_EXPORT void* reallocarray(void* old, size_t n, size_t elem) {
  size_t bytes;
  if (__builtin_mul_overflow(n, elem, &bytes)) {
    errno = ENOMEM;
    return nullptr;
  }
  return realloc(old, bytes);
}

namespace {
Addr aligned(const char* verb, size_t alignment, size_t bytes) {
  Call call(verb, bytes);
  g_twin->clear_errno();
  // aligned_alloc has checks of its own from 2.38 (C17); before, it is memalign.
  Addr r = (verb[0] == 'a' ? g_twin->aligned_alloc(alignment, bytes)
                           : g_twin->memalign(alignment, bytes))
               .raw();
  int e = r == 0 ? g_twin->last_errno() : 0;
  g_trace.allocation(r, verb, alignment, bytes, 2);
  call.allocated(r);
  call.done(verb, bytes);
  set_errno(e);
  return r;
}
}  // namespace

HEAPTWIN_EXPORT void* memalign(size_t alignment, size_t bytes) {
  return reinterpret_cast<void*>(aligned("memalign", alignment, bytes));
}

// Before 2.38 aligned_alloc is a weak alias of __libc_memalign (no extra checks).
HEAPTWIN_EXPORT void* aligned_alloc(size_t alignment, size_t bytes) {
  return reinterpret_cast<void*>(aligned("aligned_alloc", alignment, bytes));
}

HEAPTWIN_EXPORT int posix_memalign(void** memptr, size_t alignment, size_t bytes) {
  Call call("posix_memalign", bytes);
  UserAddr mem = 0;
  g_twin->clear_errno();
  int rc = g_twin->posix_memalign(&mem, alignment, bytes);
  const Addr r = mem.raw();
  if (rc == 0) *memptr = reinterpret_cast<void*>(r);
  if (rc == 0) call.allocated(r);
  // _mid_memalign's failures set errno too (glibc does not restore it).
  if (rc == ENOMEM) set_errno(g_twin->last_errno());
  if (g_trace.active()) {
    if (rc == EINVAL) g_trace.comment("posix_memalign refused an alignment (EINVAL)");
    g_trace.allocation(rc == 0 ? r : 0, "posix_memalign", alignment, bytes, 2);
  }
  call.done("posix_memalign", bytes);
  return rc;
}

HEAPTWIN_EXPORT void* valloc(size_t bytes) {
  return allocate("valloc", bytes, &heaptwin::alloc::Allocator::valloc);
}

HEAPTWIN_EXPORT void* pvalloc(size_t bytes) {
  return allocate("pvalloc", bytes, &heaptwin::alloc::Allocator::pvalloc);
}

HEAPTWIN_EXPORT size_t malloc_usable_size(void* mem) {
  Call call("malloc_usable_size", reinterpret_cast<Addr>(mem));
  size_t r = g_twin->malloc_usable_size(UserAddr{reinterpret_cast<Addr>(mem)});
  g_trace.usable_size(reinterpret_cast<Addr>(mem));
  return r;
}

HEAPTWIN_EXPORT int mallopt(int param, int value) {
  Call call("mallopt", static_cast<uint64_t>(param));
  int r = g_twin->mallopt(param, value);
  g_trace.mallopt(param, value);
  call.done("mallopt", static_cast<uint64_t>(param));
  return r;
}

HEAPTWIN_EXPORT int malloc_trim(size_t pad) {
  Call call("malloc_trim", pad);
  int r = g_twin->malloc_trim(pad);
  g_trace.trim(pad);
  call.done("malloc_trim", pad);
  return r;
}

HEAPTWIN_EXPORT struct mallinfo2 mallinfo2() {
  Call call("mallinfo2", 0);
  ensure_initialized();
  return heaptwin::preload::main_arena_info(*g_twin, fatal_handler());
}

HEAPTWIN_EXPORT struct mallinfo mallinfo() {
  struct mallinfo2 m2 = mallinfo2();
  struct mallinfo m;
  m.arena = static_cast<int>(m2.arena);
  m.ordblks = static_cast<int>(m2.ordblks);
  m.smblks = static_cast<int>(m2.smblks);
  m.hblks = static_cast<int>(m2.hblks);
  m.hblkhd = static_cast<int>(m2.hblkhd);
  m.usmblks = static_cast<int>(m2.usmblks);
  m.fsmblks = static_cast<int>(m2.fsmblks);
  m.uordblks = static_cast<int>(m2.uordblks);
  m.fordblks = static_cast<int>(m2.fordblks);
  m.keepcost = static_cast<int>(m2.keepcost);
  return m;
}

HEAPTWIN_EXPORT void malloc_stats() {
  Call call("malloc_stats", 0);
  ensure_initialized();
  heaptwin::preload::print_malloc_stats(*g_twin, fatal_handler());
}

// libc exports its implementations under these names too (GLIBC_2.2.5); a program that calls
// them must reach the twin's heap, not glibc's unused one.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-attributes"
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#define HEAPTWIN_ALIAS(name, target) \
  extern "C" __attribute__((visibility("default"), alias(#target))) decltype(target) name;
HEAPTWIN_ALIAS(__libc_malloc, malloc)
HEAPTWIN_ALIAS(__libc_free, free)
HEAPTWIN_ALIAS(__libc_calloc, calloc)
HEAPTWIN_ALIAS(__libc_realloc, realloc)
HEAPTWIN_ALIAS(__libc_memalign, memalign)
HEAPTWIN_ALIAS(__libc_valloc, valloc)
HEAPTWIN_ALIAS(__libc_pvalloc, pvalloc)
HEAPTWIN_ALIAS(__libc_mallinfo, mallinfo)
#pragma GCC diagnostic pop

// The trace is buffered; the last calls reach the file when the library is unloaded at exit.
// With --check, the whole heap is checked once more.
__attribute__((destructor)) static void heaptwin_at_exit() {
  if (heaptwin::preload::g_check && heaptwin::preload::owner_process()) {
    heaptwin::preload::g_lock.lock();
    const bool broken = heaptwin::preload::g_checking.at_exit(heaptwin::preload::g_ops);
    heaptwin::preload::g_lock.unlock();
    if (broken) heaptwin::preload::abort_for_violation();
  }
  if (g_trace.active()) g_trace.flush();
}
