// The drop-in follows the process's threads in the twin: each call runs on the calling thread's
// own tcache and arena (Allocator::set_thread, its number from thread_numbers.h), and a thread's
// exit reaches the twin as glibc's __malloc_arena_thread_freeres (Allocator::exit_thread). Only
// for a twin whose release has its arenas modelled; otherwise all threads share main_arena and
// one tcache. State in constant-initialised globals; nothing allocates.
#ifndef HEAPTWIN_ALLOCATOR_PRELOAD_THREAD_FOLLOWING_H_
#define HEAPTWIN_ALLOCATOR_PRELOAD_THREAD_FOLLOWING_H_

#include <cstdint>

#include "allocator/allocator.h"
#include "allocator/fatal.h"
#include "allocator/preload/spin_lock.h"

namespace heaptwin::preload {

// At the library's first call, under `lock`: follow threads from now on if `twin` models them.
void follow_threads(alloc::Allocator* twin, SpinLock* lock, alloc::FatalHandler* fatal);
extern bool g_following_threads;
inline bool following_threads() { return g_following_threads; }

// The thread pointer of the thread the twin last ran a call for (0: none).
extern uintptr_t g_twin_thread_pointer;
int switch_thread_from_another();

// Under the lock, at each call: switches the twin to the calling thread. Returns the number of a
// thread whose first call this is, for arm_thread_exit after the lock is released; else -1.
// Inline, and one comparison when the same thread calls again (most calls).
inline int switch_to_calling_thread() {
  if (reinterpret_cast<uintptr_t>(__builtin_thread_pointer()) == g_twin_thread_pointer) return -1;
  return switch_thread_from_another();
}

// Outside the lock (pthread_setspecific callocs for a key past the first 32): thread n's exit
// will reach the twin.
void arm_thread_exit(int n);

// The thread pointer of the thread whose calls may skip the work around a call (preload.cc's
// Call: the lock, first use, the thread switch, --check's bookkeeping) while the process has
// only ever had one thread: the twin is built and runs on that thread, and neither --trace nor
// --check is on. 0: none. Cleared when a call begins that does that work, set again when it
// ends (preload.cc), cleared when a thread exits.
extern uintptr_t g_plain_thread;

// Whether this call may skip that work: it comes from g_plain_thread, and the process has never
// had a second thread (glibc's __libc_single_threaded, which the library reads only where it is
// defined: g_plain_thread stays 0 otherwise). Two comparisons. Read and written without the lock
// (relaxed atomics, plain moves on x86_64): a process with threads never takes the plain path,
// whatever the word says.
inline bool plain_call() {
  return reinterpret_cast<uintptr_t>(__builtin_thread_pointer()) ==
             __atomic_load_n(&g_plain_thread, __ATOMIC_RELAXED) &&
         __libc_single_threaded != 0;
}

}  // namespace heaptwin::preload

#endif  // HEAPTWIN_ALLOCATOR_PRELOAD_THREAD_FOLLOWING_H_
