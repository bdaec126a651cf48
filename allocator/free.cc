// From 2.42 free, realloc and sysmalloc call _int_free_chunk instead (allocator.cc: free_v242);
// 2.43's frees never reach _int_free, and have_fastchunks stays 0 there (no fastbins).
// _int_free: a chunk goes to its tcache bin while that has room, else to its fastbin (small
// sizes), else it merges with free neighbours (backward, then forward or into top) and goes to
// the unsorted bin. Freeing a merged size of 64 KiB or more consolidates the fastbins and trims
// the break when top reached trim_threshold.
#include "allocator/abort_messages.h"
#include "allocator/allocator.h"
#include "allocator/bins.h"

namespace heaptwin::alloc {

void Allocator::int_free(ChunkAddr p, bool have_lock) {
  uint64_t size = chunksize(p);
  // Sizes that would wrap the address space, and misaligned chunks, are not ours.
  if (p.raw() > static_cast<uint64_t>(0) - size || misaligned_chunk(p)) {
    malloc_printerr(msg::kFreeInvalidPointer, chunk2mem(p));
  }
  if (size < kMinSize || !aligned_ok(size)) malloc_printerr(msg::kFreeInvalidSize, chunk2mem(p));

  uint64_t tc_idx = csize2tidx(size);
  if (tcache_ != 0 && tc_idx < mp().tcache_bins) {
    UserAddr e = chunk2mem(p);
    if (tcache_key_of(e) == tcache_mark()) tcache_double_free_scan(e, tc_idx);
    if (tcache_count(tc_idx) < mp().tcache_count) {
      tcache_put(p, tc_idx);
      return;
    }
  }
  if (arena_ == nullptr) arena_unreadable(p, size);

  if (size <= global_max_fast()) {  // TRIM_FASTBINS is 0: chunks bordering top qualify too
    ChunkAddr next = chunk_at_offset(p, size);
    if (chunksize_nomask(next) <= kChunkHdrSz || chunksize(next) >= av().system_mem) {
      // glibc re-reads under the lock; single-threaded, the answer is the same.
      malloc_printerr(msg::kFreeInvalidNextSizeFast, chunk2mem(p));
    }
    free_perturb(chunk2mem(p), size - kChunkHdrSz);
    set_have_fastchunks(true);
    uint32_t idx = fastbin_index(size);
    uint64_t& fb = fastbin(idx);
    ChunkAddr old{fb};
    if (old == p) malloc_printerr(msg::kDoubleFreeFasttop, chunk2mem(p));
    set_fastbin_next(p, old);
    fb = p.raw();
    // Only with the lock may glibc look at the old head (another thread could reuse it).
    if (have_lock && old != 0 && fastbin_index(chunksize(old)) != idx) {
      malloc_printerr(msg::kInvalidFastbinEntry, chunk2mem(p));
    }
    return;
  }
  if (!chunk_is_mmapped(p)) {
    int_free_merge_chunk(p, size);
  } else {
    munmap_chunk(p);
  }
}

// _int_free_merge_chunk (2.41's name; the same steps inline in _int_free before): the checks
// against top and the next chunk, then backward consolidation.
void Allocator::int_free_merge_chunk(ChunkAddr p, uint64_t size) {
  ChunkAddr nextchunk = chunk_at_offset(p, size);
  if (p == top()) malloc_printerr(msg::kDoubleFreeTop, chunk2mem(p));
  if (contiguous() && nextchunk >= chunk_at_offset(top(), chunksize(top()))) {
    malloc_printerr(msg::kDoubleFreeOut, chunk2mem(p));
  }
  if (!prev_inuse(nextchunk)) malloc_printerr(msg::kDoubleFreePrev, chunk2mem(p));
  uint64_t nextsize = chunksize(nextchunk);
  if (chunksize_nomask(nextchunk) <= kChunkHdrSz || nextsize >= av().system_mem) {
    malloc_printerr(msg::kFreeInvalidNextSizeNormal, chunk2mem(p));
  }
  free_perturb(chunk2mem(p), size - kChunkHdrSz);
  if (!prev_inuse(p)) {
    uint64_t prevsize = prev_size(p);
    size += prevsize;
    p = p.minus(prevsize);
    if (profile_.consolidate_prevsize_checks && chunksize(p) != prevsize) {
      malloc_printerr(msg::kConsolidatingPrevSize);
    }
    unlink_chunk(p);
  }
  size = int_free_create_chunk(p, size, nextchunk, nextsize);
  int_free_maybe_consolidate(size);
}

// _int_free_create_chunk: forward consolidation, then into a bin (or top). Its size.
uint64_t Allocator::int_free_create_chunk(ChunkAddr p, uint64_t size, ChunkAddr nextchunk,
                                          uint64_t nextsize) {
  if (nextchunk == top()) {
    size += nextsize;
    set_head(p, size | kPrevInuse);
    set_top(p);
    return size;
  }
  if (!inuse_bit_at_offset(nextchunk, nextsize)) {
    unlink_chunk(nextchunk);
    size += nextsize;
  } else {
    clear_inuse_bit_at_offset(nextchunk, 0);
  }
  ChunkAddr bck, fwd;
  if (profile_.free_small_to_smallbin && in_smallbin_range(size)) {
    // 2.41: straight to its small bin, marked in the binmap.
    const uint32_t index = smallbin_index(size);
    bck = bin_at(index);
    fwd = fd(bck);
    if (bk(fwd) != bck) malloc_printerr(msg::kFreeSmallbinCorrupted);
    mark_bin(index);
  } else {
    // Given one chance to be used by malloc before it is binned.
    bck = unsorted_chunks();
    fwd = fd(bck);
    // Before 2.26 glibc names p as backward consolidation left it.
    if (bk(fwd) != bck) malloc_printerr(msg::kFreeCorruptedUnsorted, chunk2mem(p));
    if (!in_smallbin_range(size)) {
      set_fd_nextsize(p, 0);
      set_bk_nextsize(p, 0);
    }
  }
  set_fd(p, fwd);
  set_bk(p, bck);
  set_fd(bck, p);
  set_bk(fwd, p);
  set_head(p, size | kPrevInuse);
  set_foot(p, size);
  return size;
}

// _int_free_maybe_consolidate: freeing a large space consolidates the fastbins and trims.
void Allocator::int_free_maybe_consolidate(uint64_t size) {
  if (size >= kFastbinConsolidationThreshold) {
    if (have_fastchunks()) malloc_consolidate();
    if (arena_ == libc_.main_arena) {
      if (chunksize(top()) >= mp().trim_threshold) systrim(mp().top_pad);
      return;
    }
    // Always heap_trim: the heap may go away whatever top's size.
    const Addr heap = heap_for_ptr(top());
    if (load(heap) != arena_struct() + arena_offset_) assert_failed(Assertion::kFreeHeapArena);
    heap_trim(heap, mp().top_pad);
  }
}

}  // namespace heaptwin::alloc
