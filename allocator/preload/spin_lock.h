// The drop-in's one lock around every call of a process with threads: a spinlock, which needs
// nothing at start-up (no constructor) and no memory. Constant-initialised.
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

// glibc's __libc_single_threaded (2.32 on): true until the process's first pthread_create,
// which clears it before the new thread runs. Weak and unversioned (the library links no libc):
// under 2.31, which has none, every call locks.
extern "C" char __libc_single_threaded __attribute__((weak));

// Whether the process has only ever had one thread. glibc's malloc then takes no arena lock
// (SINGLE_THREAD_P), and the library takes none either.
inline bool single_threaded() {
  return &__libc_single_threaded != nullptr && __libc_single_threaded != 0;
}

}  // namespace heaptwin::preload

#endif  // HEAPTWIN_ALLOCATOR_PRELOAD_SPIN_LOCK_H_
