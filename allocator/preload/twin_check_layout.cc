#include "allocator/preload/twin_check_layout.h"

#include <cstddef>

#include "allocator/layout.h"
#include "allocator/libc_objects.h"

namespace heaptwin::preload {

check::Layout twin_check_layout(const alloc::GlibcProfile& profile) {
  using alloc::MallocState;
  check::Layout l;
  l.safe_linking = profile.safe_linking;
  l.tcache = profile.tcache;
  l.key_is_random = profile.tcache_key_random;
  l.tcache_count_bytes = profile.tcache_wide_counts ? 2 : 1;
  const alloc::ReleaseLayout release = alloc::release_layout(profile);
  l.tcache_entries = release.tcache_entries;
  l.tcache_bins = profile.tcache_large_bins ? 76 : 64;  // TCACHE_MAX_BINS: 12 large bins from 2.42
  l.tcache_num_slots = profile.tcache_large_bins;
  // main_arena's fields where the release has them: the twin's malloc_state less the overlay.
  const uint64_t skip = release.arena_skip;
  l.fastbins_exist = profile.fastbins;
  l.have_fastchunks = profile.fastbins && profile.have_fastchunks_field
                          ? static_cast<int64_t>(offsetof(MallocState, have_fastchunks))
                          : -1;
  l.fastbins = profile.fastbins ? offsetof(MallocState, fastbinsY) - skip : 0;
  l.top = offsetof(MallocState, top) - skip;
  l.last_remainder = offsetof(MallocState, last_remainder) - skip;
  l.bins = offsetof(MallocState, bins) - skip;
  l.binmap = offsetof(MallocState, binmap) - skip;
  l.system_mem = offsetof(MallocState, system_mem) - skip;
  const alloc::MallocParLayout mp = alloc::MallocParLayout::of(profile.minor);
  auto at = [](int16_t offset) { return offset < 0 ? uint64_t{0} : static_cast<uint64_t>(offset); };
  l.mp_sbrk_base = at(mp.sbrk_base);
  l.mp_tcache_bins = at(mp.tcache_bins);
  l.mp_tcache_count = at(mp.tcache_count);
  l.max_fast_bytes = static_cast<int>(release.max_fast_bytes);
  return l;
}

}  // namespace heaptwin::preload
