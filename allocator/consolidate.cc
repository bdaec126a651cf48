// malloc_consolidate: empties every fastbin, merging each chunk with its free neighbours into
// the unsorted bin (or top). Runs for a large request with fastchunks present, when top cannot
// serve a request while fastchunks exist, on a free whose merged size reaches 64 KiB, and from
// mallopt and malloc_trim.
#include "allocator/abort_messages.h"
#include "allocator/allocator.h"
#include "allocator/bins.h"

namespace heaptwin::alloc {

void Allocator::malloc_consolidate() {
  // Before 2.27 the arena is set up here, the first time (global_max_fast still 0).
  if (profile_.lazy_arena_init && global_max_fast() == 0) {
    arena_set_up_again_ |= top() != 0;
    malloc_init_state();
    return;
  }
  set_have_fastchunks(false);
  const ChunkAddr unsorted_bin = unsorted_chunks();
  uint64_t steps = 0;
  // A cyclic fastbin can keep this loop going for ever: its writes may keep the cycle (a chunk
  // merged into top whose size comes to 0 is top again). That is proven, not waited for, once
  // the loop has run longer than a real heap's consolidation: from the start, showing every
  // store to the proof made each consolidation 5x dearer (bench:tcache_loop 20000 12).
  constexpr uint64_t kProofAfterSteps = uint64_t{1} << 16;
  loop_repeat_.start();
  for (uint32_t i = 0; i < kNFastBins; ++i) {
    ChunkAddr p{fastbin(i)};
    fastbin(i) = 0;
    while (p != 0) {
      guard_endless_loop(&steps);
      // top: set by reference. Without stores shown (the drop-in) there is no proof.
      if (kShowsStores && steps >= kProofAfterSteps) {
        if (steps == kProofAfterSteps) set_loop_repeat(&loop_repeat_);
        if (loop_repeat_.repeats(i, p.raw(), av().top)) report_proven_hang(fatal_);
      }
      if (list_misaligned(p)) malloc_printerr(msg::kConsolidateUnaligned);
      if (profile_.consolidate_size_check && fastbin_index(chunksize(p)) != i) {
        malloc_printerr(msg::kConsolidateInvalidSize);
      }
      ChunkAddr nextp = fastbin_next(p);
      // Before 2.25 "malloc: Use accessors for chunk metadata access": IS_MMAPPED stays in.
      uint64_t size = profile_.consolidate_keeps_mmapped_bit
                          ? chunksize_nomask(p) & ~(kPrevInuse | kNonMainArena)
                          : chunksize(p);
      ChunkAddr nextchunk = chunk_at_offset(p, size);
      uint64_t nextsize = chunksize(nextchunk);
      if (!prev_inuse(p)) {
        uint64_t prevsize = prev_size(p);
        size += prevsize;
        p = p.minus(prevsize);
        if (profile_.consolidate_prevsize_checks && chunksize(p) != prevsize) {
          malloc_printerr(msg::kConsolidatePrevSize);
        }
        unlink_chunk(p);
      }
      if (nextchunk != top()) {
        bool nextinuse = inuse_bit_at_offset(nextchunk, nextsize);
        if (!nextinuse) {
          size += nextsize;
          unlink_chunk(nextchunk);
        } else {
          clear_inuse_bit_at_offset(nextchunk, 0);
        }
        // Pushed at the front of the unsorted bin without a list check (glibc has none here).
        ChunkAddr first_unsorted = fd(unsorted_bin);
        set_fd(unsorted_bin, p);
        set_bk(first_unsorted, p);
        if (!in_smallbin_range(size)) {
          set_fd_nextsize(p, 0);
          set_bk_nextsize(p, 0);
        }
        set_head(p, size | kPrevInuse);
        set_bk(p, unsorted_bin);
        set_fd(p, first_unsorted);
        set_foot(p, size);
      } else {
        size += nextsize;
        set_head(p, size | kPrevInuse);
        set_top(p);
      }
      p = nextp;
    }
  }
  set_loop_repeat(nullptr);
}

}  // namespace heaptwin::alloc
