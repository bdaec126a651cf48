// The unsorted scan: the only place chunks are sorted into bins. Each chunk taken off the back
// of the unsorted bin is checked, then either handed out (the last remainder split for a small
// request; an exact fit, which goes to the tcache first while its bin has room), or placed into
// its small or large bin. At most MAX_ITERS chunks are sorted per pass.
#include "allocator/abort_messages.h"
#include "allocator/allocator.h"
#include "allocator/bins.h"

namespace heaptwin::alloc {

// 2.29's "Additional checks for unsorted bin integrity I".
void Allocator::unsorted_chunk_checks(ChunkAddr victim, ChunkAddr bck, uint64_t size) {
  const ChunkAddr next = chunk_at_offset(victim, size);
  if (size <= kChunkHdrSz || size > av().system_mem) malloc_printerr(msg::kUnsortedInvalidSize);
  const uint64_t next_head = chunksize_nomask(next);
  if (next_head < kChunkHdrSz || next_head > av().system_mem) {
    malloc_printerr(msg::kUnsortedInvalidNextSize);
  }
  if ((prev_size(next) & ~kSizeBits) != size) malloc_printerr(msg::kUnsortedMismatchPrevSize);
  if (fd(bck) != victim || fd(victim) != unsorted_chunks()) {
    malloc_printerr(msg::kUnsortedDoubleLinkedList);
  }
  if (prev_inuse(next)) malloc_printerr(msg::kUnsortedNextPrevInuse);
}

UserAddr Allocator::unsorted_scan(uint64_t nb, UnsortedScan* scan) {
  const ChunkAddr unsorted = unsorted_chunks();
  int iters = 0;
  uint64_t steps = 0;
  ChunkAddr victim;
  while ((victim = bk(unsorted)) != unsorted) {
    guard_endless_loop(&steps);
    ChunkAddr bck;
    uint64_t size;
    if (profile_.unsorted_checks) {
      // Every release's build loads the size field before bk: a victim in unmapped memory
      // (unsorted->bk forged to NULL) faults at +0x8 in real 2.31, 2.36, 2.41, 2.43 and 2.44
      // (tests/golden/fault_unsorted_victim_null.heap).
      size = chunksize(victim);
      bck = bk(victim);
      unsorted_chunk_checks(victim, bck, size);
    } else {
      // Before 2.29: the raw size field only. The 2.23 and 2.27 builds load it before bk (a
      // victim in unmapped memory faults at its size field; 2.23 loads bk before the check).
      const uint64_t head = chunksize_nomask(victim);
      bck = bk(victim);
      size = head & ~kSizeBits;
      if (head <= kChunkHdrSz || head > av().system_mem) {
        malloc_printerr(msg::kMemoryCorruption, chunk2mem(victim));
      }
    }

    // A small request served from the last remainder when it is the only unsorted chunk.
    if (in_smallbin_range(nb) && bck == unsorted && victim == last_remainder() &&
        size > nb + kMinSize) {
      uint64_t remainder_size = size - nb;
      ChunkAddr remainder = chunk_at_offset(victim, nb);
      set_bk(unsorted, remainder);
      set_fd(unsorted, remainder);
      set_last_remainder(remainder);
      set_bk(remainder, unsorted);
      set_fd(remainder, unsorted);
      return finish_split(victim, nb, remainder, remainder_size);
    }

    if (profile_.unsorted_check_3 && fd(bck) != victim) malloc_printerr(msg::kUnsortedCorrupted3);
    set_bk(unsorted, bck);
    set_fd(bck, unsorted);

    if (size == nb) {
      set_inuse_bit_at_offset(victim, size);
      set_non_main_arena(victim);
      // 2.43, on every exact fit (2.44 caches none here).
      if (profile_.tcache_lazy && profile_.unsorted_stashes_exact_fits) tcache_init_if_inactive();
      if (scan->tcache_nb != 0 && tcache_ != 0 && tcache_room(scan->tc_idx)) {
        // Cache it and keep scanning; one cached chunk is returned at the end.
        tcache_put(victim, scan->tc_idx);
        scan->return_cached = true;
        continue;  // glibc's `continue`: neither the unsorted count nor iters advance
      }
      return chunk2mem(victim);
    }

    uint32_t victim_index;
    ChunkAddr fwd;
    if (in_smallbin_range(size)) {
      victim_index = smallbin_index(size);
      bck = bin_at(victim_index);
      fwd = fd(bck);
    } else {
      victim_index = largebin_index(size);
      large_bin_insert(victim, size, &bck, &fwd, victim_index);
    }
    mark_bin(victim_index);
    set_bk(victim, bck);
    set_fd(victim, fwd);
    set_bk(fwd, victim);
    set_fd(bck, victim);

    ++scan->tcache_unsorted_count;
    if (scan->return_cached && mp().tcache_unsorted_limit > 0 &&
        scan->tcache_unsorted_count > mp().tcache_unsorted_limit) {
      returned_cached_ = true;
      return tcache_get(scan->tc_idx);
    }
    if (++iters >= kMaxIters) break;
  }
  if (scan->return_cached) {
    returned_cached_ = true;
    return tcache_get(scan->tc_idx);
  }
  return 0;
}

}  // namespace heaptwin::alloc
