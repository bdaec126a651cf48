// Agreement with real glibc on random non-corrupting Programs (fixed seeds), and the negative
// control: a model with a planted bug in its large-bin order is caught by the differ.
// MODEL_AGREE_PROGRAMS overrides how many Programs run (the full run is 10,000 of 200 ops:
// `bazel run -c opt //oracle/model:model_agree -- 10000 1 200`).
#include <gtest/gtest.h>

#include <cstdlib>

#include "oracle/differ.h"
#include "oracle/model/model_side.h"
#include "oracle/model/random_programs.h"
#include "program/heap_format.h"

namespace heaptwin {
namespace {

std::unique_ptr<Side> glibc_or_skip() {
  std::string error;
  auto glibc = make_side("glibc", &error);
  if (!glibc) ADD_FAILURE() << "no glibc side: " << error;
  return glibc;
}

int programs_to_run(int fallback) {
  const char* env = std::getenv("MODEL_AGREE_PROGRAMS");
  return env ? std::atoi(env) : fallback;
}

// How many of `n` random Programs (seeds 1..n) the model with `params` disagrees on; the first
// report in *first.
int disagreements(Side& glibc, const model::Params& params, int n, std::string* first) {
  auto model = model::make_model_side_with("model", params);
  int bad = 0;
  for (int seed = 1; seed <= n; ++seed) {
    Program p = model::random_program(seed);
    std::vector<Trace> traces = {model->run(p, RunOptions{}), glibc.run(p, RunOptions{})};
    DiffResult r = diff_traces(traces);
    if (!r.agree() && bad++ == 0) *first = "seed " + std::to_string(seed) + "\n" + format_divergence(p, traces, r);
  }
  return bad;
}

TEST(ModelAgreement, RandomProgramsAgreeWithRealGlibc) {
  auto glibc = glibc_or_skip();
  if (!glibc) return;
  std::string first;
  EXPECT_EQ(disagreements(*glibc, model::Params{}, programs_to_run(300), &first), 0) << first;
}

TEST(ModelAgreement, PlantedLargeBinOrderBugIsCaughtOnAScenario) {
  auto glibc = glibc_or_skip();
  if (!glibc) return;
  std::string error;
  auto program = parse_heap(
      "a = malloc 0x500\ng1 = malloc 0x18\nb = malloc 0x500\ng2 = malloc 0x18\n"
      "c = malloc 0x500\ng3 = malloc 0x18\nfree a\nfree b\nfree c\nx = malloc 0x600\n"
      "y = malloc 0x500\n",
      "planted.heap", &error);
  ASSERT_TRUE(program.has_value()) << error;
  Trace truth = glibc->run(*program, RunOptions{});
  model::Params good;
  model::Params bad;
  bad.bug = model::PlantedBug::kLargeBinEqualSizeFirst;
  EXPECT_TRUE(diff_traces({model::make_model_side_with("model", good)->run(*program, RunOptions{}), truth}).agree());
  DiffResult r = diff_traces({model::make_model_side_with("model-planted", bad)->run(*program, RunOptions{}), truth});
  ASSERT_TRUE(r.diverged);
  EXPECT_EQ(r.first.op_index, 10u);  // y: glibc takes c, the planted bug takes b
}

TEST(ModelAgreement, PlantedAscendingLargeBinsAreCaughtOnRandomPrograms) {
  auto glibc = glibc_or_skip();
  if (!glibc) return;
  model::Params bad;
  bad.bug = model::PlantedBug::kLargeBinAscending;
  std::string first;
  EXPECT_GT(disagreements(*glibc, bad, 100, &first), 0);
}

}  // namespace
}  // namespace heaptwin
