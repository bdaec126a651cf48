// Large bins: each holds a range of sizes, kept sorted largest first, with a second doubly
// linked "nextsize" list through the first chunk of each size (the skip list). Insertion happens
// during the unsorted scan; a large request takes the best fit.
#include "allocator/abort_messages.h"
#include "allocator/allocator.h"
#include "allocator/bins.h"
#include "allocator/dcheck.h"
#include "allocator/list_cycle.h"

namespace heaptwin::alloc {

void Allocator::large_bin_insert(ChunkAddr victim, uint64_t size, ChunkAddr* bck_out,
                                 ChunkAddr* fwd_out, uint32_t victim_index) {
  HEAPTWIN_TWIN_DCHECK(victim_index == largebin_index(size));
  ChunkAddr bck = bin_at(victim_index);
  ChunkAddr fwd = fd(bck);
  if (fwd != bck) {
    // Compared against raw size fields: PREV_INUSE is set in every chunk of a bin.
    size |= kPrevInuse;
    if (!chunk_main_arena(bk(bck))) assert_failed(Assertion::kLargeBinBck);
    if (size < chunksize_nomask(bk(bck))) {
      // Smaller than everything: goes last, and leads a new size group at the end of the ring.
      fwd = bck;
      bck = bk(bck);
      if (profile_.largebin_smallest_check && fd_nextsize(bk_nextsize(fd(fwd))) != fd(fwd)) {
        malloc_printerr(msg::kLargebinNextsize);
      }
      set_fd_nextsize(victim, fd(fwd));
      set_bk_nextsize(victim, bk_nextsize(fd(fwd)));
      set_fd_nextsize(bk_nextsize(victim), victim);
      set_bk_nextsize(fd(fwd), victim);
    } else {
      if (!chunk_main_arena(fwd)) assert_failed(Assertion::kLargeBinFwd);
      ListCycle cycle;  // the walk writes nothing: a ring that never reaches the size repeats
      while (size < chunksize_nomask(fwd)) {
        if (cycle.repeats(fwd.raw())) report_proven_hang(fatal_);
        fwd = fd_nextsize(fwd);
        if (!chunk_main_arena(fwd)) assert_failed(Assertion::kLargeBinFwdWalk);
      }
      if (size == chunksize_nomask(fwd)) {
        // Same size as an existing group: insert after its leader, outside the skip list.
        fwd = fd(fwd);
      } else {
        set_fd_nextsize(victim, fwd);
        set_bk_nextsize(victim, bk_nextsize(fwd));
        if (profile_.largebin_insert_checks && fd_nextsize(bk_nextsize(fwd)) != fwd) {
          malloc_printerr(msg::kLargebinNextsize);
        }
        set_bk_nextsize(fwd, victim);
        set_fd_nextsize(bk_nextsize(victim), victim);
      }
      bck = bk(fwd);
      if (profile_.largebin_insert_checks && fd(bck) != fwd) malloc_printerr(msg::kLargebinBk);
    }
  } else {
    set_fd_nextsize(victim, victim);
    set_bk_nextsize(victim, victim);
  }
  *bck_out = bck;
  *fwd_out = fwd;
}

UserAddr Allocator::large_bin_best_fit(uint64_t nb, uint32_t idx) {
  HEAPTWIN_TWIN_DCHECK(!in_smallbin_range(nb) && idx == largebin_index(nb));
  ChunkAddr bin = bin_at(idx);
  ChunkAddr victim = fd(bin);  // first (bin): the largest
  if (victim == bin || chunksize_nomask(victim) < nb) return 0;
  // Walk the skip list from the smallest size up to the first that fits.
  victim = bk_nextsize(victim);
  uint64_t size;
  ListCycle cycle;  // the walk writes nothing
  while ((size = chunksize(victim)) < nb) {
    if (cycle.repeats(victim.raw())) report_proven_hang(fatal_);
    victim = bk_nextsize(victim);
  }
  // Prefer the second chunk of a size group, so the skip list need not be rerouted.
  if (victim != bk(bin) && chunksize_nomask(victim) == chunksize_nomask(fd(victim))) {
    victim = fd(victim);
  }
  unlink_chunk(victim);
  return split_to_unsorted(victim, size, nb, msg::kUnsortedCorrupted, false);
}

}  // namespace heaptwin::alloc
