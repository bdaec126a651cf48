// The golden scenarios (tests/golden/*.heap) re-run on real glibc and compared with the traces
// and arena snapshots recorded in their .expected files (`heaptwin golden --update`).
#include <gnu/libc-version.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "oracle/glibc/glibc_side.h"
#include "oracle/golden.h"
#include "tests/golden_dir.h"

namespace heaptwin {
namespace {

// Real glibc (the release the golden files are recorded from) held to a folder's recordings.
class GoldenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string(gnu_get_libc_version()) != kGoldenGlibc) {
      GTEST_SKIP() << "golden files are recorded from glibc " << kGoldenGlibc << "; this host has "
                   << gnu_get_libc_version();
    }
    std::string error;
    side_ = make_glibc_side("glibc", &error);
    ASSERT_NE(side_, nullptr) << error;
  }

  // Every scenario of `dir` (at least `at_least` of them) matches its .expected file.
  void expect_matches(const std::string& dir, size_t at_least) {
    auto results = run_golden(dir, *side_, /*update=*/false);
    ASSERT_GE(results.size(), at_least) << "scenarios missing from " << dir;
    for (const auto& r : results) EXPECT_TRUE(r.ok) << r.heap_file << ": " << r.message;
  }

  std::unique_ptr<Side> side_;
};

TEST_F(GoldenTest, RealGlibcMatchesTheRecordedScenarios) { expect_matches(golden_dir(), 40); }

// The scenarios behind the allocator's unit tests (allocator/*_test.cc cite their values).
TEST_F(GoldenTest, RealGlibcMatchesTheConceptScenarios) {
  expect_matches(golden_dir("concepts"), 7);
}

// Threads (tests/golden/threads: docs/heap-format.md, "Threads"): recorded from real glibc 2.36
// for the twin to be held to once it has non-main arenas and per-thread tcaches. Until then
// only real glibc runs them (the twin has no opinion from a Program's first op on another
// thread; tests/twin_golden_test.cc does not read this folder yet).
TEST_F(GoldenTest, RealGlibcMatchesTheThreadScenarios) { expect_matches(golden_dir("threads"), 5); }

}  // namespace
}  // namespace heaptwin
