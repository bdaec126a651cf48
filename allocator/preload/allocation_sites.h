// `heaptwin exec --check`: where each chunk of the program was allocated and last freed (call
// number and call stack), so a report can say where the chunk it names came from. Keyed by the
// user address, kept after free (a double free's report needs the first free), overwritten when
// the address is handed out again. Stacks are kept once each in a depot (stack_depot.h); a record
// is 32 bytes, in an open-addressing table that doubles as it fills, each generation mapped at a
// fixed address beside the library (away from the mmap area). Never calls malloc.
#ifndef HEAPTWIN_ALLOCATOR_PRELOAD_ALLOCATION_SITES_H_
#define HEAPTWIN_ALLOCATOR_PRELOAD_ALLOCATION_SITES_H_

#include <cstdint>

#include "allocator/preload/call_stack.h"
#include "allocator/preload/stack_depot.h"

namespace heaptwin::preload {

struct Site {
  uint64_t user = 0;         // 0: an empty entry
  uint64_t alloc_call = 0;   // the call numbers (1-based) of the allocation and the last free
  uint64_t free_call = 0;    // 0: not freed since
  uint32_t alloc_stack = 0;  // stack depot ids; 0: unknown
  uint32_t free_stack = 0;
};

class AllocationSites {
 public:
  // Reserves the first table and the depot. False when the kernel refuses: then nothing is
  // recorded and reports name no sites.
  bool start();
  void allocated(uint64_t user, uint64_t call, const CallStack& stack);
  void freed(uint64_t user, uint64_t call, const CallStack& stack);
  // The record of `user`, or nullptr when none was kept (never allocated while checking, or out
  // of memory).
  const Site* find(uint64_t user) const;
  // A stack of a record; nullptr when unknown.
  const CallStack* stack(uint32_t id) const { return depot_.get(id); }

 private:
  Site* slot_for(uint64_t user) const;  // its entry, or the empty entry where it would go
  bool grow();

  Site* entries_ = nullptr;
  uint64_t capacity_ = 0;  // a power of two
  uint64_t used_ = 0;
  StackDepot depot_;
};

}  // namespace heaptwin::preload

#endif  // HEAPTWIN_ALLOCATOR_PRELOAD_ALLOCATION_SITES_H_
