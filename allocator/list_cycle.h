// A cycle check for list walks that write nothing (Brent's algorithm): such a walk's next step
// depends only on the entry it is at and on memory it does not change, so an entry met twice
// proves the walk never ends, where glibc hangs. A walk that writes (malloc_consolidate, the
// unsorted scan) may see other memory the second time round: it must not use this; nor a walk
// whose state holds more than the entry (a count it stops at).
#ifndef HEAPTWIN_ALLOCATOR_LIST_CYCLE_H_
#define HEAPTWIN_ALLOCATOR_LIST_CYCLE_H_

#include <cstdint>

namespace heaptwin::alloc {

class ListCycle {
 public:
  // Whether `entry` was met before (called once per entry, in walk order). Every cycle is found
  // within twice the length of the walk up to its second lap.
  bool repeats(uint64_t entry) {
    if (have_saved_ && entry == saved_) return true;
    if (steps_ == power_) {  // a new checkpoint, twice as far away as the last
      saved_ = entry;
      have_saved_ = true;
      power_ *= 2;
      steps_ = 0;
    }
    ++steps_;
    return false;
  }

 private:
  uint64_t saved_ = 0;
  bool have_saved_ = false;
  uint64_t power_ = 1;
  uint64_t steps_ = 1;
};

}  // namespace heaptwin::alloc

#endif  // HEAPTWIN_ALLOCATOR_LIST_CYCLE_H_
