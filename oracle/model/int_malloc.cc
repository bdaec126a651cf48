// _int_malloc: where a chunk of size nb comes from, in glibc's order of preference.
//   1. the fastbin of nb (then the rest of that fastbin moves into the tcache)
//   2. small nb: the small bin of nb, oldest chunk first (then the rest moves into the tcache);
//      large nb: consolidate fastbins first
//   3. the unsorted scan, oldest first: the last remainder for a small nb when it is alone;
//      exact fits (to the tcache while it has room, else returned at once); everything else is
//      sorted into its small or large bin
//   4. large nb: best fit in nb's own large bin
//   5. the smallest chunk of the next non-empty bin above nb's, split
//   6. top; if top is too small: consolidate fastbins and go back to 3, or sysmalloc
#include "oracle/model/policy.h"

namespace heaptwin::model {

Alloc Policy::heap_alloc(uint64_t off) const {
  Alloc a;
  a.block = Block{false, off};
  a.chunk_size = heap_.at(off).size;
  return a;
}

// Takes binned (already unlinked) chunk `off` for nb: the whole chunk when the rest would be
// smaller than MINSIZE, else nb of it with the rest put at the front of the unsorted bin.
Alloc Policy::split_binned(uint64_t off, uint64_t nb, bool set_last_remainder) {
  Chunk& c = heap_.at(off);
  c.state = ChunkState::kInUse;
  c.bin = 0;
  if (c.size - nb >= kMinSize) {
    const uint64_t rem = heap_.split(off, nb);
    Chunk& r = heap_.at(rem);
    r.state = ChunkState::kBinned;
    r.bin = 1;
    bins_.unsorted().push_front(Rec{rem, r.size});
    if (set_last_remainder) last_remainder_ = rem;
  }
  return heap_alloc(off);
}

Alloc Policy::int_malloc(uint64_t nb) {
  const uint64_t tc = tcache_index(nb);
  const bool tcache_usable = tcache_present_ && tc < par_.tcache_bins;

  // 1. Fastbin hit.
  if (nb <= par_.global_max_fast) {
    List& fb = bins_.fast[fastbin_index(nb)];
    if (!fb.empty()) {
      const uint64_t victim = fb.front().off;
      fb.pop_front();
      heap_.at(victim).state = ChunkState::kInUse;
      while (tcache_usable && tcache_has_room(nb) && !fb.empty()) {
        const uint64_t off = fb.front().off;
        fb.pop_front();
        tcache_put(off);
      }
      return heap_alloc(victim);
    }
  }

  // 2. Small bin hit, or consolidation before a large request.
  int idx;
  if (in_smallbin_range(nb)) {
    idx = smallbin_index(nb);
    List& b = bins_.bins[idx];
    if (!b.empty()) {
      const uint64_t victim = b.back().off;
      b.pop_back();
      Chunk& v = heap_.at(victim);
      v.state = ChunkState::kInUse;
      v.bin = 0;
      while (tcache_usable && tcache_has_room(nb) && !b.empty()) {
        const uint64_t off = b.back().off;
        b.pop_back();
        heap_.at(off).bin = 0;
        tcache_put(off);
      }
      return heap_alloc(victim);
    }
  } else {
    idx = largebin_index(nb);
    if (have_fastchunks_) malloc_consolidate();
  }

  bool return_cached = false;
  uint64_t unsorted_sorted = 0;
  for (;;) {
    // 3. The unsorted scan.
    int iters = 0;
    List& unsorted = bins_.unsorted();
    while (!unsorted.empty()) {
      const Rec v = unsorted.back();
      if (in_smallbin_range(nb) && unsorted.size() == 1 && last_remainder_ == v.off &&
          v.size > nb + kMinSize) {
        unsorted.pop_back();
        return split_binned(v.off, nb, true);
      }
      unsorted.pop_back();
      Chunk& c = heap_.at(v.off);
      if (v.size == nb) {
        c.bin = 0;
        if (tcache_usable && tcache_has_room(nb)) {
          tcache_put(v.off);
          return_cached = true;
          continue;  // an exact fit cached does not count towards MAX_ITERS
        }
        c.state = ChunkState::kInUse;
        return heap_alloc(v.off);
      }
      c.bin = bin_index(v.size);
      bins_.place(c.bin, v);
      ++unsorted_sorted;
      if (return_cached && par_.tcache_unsorted_limit > 0 &&
          unsorted_sorted > par_.tcache_unsorted_limit) {
        return heap_alloc(tcache_get(tc));
      }
      if (++iters >= kMaxIters) break;
    }
    if (return_cached) return heap_alloc(tcache_get(tc));

    // 4. Best fit in nb's own large bin.
    if (!in_smallbin_range(nb)) {
      const int p = bins_.best_fit(idx, nb);
      if (p >= 0) {
        const uint64_t off = bins_.bins[idx][p].off;
        bins_.bins[idx].erase(bins_.bins[idx].begin() + p);
        return split_binned(off, nb, false);
      }
    }

    // 5. The next non-empty bin above idx (binmap search; empty marked bins get unmarked).
    for (int i = idx + 1; i < kNumBins; ++i) {
      i = bins_.marked.first_marked_from(i);
      if (i == kNumBins) break;
      List& b = bins_.bins[i];
      if (b.empty()) {
        bins_.marked.unmark(i);
        continue;
      }
      const uint64_t off = b.back().off;
      b.pop_back();
      return split_binned(off, nb, in_smallbin_range(nb));
    }

    // 6. Top.
    if (heap_.started() && heap_.top_size() >= nb + kMinSize)
      return heap_alloc(heap_.take_from_top(nb));
    if (have_fastchunks_) {
      malloc_consolidate();
      idx = bin_index(nb);
      continue;
    }
    return sysmalloc(nb);
  }
}

}  // namespace heaptwin::model
