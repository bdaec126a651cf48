// The golden scenarios (tests/golden/*.heap) re-run on real glibc and compared with the traces
// and arena snapshots recorded in their .expected files (`heaptwin golden --update`).
#include <gnu/libc-version.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "oracle/glibc/glibc_side.h"
#include "oracle/golden.h"
#include "tests/golden_dir.h"

namespace heaptwin {
namespace {

TEST(GoldenTest, RealGlibcMatchesTheRecordedScenarios) {
  if (std::string(gnu_get_libc_version()) != kGoldenGlibc) {
    GTEST_SKIP() << "golden files are recorded from glibc " << kGoldenGlibc << "; this host has "
                 << gnu_get_libc_version();
  }
  std::string error;
  auto side = make_glibc_side("glibc", &error);
  ASSERT_NE(side, nullptr) << error;
  auto results = run_golden(golden_dir(), *side, /*update=*/false);
  ASSERT_GE(results.size(), 40u) << "scenarios missing from " << golden_dir();
  for (const auto& r : results) EXPECT_TRUE(r.ok) << r.heap_file << ": " << r.message;
}

// The scenarios behind the allocator's unit tests (allocator/*_test.cc cite their values).
TEST(GoldenTest, RealGlibcMatchesTheConceptScenarios) {
  if (std::string(gnu_get_libc_version()) != kGoldenGlibc) {
    GTEST_SKIP() << "recorded from glibc " << kGoldenGlibc;
  }
  std::string error;
  auto side = make_glibc_side("glibc", &error);
  ASSERT_NE(side, nullptr) << error;
  auto results = run_golden(golden_dir("concepts"), *side, /*update=*/false);
  ASSERT_GE(results.size(), 7u) << "scenarios missing from " << golden_dir("concepts");
  for (const auto& r : results) EXPECT_TRUE(r.ok) << r.heap_file << ": " << r.message;
}

// Threads (tests/golden/threads: docs/heap-format.md, "Threads"): recorded from real glibc 2.36
// for the twin to be held to once it has non-main arenas and per-thread tcaches. Until then
// only real glibc runs them (the twin has no opinion from a Program's first op on another
// thread; tests/twin_golden_test.cc does not read this folder yet).
TEST(GoldenTest, RealGlibcMatchesTheThreadScenarios) {
  if (std::string(gnu_get_libc_version()) != kGoldenGlibc) {
    GTEST_SKIP() << "recorded from glibc " << kGoldenGlibc;
  }
  std::string error;
  auto side = make_glibc_side("glibc", &error);
  ASSERT_NE(side, nullptr) << error;
  auto results = run_golden(golden_dir("threads"), *side, /*update=*/false);
  ASSERT_GE(results.size(), 5u) << "scenarios missing from " << golden_dir("threads");
  for (const auto& r : results) EXPECT_TRUE(r.ok) << r.heap_file << ": " << r.message;
}

}  // namespace
}  // namespace heaptwin
