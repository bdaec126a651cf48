// Call stacks for `heaptwin exec --check` reports: the return addresses of the program's frames
// at a malloc-family call, captured inside the call and symbolised only when a report is made
// (by heaptwin exec, tools/stack_symbolizer.h). Capturing must be cheap (it runs on every call)
// and must not allocate (it runs inside malloc): a frame-pointer walk, as ASan's fast unwinder,
// bounded in depth and by the thread's stack mapping so a frame pointer that is not one (code
// built without frame pointers uses rbp as it likes) never makes it read outside the stack.
// The caller holds the library's lock (the table of thread stacks is shared).
#ifndef HEAPTWIN_ALLOCATOR_PRELOAD_CALL_STACK_H_
#define HEAPTWIN_ALLOCATOR_PRELOAD_CALL_STACK_H_

#include <cstdint>

namespace heaptwin::preload {

inline constexpr uint32_t kMaxFrames = 8;

struct CallStack {
  uint32_t depth = 0;
  uint64_t pcs[kMaxFrames] = {};  // return addresses, the innermost (the call site) first
};

// Walks the frame chain from `frame`, the frame of the exported malloc-family function (its
// __builtin_frame_address(0); the library is built with frame pointers). pcs[0] is that
// function's return address: the program's call site, right whatever the program was built with.
void capture_stack(const void* frame, CallStack* out);

}  // namespace heaptwin::preload

#endif  // HEAPTWIN_ALLOCATOR_PRELOAD_CALL_STACK_H_
