// The twin against real glibc on every golden scenario (tests/golden and the abort scenarios in
// tests/golden/aborts): run live side by side, the same outcome and the same arena snapshot after
// every op, also under a few tunables; and held to the .expected files recorded from real glibc.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "oracle/golden.h"
#include "program/heap_format.h"
#include "tests/golden_dir.h"
#include "tests/twin_and_glibc.h"

namespace heaptwin {
namespace {

class TwinGoldenTest : public TwinAndGlibcTest {
 protected:
  // Runs every scenario of `dir` on both sides; returns how many ran.
  int diff_dir(const std::string& dir, const RunOptions& options) {
    int checked = 0;
    for (const std::string& file : golden_files(dir)) {
      std::ifstream in(file);
      std::stringstream text;
      text << in.rdbuf();
      std::string error;
      auto program = parse_heap(text.str(), file, &error);
      EXPECT_TRUE(program.has_value()) << error;
      if (!program) continue;
      run_both(*program, options, file);
      ++checked;
    }
    return checked;
  }
};

TEST_F(TwinGoldenTest, EveryScenarioAgreesWithRealGlibc) {
  RunOptions options;
  options.snapshots = true;
  EXPECT_GE(diff_dir(golden_dir(), options), 40) << "scenarios missing from " << golden_dir();
}

TEST_F(TwinGoldenTest, EveryAbortScenarioAgreesWithRealGlibc) {
  RunOptions options;
  options.snapshots = true;
  EXPECT_GE(diff_dir(golden_dir("aborts"), options), 30);
}

// The scenarios behind the allocator's unit tests, one per concept (tests/golden/concepts).
TEST_F(TwinGoldenTest, EveryConceptScenarioAgreesWithRealGlibc) {
  RunOptions options;
  options.snapshots = true;
  EXPECT_GE(diff_dir(golden_dir("concepts"), options), 7);
}

// The thread scenarios (tests/golden/threads): each op on the thread it names, a thread's chunks
// named by arena and heap, and main_arena with t0's tcache compared after every op.
TEST_F(TwinGoldenTest, EveryThreadScenarioAgreesWithRealGlibc) {
  RunOptions options;
  options.snapshots = true;
  EXPECT_GE(diff_dir(golden_dir("threads"), options), 5)
      << "scenarios missing from " << golden_dir("threads");
}

TEST_F(TwinGoldenTest, ScenariosAgreeUnderTunables) {
  for (auto tunable : std::vector<std::pair<std::string, std::string>>{
           {"glibc.malloc.tcache_count", "0"},
           {"glibc.malloc.mxfast", "0"},
           {"glibc.malloc.tcache_unsorted_limit", "2"},
           {"glibc.malloc.mmap_threshold", "0x1000"},
           // Outside glibc's bounds (dl-tunables.list): ignored by both.
           {"glibc.malloc.mmap_max", "0x80000000"},
           {"glibc.malloc.arena_test", "0"}}) {
    RunOptions options;
    options.snapshots = true;
    options.tunables = {tunable};
    SCOPED_TRACE(tunable.first + "=" + tunable.second);
    diff_dir(golden_dir(), options);
  }
}

TEST_F(TwinGoldenTest, TwinMatchesTheRecordedExpectations) {
  for (const std::string& dir : {golden_dir(), golden_dir("aborts"), golden_dir("concepts")}) {
    for (const auto& r : run_golden(dir, *twin_, /*update=*/false)) {
      EXPECT_TRUE(r.ok) << r.heap_file << ": " << r.message;
    }
  }
}

}  // namespace
}  // namespace heaptwin
