// The twin side runs Program after Program in one simulated memory, clearing between them only
// what the last one can have written (SimulatedMemory::reset with the write log's high mark):
// every Program must see what a fresh process sees. Random Programs over the whole op set run
// back to back agree op by op, digest by digest, with each run alone on a fresh side, and the
// block rules (calloc'd memory reads as zeros: glibc skips clearing memory fresh from top) find
// nothing stale.
#include "oracle/twin_side.h"

#include <gtest/gtest.h>

#include "oracle/differ.h"
#include "oracle/model/random_programs.h"
#include "program/heap_format.h"

namespace heaptwin {
namespace {

TEST(TwinSide, ProgramsRunBackToBackSeeAFreshHeap) {
  std::string error;
  auto reused = make_twin_side("twin", &error);
  ASSERT_NE(reused, nullptr) << error;
  RunOptions options;
  options.digests = true;
  options.check_heap = options.check_contents = true;
  for (uint64_t seed = 1; seed <= 150; ++seed) {
    model::RandomProgramOptions generator;
    generator.ops = 150;
    const Program p = model::random_program(seed, generator);
    auto fresh = make_twin_side("twin", &error);
    std::vector<Trace> traces = {reused->run(p, options), fresh->run(p, options)};
    traces[1].side = "fresh twin";
    const DiffResult d = diff_traces(traces);
    ASSERT_TRUE(d.agree()) << "seed " << seed << "\n" << format_divergence(p, traces, d) << print_heap(p);
  }
}

}  // namespace
}  // namespace heaptwin
