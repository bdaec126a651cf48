#include "oracle/twin_release.h"

#include <string>

#include "allocator/tunables.h"

namespace heaptwin {

void twin_data_layout(GlibcLayout* l) {
  const GlibcLayout own = *glibc_layout("2.36");
  l->mp_n_mmaps = own.mp_n_mmaps;
  l->mp_n_mmaps_max = own.mp_n_mmaps_max;
  l->mp_max_n_mmaps = own.mp_max_n_mmaps;
  l->mp_no_dyn_threshold = own.mp_no_dyn_threshold;
  l->mp_mmapped_mem = own.mp_mmapped_mem;
  l->mp_max_mmapped_mem = own.mp_max_mmapped_mem;
  l->mp_sbrk_base = own.mp_sbrk_base;
  l->mp_tcache_bins = own.mp_tcache_bins;
  l->mp_tcache_max_bytes = own.mp_tcache_max_bytes;
  l->mp_tcache_count = own.mp_tcache_count;
  l->mp_tcache_unsorted_limit = own.mp_tcache_unsorted_limit;
}

alloc::GlibcProfile profile_for(const alloc::GlibcProfile& release, const RunOptions& options) {
  alloc::GlibcProfile profile = release;
  profile.tcache_key = kPinnedTcacheKey;
  // As glibc reads GLIBC_TUNABLES: known names only, within glibc's bounds.
  const std::string prefix = "glibc.malloc.";
  for (const auto& [name, text] : options.tunables) {
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    alloc::set_tunable(&profile.tunables, name.c_str() + prefix.size(), name.size() - prefix.size(),
                       text.c_str(), text.c_str() + text.size());
  }
  return profile;
}

}  // namespace heaptwin
