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

// Release `minor` as its history makes it.
GlibcProfile history(int minor) {
  GlibcProfile p;
  EXPECT_TRUE(GlibcProfile::from_history(minor, &p)) << minor;
  return p;
}

TEST(Profile, HistoryNamesWhatChangedBetweenReleases) {
  const struct {
    int from, to;
    const char* changed;
  } kSteps[] = {
      {23, 25, "consolidate_keeps_mmapped_bit"},
      {25, 27,
       "tcache, glibc_tunables, unlink_size_check, check_action, have_fastchunks_field, "
       "lazy_arena_init, consolidate_size_check, request_overflow_checks, "
       "retry_in_other_arena"},
      {31, 33, "safe_linking, max_fast_never_zero, tcache_scan_counts"},
      {36, 41,
       "unsorted_check_3, mmap_fallback_swapped, realloc_keeps_close_fit, "
       "global_max_fast_byte, aligned_alloc_own_checks, "
       "memalign_scans_tcache, memalign_merges_remainders, free_small_to_smallbin, "
       "calloc_from_tcache, calloc_clear_memory, assert_style"},
      {36, 36, ""},
      {41, 43,
       "global_max_fast_byte, tcache_large_bins, largebin_smallest_check, "
       "free_checks_after_tcache, "
       "remainders_bypass_tcache, fastbins, "
       "tcache_fill_16, tcache_lazy, realloc_close_fit_16, mmap_chunk_offset, "
       "memalign_tail_minsize, mmap_fallback_from_request, tcache_init_pads_twice, "
       "malloc_init_at_startup"},
      {43, 44, "tcache_init_pads_twice, unsorted_stashes_exact_fits"},
  };
  for (const auto& step : kSteps) {
    EXPECT_EQ(differences(history(step.from), history(step.to)), step.changed)
        << "2." << step.from << " -> 2." << step.to;
  }
  // 26: tcache in 2.23's arena layout, no twin; 42: neither twin nor package.
  for (const int minor : {26, 22, 42, 45}) {
    GlibcProfile p;
    EXPECT_FALSE(GlibcProfile::from_history(minor, &p)) << minor;
  }
}

}  // namespace
}  // namespace heaptwin::alloc
