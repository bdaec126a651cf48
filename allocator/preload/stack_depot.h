// The distinct call stacks `heaptwin exec --check` has seen, each stored once and named by a
// 32-bit id (as ASan's stack depot): a program makes millions of calls from a few hundred
// places, so a chunk's record keeps ids, not stacks. Fixed capacity, in a mapping of its own at a
// fixed address beside the library; never calls malloc.
#ifndef HEAPTWIN_ALLOCATOR_PRELOAD_STACK_DEPOT_H_
#define HEAPTWIN_ALLOCATOR_PRELOAD_STACK_DEPOT_H_

#include <cstdint>

#include "allocator/preload/call_stack.h"

namespace heaptwin::preload {

class StackDepot {
 public:
  // Reserves the table (pages are touched as stacks land). False when the kernel refuses.
  bool start(uint64_t hint);
  // The id of `stack` (stored on first sight); 0 when it has no frame or the depot is full.
  uint32_t put(const CallStack& stack);
  // The stack of `id`; nullptr for 0.
  const CallStack* get(uint32_t id) const;

 private:
  uint32_t find_or_add(const CallStack& stack);

  struct Entry {
    uint64_t hash;  // 0: empty
    CallStack stack;
  };
  Entry* entries_ = nullptr;
  uint64_t used_ = 0;
  // The last stack put and its id: a loop allocates from one place many times running.
  CallStack last_;
  uint32_t last_id_ = 0;
};

}  // namespace heaptwin::preload

#endif  // HEAPTWIN_ALLOCATOR_PRELOAD_STACK_DEPOT_H_
