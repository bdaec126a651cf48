// The drop-in library's state and the frame around each call (library.h).
#include "allocator/preload/library.h"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <new>

#include "allocator/preload/libc_placement.h"
#include "allocator/real_memory.h"

namespace heaptwin::preload {

alloc::Allocator* g_twin = nullptr;
PreloadSettings g_settings;
TraceWriter g_trace;
SpinLock g_lock;
uint64_t g_ops = 0;
bool g_check = false;
HeapChecking g_checking;
const char* g_call_verb = "";
uint64_t g_call_arg = 0;
CallStack g_call_stack;

namespace {

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

}  // namespace

void check_after(const char* verb, uint64_t a) {
  if (!g_checking.in_started_process()) return;  // a child of fork
  char call[48];
  format_call(call, sizeof call, verb, a);
  const int saved = errno;  // the program's errno is the call's, not the checker's
  const bool broken = g_checking.after_call(g_ops, call, g_call_stack);
  errno = saved;
  if (broken) abort_for_violation();
}

void Call::begin(const char* verb, uint64_t arg, void* frame) {
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

void Call::end() {
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

alloc::FatalHandler* fatal_handler() {
  return reinterpret_cast<PrintingFatalHandler*>(g_fatal_storage);
}

void ensure_initialized() {
  if (!*g_twin->libc().malloc_initialized) g_twin->malloc(~uint64_t{0});
  g_twin->clear_errno();
}

// The trace is buffered; the last calls reach the file when the library is unloaded at exit.
// With --check, the whole heap is checked once more.
__attribute__((destructor)) static void heaptwin_at_exit() {
  if (g_check && owner_process()) {
    g_lock.lock();
    const bool broken = g_checking.at_exit(g_ops);
    g_lock.unlock();
    if (broken) abort_for_violation();
  }
  if (g_trace.active()) g_trace.flush();
}

}  // namespace heaptwin::preload
