// arena_for_chunk (arena.c): a chunk whose size has NON_MAIN_ARENA belongs to the arena that the
// heap_info at the HEAP_MAX_SIZE (64 MiB) boundary at or below it names (heap_for_ptr(p)->ar_ptr,
// at offset 0): one of the twin's own arenas (arena.cc), or whatever that word names, as glibc
// does: house_of_mind forges a heap_info and an arena inside the heap, and free writes the chunk
// into that arena's bins.
#include <cstddef>

#include "allocator/allocator.h"

namespace heaptwin::alloc {

void Allocator::int_free_in_arena_of(ChunkAddr p) {
  const Addr ar_ptr = load(heap_for_ptr(p));  // faults where no heap_info is mapped
  if (ar_ptr == main_arena()) return int_free(p);
  // The twin reads an arena in place, as a malloc_state, so it follows one only where all of
  // it is memory it owns; glibc reads it only past the tcache (arena_unreadable).
  named_arena_ = ar_ptr;
  const Addr state = ar_ptr - arena_offset_;  // the struct, as for main_arena (allocator.h)
  arena_ = owned(state, sizeof(MallocState)) ? reinterpret_cast<MallocState*>(state) : nullptr;
  arena_bit_ = kNonMainArena;
  int_free(p);
  // The arena's fields were written in place, not through store(): one range for the write log.
  leave_arena();
}

void Allocator::arena_unreadable(ChunkAddr p, uint64_t size) const {
  // The first field glibc 2.36's _int_free reads (single-threaded: no lock but the one below).
  uint64_t first;
  if (size <= global_max_fast()) {
    // The next chunk's size is checked against av->system_mem; a size at or below the header's
    // sends glibc to re-check under av->mutex first.
    first = chunksize_nomask(chunk_at_offset(p, size)) <= kChunkHdrSz
                ? offsetof(MallocState, mutex)
                : offsetof(MallocState, system_mem);
  } else {
    first = offsetof(MallocState, top);  // "double free or corruption (top)": p == av->top
  }
  if (first != offsetof(MallocState, mutex)) first -= arena_offset_;  // as laid in the struct
  if (!owned(named_arena_ + first, 8)) report_fault(fatal_, named_arena_ + first);
  report_unmodelled(fatal_,
                    "free into the arena a NON_MAIN_ARENA chunk's heap_info names, which "
                    "lies partly outside the twin's memory");
}

}  // namespace heaptwin::alloc
