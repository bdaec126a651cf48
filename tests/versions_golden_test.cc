// The twins of other releases held to what the real ones did: every golden scenario recorded
// from real glibc 2.27 (a build of the release/2.27 branch, Ubuntu 18.04's), 2.31 (Debian 11's
// package), 2.35 (a build of the release/2.35 branch, Ubuntu 22.04's base), 2.39 (a build of
// the release/2.39 branch, Ubuntu 24.04's base) and 2.41 (Debian 13's package) in
// tests/golden/<release>/, the twin checked against those recordings without needing the real one;
// and, where Debian's packages can be fetched, real 2.31 and 2.41 themselves against their
// recordings and against the twin on random Programs.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "oracle/executor.h"
#include "oracle/glibc/glibc_side.h"
#include "oracle/glibc/glibc_versions.h"
#include "oracle/golden.h"
#include "oracle/model/random_programs.h"
#include "oracle/twin_side.h"
#include "tests/golden_dir.h"

namespace heaptwin {
namespace {

// Runs both scenario folders on `side`; returns how many ran (skipped ones not counted).
int check_recordings(Side& side) {
  int ran = 0;
  for (const std::string& dir : {golden_dir(), golden_dir("aborts")}) {
    for (const auto& r : run_golden(dir, side, /*update=*/false)) {
      EXPECT_TRUE(r.ok) << side.name() << ": " << r.heap_file << ": " << r.message;
      if (!r.skipped) ++ran;
    }
  }
  return ran;
}

class ReleaseTest : public ::testing::TestWithParam<const char*> {};

TEST_P(ReleaseTest, TwinMatchesTheRealReleasesRecordings) {
  std::string error;
  auto twin = make_side(std::string("twin-") + GetParam(), &error);
  ASSERT_NE(twin, nullptr) << error;
  EXPECT_GE(check_recordings(*twin), 80) << "recordings missing for " << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Releases, ReleaseTest,
                         ::testing::Values("2.23", "2.27", "2.31", "2.35", "2.39", "2.41", "2.43",
                                           "2.44"));

// Debian's packages (2.31, 2.41, 2.43, 2.44) are fetched on first use (as `--glibc V` does); a
// release whose package cannot be fetched here is skipped.
class PackagedReleaseTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<Side> real() {
    std::string error;
    auto side = make_glibc_side("glibc-" + GetParam(), &error);
    if (!side)
      std::fprintf(stderr, "glibc-%s not available here: %s\n", GetParam().c_str(), error.c_str());
    return side;
  }
  // 300 random 200-op Programs judged as the main fuzz target judges them (twin against real
  // glibc of this release, under `tunables`): no finding, and most compared in full (the rest
  // refused or excused by a comparability rule).
  void expect_random_programs_agree(
      const std::vector<std::pair<std::string, std::string>>& tunables) {
    JudgeConfig config = *fuzz_target_config("twin_vs_glibc");
    for (std::string& side : config.sides) side = side_for_release(side, GetParam());
    config.tunables = tunables;
    std::string error;
    auto executor = Executor::create(config, &error);
    ASSERT_NE(executor, nullptr) << error;
    int agreed = 0;
    for (uint64_t seed = 1; seed <= 300; ++seed) {
      model::RandomProgramOptions options;
      options.ops = 200;
      const Program program = model::random_program(seed, options);
      const Verdict verdict = executor->judge(program);
      EXPECT_FALSE(verdict.finding()) << "seed " << seed << "\n" << verdict.report(program);
      agreed += verdict.kind == Verdict::Kind::kAgree;
    }
    EXPECT_GE(agreed, 250);
  }
};

TEST_P(PackagedReleaseTest, RealGlibcMatchesItsRecordings) {
  auto glibc = real();
  if (!glibc) GTEST_SKIP() << "Debian's glibc " << GetParam() << " cannot be fetched here";
  EXPECT_GE(check_recordings(*glibc), 80);
}

TEST_P(PackagedReleaseTest, TwinAgreesWithRealGlibcOnRandomPrograms) {
  if (!real()) GTEST_SKIP() << "Debian's glibc " << GetParam() << " cannot be fetched here";
  expect_random_programs_agree({});
}

// Every release Debian packages (packaged_releases(), their one list): 2.31, 2.41, and 2.43 (sid)
// and 2.44 (experimental), with no fastbins, a lazily allocated tcache of 76 bins counting down,
// malloc_state without fastbinsY.
INSTANTIATE_TEST_SUITE_P(Packages, PackagedReleaseTest, ::testing::ValuesIn(packaged_releases()));

// 2.42's large tcache bins, which only glibc.malloc.tcache_max turns on: every one of the 12 (up
// to 4 MiB chunks, so mmapped chunks are cached too), on 2.43 and 2.44.
class LargeTcacheBinsTest : public PackagedReleaseTest {};

TEST_P(LargeTcacheBinsTest, TwinAgreesWithRealGlibcOnRandomPrograms) {
  if (!real()) GTEST_SKIP() << "Debian's glibc " << GetParam() << " cannot be fetched here";
  expect_random_programs_agree({{"glibc.malloc.tcache_max", "0x3fffe0"}});
}

INSTANTIATE_TEST_SUITE_P(Packages, LargeTcacheBinsTest, ::testing::Values("2.43", "2.44"));

}  // namespace
}  // namespace heaptwin
