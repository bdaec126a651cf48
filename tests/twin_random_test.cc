// The twin against real glibc on random malloc/free Programs of 200 ops, the arena compared after
// every op. CI runs the first 60 seeds; the full 10,000 run from the command:
//   bazel run -c opt //tests:twin_random_diff -- --programs 10000
#include <gtest/gtest.h>

#include "oracle/differ.h"
#include "oracle/glibc/glibc_side.h"
#include "oracle/twin_side.h"
#include "program/heap_format.h"
#include "tests/twin_random_programs.h"

namespace heaptwin {
namespace {

TEST(TwinRandomTest, RandomMallocFreeProgramsAgreeWithRealGlibc) {
  std::string error;
  auto twin = make_twin_side("twin", &error);
  ASSERT_NE(twin, nullptr) << error;
  auto glibc = make_glibc_side("glibc", &error);
  ASSERT_NE(glibc, nullptr) << error;
  RunOptions options;
  options.snapshots = true;
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    Program program = testing::random_malloc_free_program(seed, 200);
    std::vector<Trace> traces = {twin->run(program, options), glibc->run(program, options)};
    DiffResult result = diff_traces(traces);
    ASSERT_TRUE(result.agree()) << "seed " << seed << "\n"
                                << format_divergence(program, traces, result) << "\n"
                                << print_heap(program);
  }
}

}  // namespace
}  // namespace heaptwin
