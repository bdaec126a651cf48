// The drop-in's threads. glibc keeps each thread's malloc state in thread-locals (`tcache`,
// `thread_arena`); the twin keeps one set per thread number (Allocator::set_thread), and the
// library tells it which thread each call comes from. A thread is known by its thread pointer
// (the %fs base: its struct pthread, which a later thread may reuse once this one has gone);
// the first call from a pointer the table does not hold gives it the lowest free number, 0
// going to the thread of the library's first call (the main thread). No thread-locals of the
// library's own: they would change ld.so's start-up work, and with it where mappings land.
// Plain memory; the callers hold the library's lock.
#ifndef HEAPTWIN_ALLOCATOR_PRELOAD_THREAD_NUMBERS_H_
#define HEAPTWIN_ALLOCATOR_PRELOAD_THREAD_NUMBERS_H_

#include <cstdint>

namespace heaptwin::preload {

class ThreadNumbers {
 public:
  static constexpr int kMaxThreads = 64;  // Allocator::kMaxThreads
  // The number of the thread whose pointer is `pointer`; *is_new when it had none (a new
  // thread: it has one now). -1 when every number is taken.
  int number_of(uintptr_t pointer, bool* is_new) {
    *is_new = false;
    if (pointer == last_pointer_) return last_;
    for (int i = 0; i < used_; ++i) {
      if (pointers_[i] == pointer) return remember(pointer, i);
    }
    for (int i = 0; i < kMaxThreads; ++i) {
      if (pointers_[i] != 0) continue;
      pointers_[i] = pointer;
      if (i >= used_) used_ = i + 1;
      *is_new = true;
      return remember(pointer, i);
    }
    return -1;
  }
  // Thread n has gone: its number is free for the next new thread.
  void release(int n) {
    if (pointers_[n] == last_pointer_) last_pointer_ = 0;
    pointers_[n] = 0;
  }

 private:
  int remember(uintptr_t pointer, int n) {
    last_pointer_ = pointer;
    last_ = n;
    return n;
  }

  uintptr_t pointers_[kMaxThreads] = {};
  int used_ = 0;  // pointers_[used_..] are all 0
  uintptr_t last_pointer_ = 0;
  int last_ = 0;
};

}  // namespace heaptwin::preload

#endif  // HEAPTWIN_ALLOCATOR_PRELOAD_THREAD_NUMBERS_H_
