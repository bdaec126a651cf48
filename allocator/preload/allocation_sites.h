// `heaptwin exec --check`: where each chunk of the program was allocated and last freed (call
// number and call stack), so a report can say where the chunk it names came from. Keyed by the
// user address, kept after free (a double free's report needs the first free), overwritten when
// the address is handed out again. Open addressing in a reservation of its own at a fixed address
// beside the library (away from the mmap area); never calls malloc.
#ifndef HEAPTWIN_ALLOCATOR_PRELOAD_ALLOCATION_SITES_H_
#define HEAPTWIN_ALLOCATOR_PRELOAD_ALLOCATION_SITES_H_

#include <cstdint>

#include "allocator/preload/call_stack.h"

namespace heaptwin::preload {

struct Site {
  uint64_t user = 0;        // 0: an empty entry
  uint64_t alloc_call = 0;  // the call numbers (1-based) of the allocation and the last free
  uint64_t free_call = 0;   // 0: not freed since
  CallStack alloc;
  CallStack free;
};

class AllocationSites {
 public:
  // Reserves the table (address space only; pages are touched as entries land). False when the
  // kernel refuses: then nothing is recorded and reports say the sites are unknown.
  bool start();
  bool active() const { return entries_ != nullptr; }
  void allocated(uint64_t user, uint64_t call, const CallStack& stack);
  void freed(uint64_t user, uint64_t call, const CallStack& stack);
  // The record of `user`, or nullptr when none was kept (never allocated while checking, or the
  // table was full).
  const Site* find(uint64_t user) const;
  uint64_t dropped() const { return dropped_; }  // allocations not recorded: the table was full

 private:
  Site* slot_for(uint64_t user) const;  // its entry, or the empty entry where it would go

  Site* entries_ = nullptr;
  uint64_t capacity_ = 0;  // a power of two
  uint64_t used_ = 0;
  uint64_t dropped_ = 0;
};

}  // namespace heaptwin::preload

#endif  // HEAPTWIN_ALLOCATOR_PRELOAD_ALLOCATION_SITES_H_
