// The twin against real glibc on random malloc/free Programs of 200 ops, the arena compared after
// every op (as twin_vs_glibc judges: digests, full snapshots where they differ). CI runs the first
// 60 seeds; the full 10,000 run from the command:
//   bazel run -c opt //tests:twin_random_diff -- --programs 10000
#include <gtest/gtest.h>

#include "oracle/executor.h"
#include "program/heap_format.h"
#include "tests/twin_random_programs.h"

namespace heaptwin {
namespace {

TEST(TwinRandomTest, RandomMallocFreeProgramsAgreeWithRealGlibc) {
  std::string error;
  auto executor = Executor::create(*fuzz_target_config("twin_vs_glibc"), &error);
  ASSERT_NE(executor, nullptr) << error;
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    Program program = testing::random_malloc_free_program(seed, 200);
    const Verdict verdict = executor->judge(program);
    ASSERT_EQ(verdict.kind, Verdict::Kind::kAgree) << "seed " << seed << "\n"
                                                   << verdict.report(program) << "\n"
                                                   << print_heap(program);
  }
}

// The same Programs with reads of the words around chunk headers: what glibc leaves in memory
// (links of freed chunks, sizes, what a fresh or reused chunk holds), op by op. A read of a
// NULL slot or of memory given back faults on both sides alike.
TEST(TwinRandomTest, WhatRandomProgramsLeaveInMemoryIsWhatRealGlibcLeaves) {
  std::string error;
  auto executor = Executor::create(*fuzz_target_config("twin_vs_glibc"), &error);
  ASSERT_NE(executor, nullptr) << error;
  int reads = 0;
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    Program program =
        testing::with_header_reads(testing::random_malloc_free_program(seed, 200), seed);
    for (const Op& op : program.ops) reads += op.kind == OpKind::kRead8;
    const Verdict verdict = executor->judge(program);
    ASSERT_NE(verdict.kind, Verdict::Kind::kFinding) << "seed " << seed << "\n"
                                                     << verdict.report(program) << "\n"
                                                     << print_heap(program);
  }
  EXPECT_GT(reads, 1000);
}

}  // namespace
}  // namespace heaptwin
