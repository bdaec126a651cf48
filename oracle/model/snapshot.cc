#include "oracle/model/snapshot.h"

namespace heaptwin::model {

namespace {

BinList list_of(const List& l) {
  BinList out;
  for (const Rec& r : l) out.chunks.push_back(ChunkRef{static_cast<int64_t>(r.off), r.size, false});
  return out;
}

// A large bin's fd_nextsize chain: the first chunk of each size, largest first.
BinList nextsize_of(const List& l) {
  BinList out;
  for (size_t i = 0; i < l.size(); ++i) {
    if (i == 0 || l[i].size != l[i - 1].size)
      out.chunks.push_back(ChunkRef{static_cast<int64_t>(l[i].off), l[i].size, false});
  }
  return out;
}

}  // namespace

ArenaSnapshot snapshot_of(const Policy& policy) {
  ArenaSnapshot s;
  s.valid = true;
  const Bins& bins = policy.bins();
  // Tunables take effect in ptmalloc_init: until then mp_ holds its static defaults.
  static const Params kDefaults;
  const Params& par = policy.initialized() ? policy.params() : kDefaults;
  s.tcache_present = policy.tcache_present();
  for (int i = 0; i < kNumTcacheBins; ++i) {
    s.tcache_counts[i] = static_cast<uint16_t>(bins.tcache[i].size());
    s.tcache[i] = list_of(bins.tcache[i]);
  }
  for (int i = 0; i < kNumFastbins; ++i) s.fastbins[i] = list_of(bins.fast[i]);
  for (int i = 1; i < kNumBins - 1; ++i) {
    s.bins[i] = list_of(bins.bins[i]);
    if (i >= smallbin_index(kMinLargeSize)) s.nextsize[i] = nextsize_of(bins.bins[i]);
  }
  for (int i = 0; i < kNumBins; ++i) {
    if (bins.marked.marked(i)) s.binmap[i / 32] |= 1u << (i % 32);
  }
  const HeapMap& heap = policy.heap();
  s.top = ChunkRef{static_cast<int64_t>(heap.top()), heap.top_size(), false};
  if (auto lr = policy.last_remainder()) {
    s.last_remainder_null = false;
    uint64_t size = 0;
    if (heap.contains(*lr))
      size = heap.at(*lr).size;
    else if (*lr == heap.top())
      size = heap.top_size();
    s.last_remainder = ChunkRef{static_cast<int64_t>(*lr), size, false};
  }
  s.have_fastchunks = policy.have_fastchunks() ? 1 : 0;
  s.system_mem = policy.system_mem();
  s.max_system_mem = policy.max_system_mem();
  s.global_max_fast = policy.initialized() ? par.global_max_fast : 0;  // set by ptmalloc_init
  s.mp.trim_threshold = par.trim_threshold;
  s.mp.top_pad = par.top_pad;
  s.mp.mmap_threshold = par.mmap_threshold;
  s.mp.arena_test = par.arena_test;
  s.mp.arena_max = par.arena_max;
  s.mp.n_mmaps = policy.n_mmaps();
  s.mp.n_mmaps_max = par.n_mmaps_max;
  s.mp.max_n_mmaps = policy.max_n_mmaps();
  s.mp.no_dyn_threshold = par.no_dyn_threshold ? 1 : 0;
  s.mp.mmapped_mem = policy.mmapped_mem();
  s.mp.max_mmapped_mem = policy.max_mmapped_mem();
  s.mp.tcache_bins = par.tcache_bins;
  s.mp.tcache_max_bytes = par.tcache_max_bytes;
  s.mp.tcache_count = par.tcache_count;
  s.mp.tcache_unsorted_limit = par.tcache_unsorted_limit;
  return s;
}

}  // namespace heaptwin::model
