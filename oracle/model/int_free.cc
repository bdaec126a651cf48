// _int_free and malloc_consolidate: where a freed chunk goes.
//   1. the tcache, while its bin has room
//   2. the fastbin of its size (size <= global_max_fast); the arena now "has fastchunks"
//   3. otherwise it merges with a free (binned) neighbour on either side, then goes to the front
//      of the unsorted bin, or into top when it borders top. A merged size of 64 KiB or more
//      consolidates the fastbins and trims top when top reaches trim_threshold.
// malloc_consolidate empties the fastbins in bin order, head first, merging each chunk the same
// way (step 3, without the 64 KiB rule).
#include "oracle/model/policy.h"

namespace heaptwin::model {

void Policy::unlink_binned(uint64_t off) {
  Chunk& c = heap_.at(off);
  bins_.remove(c.bin, off);
  c.bin = 0;
  c.state = ChunkState::kInUse;
}

// Step 3 for chunk `off`: returns the merged size.
uint64_t Policy::merge_and_bin(uint64_t off) {
  if (auto prev = heap_.prev_of(off); prev && heap_.at(*prev).state == ChunkState::kBinned) {
    unlink_binned(*prev);
    heap_.join(*prev, off);
    off = *prev;
  }
  const uint64_t next = heap_.next_of(off);
  if (next == heap_.top()) {
    const uint64_t size = heap_.at(off).size + heap_.top_size();
    heap_.merge_into_top(off);
    return size;
  }
  if (heap_.at(next).state == ChunkState::kBinned) {
    unlink_binned(next);
    heap_.join(off, next);
  }
  Chunk& c = heap_.at(off);
  c.state = ChunkState::kBinned;
  c.bin = 1;
  bins_.unsorted().push_front(Rec{off, c.size});
  return c.size;
}

void Policy::int_free(uint64_t off) {
  const uint64_t size = heap_.at(off).size;
  if (tcache_has_room(size)) {
    tcache_put(off);
    return;
  }
  if (size <= par_.global_max_fast) {
    have_fastchunks_ = true;
    heap_.at(off).state = ChunkState::kFast;
    bins_.fast[fastbin_index(size)].push_front(Rec{off, size});
    return;
  }
  const uint64_t merged = merge_and_bin(off);
  if (merged >= kFastbinConsolidationThreshold) {
    if (have_fastchunks_) malloc_consolidate();
    if (heap_.top_size() >= par_.trim_threshold) systrim(par_.top_pad);
  }
}

void Policy::malloc_consolidate() {
  have_fastchunks_ = false;
  for (List& fb : bins_.fast) {
    List chunks;
    chunks.swap(fb);
    for (const Rec& r : chunks) merge_and_bin(r.off);
  }
}

}  // namespace heaptwin::model
