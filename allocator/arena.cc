// The arenas besides main_arena, as glibc 2.36's arena.c makes and hands them out. A thread's
// first call finds no thread_arena and takes one (arena_get2): an arena that a thread left on
// the free list, else a new one (_int_new_arena: a heap of its own, malloc_state right after
// the heap_info) while there are fewer than narenas_limit, else one in use (reused_arena, round
// the list from main_arena). A call that fails in its arena tries once more in another
// (arena_get_retry). Locks are free between the calls of a deterministic schedule, so every
// lock is taken at once; only a mutex word that is not 0 (a forged arena) reads as held.
#include <cstddef>

#include "allocator/allocator.h"
#include "allocator/assertions.h"

namespace heaptwin::alloc {

namespace {
constexpr uint64_t kNext = offsetof(MallocState, next);
constexpr uint64_t kNextFree = offsetof(MallocState, next_free);
constexpr uint64_t kAttachedThreads = offsetof(MallocState, attached_threads);
constexpr uint64_t kMutex = offsetof(MallocState, mutex);
// NARENAS_FROM_NCORES (n) on a 64-bit build.
constexpr uint64_t narenas_from_ncores(uint64_t n) { return n * 8; }
}  // namespace

void Allocator::leave_arena() {
  if (arena_ != nullptr && arena_ != libc_.main_arena)
    note_range(arena_struct(), sizeof(MallocState));
  use_arena(main_arena());
}

// arena_get: the thread's arena, else arena_get2 (size is only a hint for a new heap).
Addr Allocator::arena_get(uint64_t size) {
  if (thread_arena_ != 0) return thread_arena_;
  return arena_get2(size, 0);
}

Addr Allocator::arena_get2(uint64_t size, Addr avoid_arena) {
  if (Addr a = get_free_list()) return a;
  if (narenas_limit_ == 0) {
    if (mp().arena_max != 0) {
      narenas_limit_ = mp().arena_max;
    } else if (narenas_ > mp().arena_test) {
      const int n = memory_->online_cpus();
      narenas_limit_ = narenas_from_ncores(n >= 1 ? static_cast<uint64_t>(n) : 2);
    }
  }
  // (size_t) 0 - 1 is huge: with no limit yet, a new arena.
  if (narenas_ <= narenas_limit_ - 1) {
    ++narenas_;
    Addr a = int_new_arena(size);
    if (a == 0) --narenas_;
    return a;
  }
  return reused_arena(avoid_arena);
}

Addr Allocator::get_free_list() {
  const Addr result = free_list_;
  if (result == 0) return 0;
  free_list_ = arena_field(result, kNextFree);
  if (arena_field(result, kAttachedThreads) != 0) assert_failed(Assertion::kArenaFreeListAttached);
  set_arena_field(result, kAttachedThreads, 1);
  detach_arena(thread_arena_);
  thread_arena_ = result;
  return result;
}

void Allocator::detach_arena(Addr replaced_arena) {
  if (replaced_arena == 0) return;
  const uint64_t attached = arena_field(replaced_arena, kAttachedThreads);
  if (attached == 0) assert_failed(Assertion::kArenaDetachUnattached);
  set_arena_field(replaced_arena, kAttachedThreads, attached - 1);
}

void Allocator::remove_from_free_list(Addr arena) {
  Addr previous = 0;  // 0: free_list_ itself
  uint64_t steps = 0;
  for (Addr p = free_list_; p != 0; p = arena_field(p, kNextFree)) {
    guard_endless_loop(&steps);
    if (arena_field(p, kAttachedThreads) != 0) assert_failed(Assertion::kArenaFreeListAttached);
    if (p == arena) {
      const Addr next = arena_field(p, kNextFree);
      if (previous == 0) {
        free_list_ = next;
      } else {
        set_arena_field(previous, kNextFree, next);
      }
      return;
    }
    previous = p;
  }
}

// Round the arena list from next_to_use for one whose lock is free (every real one is, between
// the calls of a schedule); an arena whose mutex word is not 0 is skipped, and where every one
// is, glibc waits for a lock nobody will release.
Addr Allocator::reused_arena(Addr avoid_arena) {
  if (next_to_use_ == 0) next_to_use_ = main_arena();
  Addr result = next_to_use_;
  uint64_t steps = 0;
  do {
    guard_endless_loop(&steps);
    if (static_cast<uint32_t>(arena_field(result, kMutex)) == 0) break;  // __libc_lock_trylock
    result = arena_field(result, kNext);
  } while (result != next_to_use_);
  if (static_cast<uint32_t>(arena_field(result, kMutex)) != 0) {
    if (result == avoid_arena) result = arena_field(result, kNext);
    if (static_cast<uint32_t>(arena_field(result, kMutex)) != 0) report_hang(fatal_);
  }
  detach_arena(thread_arena_);
  remove_from_free_list(result);
  set_arena_field(result, kAttachedThreads, arena_field(result, kAttachedThreads) + 1);
  thread_arena_ = result;
  next_to_use_ = arena_field(result, kNext);
  return result;
}

// After a failure: from a non-main arena back to main_arena; from main_arena to another.
Addr Allocator::arena_get_retry(Addr ar_ptr, uint64_t bytes) {
  if (ar_ptr != main_arena()) return main_arena();
  return arena_get2(bytes, ar_ptr);
}

Addr Allocator::int_new_arena(uint64_t size) {
  constexpr uint64_t kOverhead = sizeof(HeapInfo) + sizeof(MallocState) + kMallocAlignment;
  Addr h = new_heap(size + kOverhead, mp().top_pad);
  if (h == 0) {
    // The request may not fit one heap: a minimal arena, whose _int_malloc then maps it.
    h = new_heap(kOverhead, mp().top_pad);
    if (h == 0) return 0;
  }
  const Addr a = h + sizeof(HeapInfo);
  store(h + offsetof(HeapInfo, ar_ptr), a);
  const uint64_t heap_size = load(h + offsetof(HeapInfo, size));
  const MallocState* const caller_arena = arena_;
  const uint64_t caller_bit = arena_bit_;
  use_arena(a);
  malloc_init_state();
  MallocState& s = av();
  s.attached_threads = 1;
  s.system_mem = s.max_system_mem = heap_size;
  // Top starts at the first aligned chunk after the malloc_state.
  ChunkAddr ptr{a + sizeof(MallocState)};
  const uint64_t misalign = chunk2mem(ptr).raw() & kMallocAlignMask;
  if (misalign > 0) ptr = ptr.plus(kMallocAlignment - misalign);
  s.top = ptr.raw();
  set_head(ptr, (h + heap_size - ptr.raw()) | kPrevInuse);
  const Addr replaced_arena = thread_arena_;
  thread_arena_ = a;
  s.mutex = 0;
  // At the front of the list after main_arena.
  s.next = arena_field(main_arena(), kNext);
  set_arena_field(main_arena(), kNext, a);
  note_range(a, sizeof(MallocState));
  arena_ = const_cast<MallocState*>(caller_arena);
  arena_bit_ = caller_bit;
  detach_arena(replaced_arena);
  return a;
}

bool Allocator::arenas_modelled_in(const GlibcProfile& profile) {
  return profile.minor >= 35 && arena_offset_of(profile) == 0 && profile.have_fastchunks_field &&
         !profile.free_checks_after_tcache && profile.fastbins;
}

}  // namespace heaptwin::alloc
