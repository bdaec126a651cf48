// The release table: every build the twin is held to follows from its release's history, but
// for the branch backports profile.cc names (and nothing else); the differences between two
// releases are named.
#include "allocator/profile.h"

#include <gtest/gtest.h>

#include <string>

namespace heaptwin::alloc {
namespace {

std::string differences(const GlibcProfile& a, const GlibcProfile& b) {
  char buf[1024];
  GlibcProfile::describe_differences(a, b, buf, sizeof buf);
  return buf;
}

TEST(Profile, TestedBuildsFollowTheirHistoryButForTheirBackports) {
  const struct {
    const char* version;
    const char* backports;
  } kBuilds[] = {
      {"2.23", ""},  // the CVE fix is no knob of the history
      {"2.27",
       "realloc_copies_words"},  // the branch has 2.29's memcpy; the tcache key is in every twin
      {"2.31", ""},
      {"2.35", "assert_style"},
      {"2.36", ""},
      {"2.39", ""},
      {"2.41", ""},
      {"2.43", ""},
      {"2.44", ""},
  };
  for (const auto& b : kBuilds) {
    GlibcProfile build, history;
    ASSERT_TRUE(GlibcProfile::for_version(b.version, &build)) << b.version;
    ASSERT_TRUE(GlibcProfile::from_history(build.minor, &history)) << b.version;
    EXPECT_EQ(differences(build, history), b.backports) << b.version;
  }
  EXPECT_FALSE(GlibcProfile::for_version("2.33", nullptr));  // untested: no twin of its own
  EXPECT_FALSE(GlibcProfile::for_version("2.99", nullptr));
  EXPECT_FALSE(GlibcProfile::for_version("2.3", nullptr));
  EXPECT_FALSE(GlibcProfile::for_version("2.31x", nullptr));
}

TEST(Profile, HistoryNamesWhatChangedBetweenReleases) {
  GlibcProfile r223, r225, r227;
  ASSERT_TRUE(GlibcProfile::from_history(23, &r223));
  ASSERT_TRUE(GlibcProfile::from_history(25, &r225));
  ASSERT_TRUE(GlibcProfile::from_history(27, &r227));
  EXPECT_EQ(differences(r223, r225), "consolidate_keeps_mmapped_bit");
  EXPECT_EQ(differences(r225, r227),
            "tcache, glibc_tunables, unlink_size_check, check_action, have_fastchunks_field, "
            "lazy_arena_init, consolidate_size_check, request_overflow_checks, "
            "retry_in_other_arena");
  GlibcProfile r231, r233, r236, r241;
  ASSERT_TRUE(GlibcProfile::from_history(31, &r231));
  ASSERT_TRUE(GlibcProfile::from_history(33, &r233));
  ASSERT_TRUE(GlibcProfile::from_history(36, &r236));
  ASSERT_TRUE(GlibcProfile::from_history(41, &r241));
  EXPECT_EQ(differences(r231, r233), "safe_linking, max_fast_never_zero, tcache_scan_counts");
  EXPECT_EQ(differences(r236, r241),
            "unsorted_check_3, mmap_fallback_swapped, realloc_keeps_close_fit, "
            "global_max_fast_byte, aligned_alloc_own_checks, "
            "memalign_scans_tcache, memalign_merges_remainders, free_small_to_smallbin, "
            "calloc_from_tcache, calloc_clear_memory, assert_style");
  EXPECT_EQ(differences(r236, r236), "");
  EXPECT_FALSE(GlibcProfile::from_history(26, &r231));  // tcache in 2.23's arena layout: no twin
  EXPECT_FALSE(GlibcProfile::from_history(22, &r231));
  EXPECT_FALSE(GlibcProfile::from_history(42, &r231));  // 2.42: neither twin nor package
  EXPECT_FALSE(GlibcProfile::from_history(45, &r231));
  GlibcProfile r243, r244;
  ASSERT_TRUE(GlibcProfile::from_history(43, &r243));
  ASSERT_TRUE(GlibcProfile::from_history(44, &r244));
  EXPECT_EQ(differences(r241, r243),
            "global_max_fast_byte, tcache_large_bins, largebin_smallest_check, "
            "free_checks_after_tcache, "
            "remainders_bypass_tcache, fastbins, "
            "tcache_fill_16, tcache_lazy, realloc_close_fit_16, mmap_chunk_offset, "
            "memalign_tail_minsize, mmap_fallback_from_request, tcache_init_pads_twice, "
            "malloc_init_at_startup");
  EXPECT_EQ(differences(r243, r244), "tcache_init_pads_twice, unsorted_stashes_exact_fits");
}

}  // namespace
}  // namespace heaptwin::alloc
