// Per-thread state: glibc's thread-locals `tcache` and `thread_arena`, one set per thread of a
// deterministic schedule (Allocator::set_thread), and what a thread's exit gives back
// (__malloc_arena_thread_freeres, glibc 2.36 arena.c; tcache_thread_shutdown, malloc.c).
#include <cstddef>

#include "allocator/abort_messages.h"
#include "allocator/allocator.h"

namespace heaptwin::alloc {

void Allocator::set_thread(int t) {
  if (t < 0 || t >= kMaxThreads)
    report_unmodelled(fatal_, "a thread number past Allocator::kMaxThreads");
  if (t == thread_) return;
  if (!arenas_modelled()) {
    report_unmodelled(fatal_,
                      "threads in a release whose arenas the twin does not lay out "
                      "(it has 2.35..2.41's)");
  }
  threads_[thread_] = ThreadState{thread_arena_, tcache_, tcache_disabled_, tcache_shutting_down_};
  thread_ = t;
  single_thread_ = false;  // pthread_create: SINGLE_THREAD_P is false from now on, in every thread
  const ThreadState& next = threads_[t];
  thread_arena_ = next.arena;
  tcache_ = next.tcache;
  tcache_disabled_ = next.tcache_disabled;
  tcache_shutting_down_ = next.tcache_shutting_down;
}

void Allocator::exit_thread() {
  if (thread_ == 0) report_unmodelled(fatal_, "the main thread's exit (the process ends)");
  tcache_thread_shutdown();
  const Addr a = thread_arena_;
  thread_arena_ = 0;
  if (a != 0) {
    // The last thread to leave an arena puts it on the free list.
    const uint64_t attached = arena_field(a, offsetof(MallocState, attached_threads));
    if (attached == 0) assert_failed(Assertion::kArenaThreadFreeres);
    set_arena_field(a, offsetof(MallocState, attached_threads), attached - 1);
    if (attached == 1) {
      set_arena_field(a, offsetof(MallocState, next_free), free_list_);
      free_list_ = a;
    }
  }
  // The number may start a new thread, with thread-locals of its own.
  tcache_ = 0;
  tcache_disabled_ = false;
  tcache_shutting_down_ = false;
}

// Every cached chunk, then the tcache itself, freed (__libc_free) back into its arena; the
// thread makes no tcache again.
void Allocator::tcache_thread_shutdown() {
  tcache_shutting_down_ = true;
  if (tcache_ == 0) return;
  const Addr tcache_tmp = tcache_;  // a block from malloc: its mem
  tcache_ = 0;
  for (uint64_t i = 0; i < kTcacheMaxBins; ++i) {
    const Addr entry = tcache_tmp + tcache_entries_offset_ + i * 8;
    uint64_t steps = 0;
    for (UserAddr e{load(entry)}; e != 0; e = UserAddr{load(entry)}) {
      guard_endless_loop(&steps);
      if (!aligned_ok(e.raw())) malloc_printerr(msg::kTcacheShutdownUnaligned);
      store(entry, tcache_next(e).raw());
      free(e);
    }
  }
  free(UserAddr{tcache_tmp});
}

}  // namespace heaptwin::alloc

namespace heaptwin::alloc {

// __libc_malloc past the tcache once a thread exists: the thread's arena (arena_get), then one
// retry elsewhere (arena_get_retry); the chunk must belong to the arena it came from.
UserAddr Allocator::malloc_threaded(uint64_t bytes) {
  Addr ar_ptr = arena_get(bytes);
  use_arena(ar_ptr);
  UserAddr victim = int_malloc_in_av(bytes);
  if (victim == 0 && ar_ptr != 0) {
    ar_ptr = arena_get_retry(ar_ptr, bytes);
    use_arena(ar_ptr);
    victim = int_malloc_in_av(bytes);
  }
  leave_arena();
  check_arena_of(victim, ar_ptr, Assertion::kMallocArenaThreaded);
  return victim;
}

// _mid_memalign past the tcache once a thread exists: arena_get for the padded request, one
// retry elsewhere.
UserAddr Allocator::memalign_threaded(uint64_t alignment, uint64_t bytes) {
  Addr ar_ptr = arena_get(bytes + alignment + kMinSize);
  use_arena(ar_ptr);
  UserAddr p = int_memalign(alignment, bytes);
  if (p == 0 && ar_ptr != 0) {
    ar_ptr = arena_get_retry(ar_ptr, bytes);
    use_arena(ar_ptr);
    p = int_memalign(alignment, bytes);
  }
  leave_arena();
  check_arena_of(p, ar_ptr, Assertion::kMemalignArenaThreaded);
  return p;
}

Addr Allocator::thread_tcache(int t) const {
  return t == thread_ ? tcache_ : t >= 0 && t < kMaxThreads ? threads_[t].tcache : 0;
}

}  // namespace heaptwin::alloc
