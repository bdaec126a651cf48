// The drop-in library's state, built on the first call (the twin over the real process, its
// settings, the trace and the checker), and Call, the frame around each exported call.
// preload.cc exports glibc's functions through them.
#ifndef HEAPTWIN_ALLOCATOR_PRELOAD_LIBRARY_H_
#define HEAPTWIN_ALLOCATOR_PRELOAD_LIBRARY_H_

#include <errno.h>

#include <cstdint>

#include "allocator/allocator.h"
#include "allocator/preload/call_stack.h"
#include "allocator/preload/environment.h"
#include "allocator/preload/heap_checking.h"
#include "allocator/preload/spin_lock.h"
#include "allocator/preload/thread_following.h"
#include "allocator/preload/trace_writer.h"

namespace heaptwin::preload {

// In zero-initialised static storage; g_twin is null until the first call has built it.
extern alloc::Allocator* g_twin;
extern PreloadSettings g_settings;
extern TraceWriter g_trace;
extern SpinLock g_lock;
extern uint64_t g_ops;  // calls made through Call (plain calls do not count): --check's reports
extern bool g_check;    // heaptwin exec --check is on
extern HeapChecking g_checking;
// The call in progress (under the lock), for --check's reports: what it is and where the
// program made it (both set only with --check).
extern const char* g_call_verb;
extern uint64_t g_call_arg;
extern CallStack g_call_stack;

// `heaptwin exec --check`: the checker after the call (heap_checking.h); a broken heap is
// reported to heaptwin and the program aborted.
void check_after(const char* verb, uint64_t a);

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
  // Out of line (library.cc), so the plain path saves no registers.
  __attribute__((noinline)) void begin(const char* verb, uint64_t arg, void* frame);
  __attribute__((noinline)) void end();

  const bool plain_;
  bool locked_ = false;  // the process had a second thread when the call began
  int arm_exit_of_ = -1;
};

inline void set_errno(int e) {
  if (e != 0) errno = e;
}

alloc::FatalHandler* fatal_handler();
// ptmalloc_init without a tcache, as mallinfo2 and malloc_stats run it: the twin's malloc
// initialises, then checked_request2size refuses this request before MAYBE_INIT_TCACHE.
void ensure_initialized();

}  // namespace heaptwin::preload

#endif  // HEAPTWIN_ALLOCATOR_PRELOAD_LIBRARY_H_
