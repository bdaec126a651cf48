#include "oracle/twin_release.h"

#include <string>

#include "allocator/tunables.h"

namespace heaptwin {

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
