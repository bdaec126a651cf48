// The drop-in's one lock around every call: a spinlock, which needs nothing at start-up (no
// constructor) and no memory. Constant-initialised.
#ifndef HEAPTWIN_ALLOCATOR_PRELOAD_SPIN_LOCK_H_
#define HEAPTWIN_ALLOCATOR_PRELOAD_SPIN_LOCK_H_

#include <sched.h>

namespace heaptwin::preload {

class SpinLock {
 public:
  void lock() {
    while (__atomic_exchange_n(&held_, 1, __ATOMIC_ACQUIRE) != 0) {
      while (__atomic_load_n(&held_, __ATOMIC_RELAXED) != 0) sched_yield();
    }
  }
  void unlock() { __atomic_store_n(&held_, 0, __ATOMIC_RELEASE); }
  void reset() { held_ = 0; }  // the child of fork: the only thread left

 private:
  int held_ = 0;
};

}  // namespace heaptwin::preload

#endif  // HEAPTWIN_ALLOCATOR_PRELOAD_SPIN_LOCK_H_
