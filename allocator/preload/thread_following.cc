#include "allocator/preload/thread_following.h"

#include <limits.h>  // PTHREAD_DESTRUCTOR_ITERATIONS
#include <pthread.h>

#include <cstdint>

#include "allocator/preload/thread_numbers.h"

// pthread_key_create and pthread_setspecific, weak and unversioned (the library is linked without
// libc: BUILD.bazel): they bind to whichever version the loaded libc makes the default. Weak:
// 2.31's libc.so.6 lacks them (its libpthread has them, loaded with a program's first thread).
extern "C" int heaptwin_pthread_key_create(pthread_key_t*,
                                           void (*)(void*)) __asm__("pthread_key_create")
    __attribute__((weak));
extern "C" int heaptwin_pthread_setspecific(pthread_key_t,
                                            const void*) __asm__("pthread_setspecific")
    __attribute__((weak));

namespace heaptwin::preload {
namespace {

alloc::Allocator* g_twin = nullptr;  // set: threads are followed
SpinLock* g_lock = nullptr;
alloc::FatalHandler* g_fatal = nullptr;
ThreadNumbers g_threads;
// Each thread's exit reaches the twin through this key's destructor (on_thread_exit).
pthread_key_t g_exit_key;
bool g_exit_key_made = false;

// A thread's exit: what glibc's __malloc_arena_thread_freeres does, in the twin (its tcache
// emptied, its arena released). Re-armed until the last round of key destructors, so the
// program's own destructors, which may still free, come first, as they come before glibc's
// (start_thread: __nptl_deallocate_tsd, then __libc_thread_freeres).
void on_thread_exit(void* value) {
  const uintptr_t v = reinterpret_cast<uintptr_t>(value);
  if ((v >> 8) + 1 < PTHREAD_DESTRUCTOR_ITERATIONS &&
      heaptwin_pthread_setspecific(g_exit_key, reinterpret_cast<void*>(v + 0x100)) == 0) {
    return;
  }
  const int n = static_cast<int>(v & 0xff) - 1;
  g_lock->lock();
  g_twin->set_thread(n);
  g_twin->exit_thread();
  g_threads.release(n);
  g_twin_thread_pointer = 0;  // the next call switches again, whoever makes it
  g_plain_thread = 0;
  g_lock->unlock();
}

}  // namespace

void follow_threads(alloc::Allocator* twin, SpinLock* lock, alloc::FatalHandler* fatal) {
  if (!twin->threads_modelled()) return;
  g_lock = lock;
  g_fatal = fatal;
  g_twin = twin;
  g_following_threads = true;
}

bool g_following_threads = false;

uintptr_t g_twin_thread_pointer = 0;
uintptr_t g_plain_thread = 0;

int switch_thread_from_another() {
  bool is_new;
  const uintptr_t pointer = reinterpret_cast<uintptr_t>(__builtin_thread_pointer());
  const int n = g_threads.number_of(pointer, &is_new);
  if (n < 0) g_fatal->unmodelled("more than 64 threads at once");
  g_twin->set_thread(n);
  g_twin_thread_pointer = pointer;
  if (!is_new || n == 0 || heaptwin_pthread_key_create == nullptr) return -1;
  if (!g_exit_key_made)
    g_exit_key_made = heaptwin_pthread_key_create(&g_exit_key, on_thread_exit) == 0;
  return g_exit_key_made ? n : -1;
}

void arm_thread_exit(int n) {
  heaptwin_pthread_setspecific(g_exit_key, reinterpret_cast<void*>(static_cast<uintptr_t>(n + 1)));
}

}  // namespace heaptwin::preload
