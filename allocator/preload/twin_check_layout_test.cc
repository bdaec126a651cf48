// The checker inside the drop-in reads the twin by the layout its profile gives
// (twin_check_layout); the harness reads real glibc by the release's facts (check_layout of
// glibc_layout). They must agree for every release with a twin, or `heaptwin exec --check
// --glibc V` would misread the heap it checks.
#include "allocator/preload/twin_check_layout.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "oracle/heap_check.h"
#include "oracle/heap_view.h"

namespace heaptwin::preload {
namespace {

TEST(TwinCheckLayout, IsTheReleasesLayoutForEveryTwin) {
  std::istringstream twins(alloc::GlibcProfile::known_versions());  // "2.23, 2.27, ..."
  int compared = 0;
  for (std::string version; std::getline(twins >> std::ws, version, ',');) {
    SCOPED_TRACE(version);
    alloc::GlibcProfile profile;
    ASSERT_TRUE(alloc::GlibcProfile::for_version(version.c_str(), &profile));
    ++compared;
    const auto release = glibc_layout(version);
    ASSERT_TRUE(release);
    const check::Layout want = check_layout(*release);
    const check::Layout got = twin_check_layout(profile);
    EXPECT_EQ(got.safe_linking, want.safe_linking);
    EXPECT_EQ(got.tcache, want.tcache);
    EXPECT_EQ(got.key_is_random, want.key_is_random);
    EXPECT_EQ(got.tcache_count_bytes, want.tcache_count_bytes);
    EXPECT_EQ(got.tcache_entries, want.tcache_entries);
    EXPECT_EQ(got.flags, want.flags);
    EXPECT_EQ(got.have_fastchunks, want.have_fastchunks);
    EXPECT_EQ(got.fastbins, want.fastbins);
    EXPECT_EQ(got.top, want.top);
    EXPECT_EQ(got.last_remainder, want.last_remainder);
    EXPECT_EQ(got.bins, want.bins);
    EXPECT_EQ(got.binmap, want.binmap);
    EXPECT_EQ(got.system_mem, want.system_mem);
    EXPECT_EQ(got.mp_sbrk_base, want.mp_sbrk_base);
    EXPECT_EQ(got.mp_tcache_bins, want.mp_tcache_bins);
    EXPECT_EQ(got.mp_tcache_count, want.mp_tcache_count);
    EXPECT_EQ(got.tcache_bins, want.tcache_bins);
    EXPECT_EQ(got.tcache_num_slots, want.tcache_num_slots);
    EXPECT_EQ(got.fastbins_exist, want.fastbins_exist);
    EXPECT_EQ(got.max_fast_bytes, want.max_fast_bytes);
  }
  EXPECT_GE(compared, 9);
}

}  // namespace
}  // namespace heaptwin::preload
