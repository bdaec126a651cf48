// realloc: __libc_realloc's dispatch (NULL, zero size, mmapped chunks through mremap) and
// _int_realloc (shrink in place with a split, grow into top or a free next chunk, else move
// through _int_malloc, memcpy and _int_free).
#include <cerrno>

#include "allocator/abort_messages.h"
#include "allocator/allocator.h"
#include "allocator/bins.h"

namespace heaptwin::alloc {

UserAddr Allocator::realloc(UserAddr oldmem, uint64_t bytes) {
  malloc_hook_pending_ = false;  // realloc_hook_ini clears __malloc_hook too
  if (!malloc_initialized()) ptmalloc_init();
  if (bytes == 0 && oldmem != 0) {  // REALLOC_ZERO_BYTES_FREES
    free(oldmem);
    return 0;
  }
  if (oldmem == 0) return malloc(bytes);
  const ChunkAddr oldp = mem2chunk(oldmem);
  if (profile_.realloc_close_fit_16) return realloc_v243(oldmem, bytes);
  if (profile_.realloc_keeps_close_fit) {
    // Before any check: musable() reads the chunk's size and its neighbour's PREV_INUSE.
    const uint64_t usable = musable(oldmem);
    if (bytes <= usable) {
      const uint64_t difference = usable - bytes;
      if (difference < 2 * kSizeSz ||
          (chunk_is_mmapped(oldp) && difference <= profile_.page_size)) {
        return oldmem;
      }
    }
  }
  const uint64_t oldsize = chunksize(oldp);
  const bool mmapped = chunk_is_mmapped(oldp);
  Addr ar_ptr = main_arena();  // arena_for_chunk
  if (!mmapped) {
    if (tcache_ == 0) tcache_init();
    if (!chunk_main_arena(oldp)) {
      ar_ptr = load(heap_for_ptr(oldp));
      const bool followed = arenas_modelled() && owned(ar_ptr - arena_offset_, sizeof(MallocState));
      if (ar_ptr != main_arena() && !followed) report_fault(fatal_, ar_ptr);
    }
  }
  if (oldp.raw() > static_cast<uint64_t>(0) - oldsize || misaligned_chunk(oldp)) {
    malloc_printerr(msg::kReallocInvalidPointer, oldmem);
  }
  uint64_t nb = checked_request2size(bytes);
  if (nb == 0) {
    errno_ = ENOMEM;
    return 0;
  }
  if (mmapped) {
    ChunkAddr newp = mremap_chunk(oldp, nb);
    if (newp != 0) return chunk2mem(newp);
    if (oldsize - kSizeSz >= nb) return oldmem;
    UserAddr newmem = malloc(bytes);
    if (newmem == 0) return 0;
    copy_block(newmem, oldmem, oldsize - kChunkHdrSz);
    munmap_chunk(oldp);
    return newmem;
  }
  use_arena(ar_ptr);
  UserAddr newmem = int_realloc(oldp, oldsize, nb);
  leave_arena();
  if (arenas_modelled()) check_arena_of(newmem, ar_ptr, Assertion::kReallocArena);
  if (newmem == 0 && !single_thread_) {
    // "Try harder to allocate memory in other arenas": __libc_malloc, and the old chunk freed
    // into its own arena.
    newmem = malloc(bytes);
    if (newmem != 0) {
      copy_block(newmem, oldmem, oldsize - kSizeSz);
      use_arena(ar_ptr);
      int_free(oldp);
      leave_arena();
    }
    return newmem;
  }
  if (newmem == 0 && profile_.retry_in_other_arena) {
    // Before 2.27: "Try harder to allocate memory in other arenas" through __libc_malloc.
    newmem = malloc(bytes);
    if (newmem != 0) {
      copy_block(newmem, oldmem, oldsize - kSizeSz);
      int_free(oldp);
    }
  }
  return newmem;
}

// 2.43 __libc_realloc ("malloc: Cleanup libc_realloc"): a request growing within 15 bytes of the
// usable size keeps the block, before any check; no tcache set-up (it is lazy); an mmapped block
// that mremap cannot resize is kept when the request fits its usable size.
UserAddr Allocator::realloc_v243(UserAddr oldmem, uint64_t bytes) {
  const ChunkAddr oldp = mem2chunk(oldmem);
  const uint64_t usable = musable(oldmem);
  if (bytes <= usable && usable - bytes < 2 * kSizeSz) return oldmem;
  const uint64_t oldsize = chunksize(oldp);
  if (oldp.raw() > static_cast<uint64_t>(0) - oldsize || misaligned_chunk(oldp)) {
    malloc_printerr(msg::kReallocInvalidPointer);
  }
  const uint64_t nb = checked_request2size(bytes);
  if (nb == 0) {
    errno_ = ENOMEM;
    return 0;
  }
  if (chunk_is_mmapped(oldp)) {
    ChunkAddr newp = mremap_chunk(oldp, nb);
    if (newp != 0) return chunk2mem(newp);
    if (bytes <= usable) return oldmem;
    UserAddr newmem = malloc(bytes);
    if (newmem == 0) return 0;
    copy_block(newmem, oldmem, oldsize - kChunkHdrSz);
    munmap_chunk(oldp);
    return newmem;
  }
  if (!chunk_main_arena(oldp)) {  // arena_for_chunk
    Addr ar_ptr = load(heap_for_ptr(oldp));
    if (ar_ptr != main_arena()) {
      report_unmodelled(fatal_,
                        "realloc in the arena a NON_MAIN_ARENA chunk's heap_info names "
                        "(2.43's malloc_state)");
    }
  }
  return int_realloc(oldp, oldsize, nb);
}

// _int_free (av, p, 1) as realloc and sysmalloc call it; 2.42's _int_free_chunk never caches.
void Allocator::free_in_malloc(ChunkAddr p) {
  if (profile_.remainders_bypass_tcache) {
    int_free_chunk(p, chunksize(p));
  } else {
    int_free(p, true);
  }
}

UserAddr Allocator::int_realloc(ChunkAddr oldp, uint64_t oldsize, uint64_t nb) {
  if (chunksize_nomask(oldp) <= kChunkHdrSz || oldsize >= av().system_mem) {
    malloc_printerr(msg::kReallocInvalidOldSize, chunk2mem(oldp));
  }
  ChunkAddr next = chunk_at_offset(oldp, oldsize);
  uint64_t nextsize = chunksize(next);
  if (chunksize_nomask(next) <= kChunkHdrSz || nextsize >= av().system_mem) {
    malloc_printerr(msg::kReallocInvalidNextSize, chunk2mem(oldp));
  }
  ChunkAddr newp;
  uint64_t newsize;
  if (oldsize >= nb) {
    newp = oldp;
    newsize = oldsize;
  } else if (next == top() && (newsize = oldsize + nextsize) >= nb + kMinSize) {
    // Grow into top.
    set_head(oldp, nb | (chunksize_nomask(oldp) & kSizeBits) | arena_bit_);
    set_top(chunk_at_offset(oldp, nb));
    set_head(top(), (newsize - nb) | kPrevInuse);
    return chunk2mem(oldp);
  } else if (next != top() && !inuse_bit_at_offset(next, nextsize) &&
             (newsize = oldsize + nextsize) >= nb) {
    // Grow into the free next chunk.
    newp = oldp;
    unlink_chunk(next);
  } else {
    UserAddr newmem = int_malloc(nb - kMallocAlignMask);
    if (newmem == 0) return 0;
    newp = mem2chunk(newmem);
    newsize = chunksize(newp);
    if (newp == next) {
      // The new chunk is the one right after: no copy, one bigger chunk.
      newsize += oldsize;
      newp = oldp;
    } else {
      UserAddr oldmem = chunk2mem(oldp);
      uint64_t sz = oldsize - kChunkHdrSz + kSizeSz;  // memsize (oldp)
      if (profile_.realloc_copies_words) {
        // Up to 9 words, one by one: 3, 5, 7 or 9 of them (an odd count but for a forged size).
        const uint64_t ncopies = sz / kSizeSz;
        if (ncopies < 3) assert_failed(Assertion::kReallocCopies);
        if (ncopies <= 9) sz = ((ncopies & 1) != 0 ? ncopies : ncopies - 1) * kSizeSz;
      }
      if (!owned(oldmem.raw(), sz)) report_fault(fatal_, oldmem.raw());
      if (!owned(newmem.raw(), sz)) report_fault(fatal_, newmem.raw());
      std::memmove(reinterpret_cast<void*>(newmem.raw()),
                   reinterpret_cast<const void*>(oldmem.raw()), sz);
      note_range(newmem.raw(), sz);
      free_in_malloc(oldp);
      return newmem;
    }
  }
  uint64_t remainder_size = newsize - nb;
  if (remainder_size < kMinSize) {
    set_head(newp, newsize | (chunksize_nomask(newp) & kSizeBits) | arena_bit_);  // set_head_size
    set_inuse_bit_at_offset(newp, newsize);
  } else {
    ChunkAddr remainder = chunk_at_offset(newp, nb);
    set_head(newp, nb | (chunksize_nomask(newp) & kSizeBits) | arena_bit_);
    set_head(remainder, remainder_size | kPrevInuse | arena_bit_);
    set_inuse_bit_at_offset(remainder, remainder_size);
    free_in_malloc(remainder);
  }
  return chunk2mem(newp);
}

ChunkAddr Allocator::mremap_chunk(ChunkAddr p, uint64_t new_size) {
  const uint64_t pagesize = profile_.page_size;
  uint64_t offset = mmap_base_offset(p);
  const uint64_t huge_page = prev_size(p) & kMmapHugePage;  // 2.43 mmap_is_hp
  uint64_t size = chunksize(p);
  Addr block = p.raw() - offset;  // the mapping
  UserAddr mem = chunk2mem(p);
  uint64_t total_size = mmap_size(p);
  uint64_t in_page = mem.raw() & (pagesize - 1);
  if (!profile_.mmapped_pointer_checks) {
    // Before 2.29: only the length is asserted to be whole pages.
    if ((total_size & (pagesize - 1)) != 0) assert_failed(Assertion::kMremapChunk);
  } else if (((block | total_size) & (pagesize - 1)) != 0 || (in_page & (in_page - 1)) != 0) {
    malloc_printerr(msg::kMremapInvalidPointer);
  }
  const uint64_t header = profile_.mmap_chunk_offset ? kChunkHdrSz : kSizeSz;
  new_size = align_up(new_size + offset + header, pagesize);
  if (total_size == new_size) return p;
  Addr cp = memory_->mremap(block, total_size, new_size);
  if (cp == Memory::kFailure) return 0;
  p = ChunkAddr{cp + offset};
  if (profile_.mmap_chunk_offset) {
    // 2.43 mmap_set_chunk (the huge-page bit is never set here). mmapped_mem below still adds
    // new_size - size - offset, 0x10 more than the mapping grew, as glibc does.
    set_prev_size(p, offset | huge_page);
    set_head(p, (new_size - offset - kChunkHdrSz) | kIsMmapped);
  } else {
    set_head(p, (new_size - offset) | kIsMmapped);
  }
  mp().mmapped_mem += new_size - size - offset;
  if (mp().mmapped_mem > mp().max_mmapped_mem) mp().max_mmapped_mem = mp().mmapped_mem;
  return p;
}

}  // namespace heaptwin::alloc
