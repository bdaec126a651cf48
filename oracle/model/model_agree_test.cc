// Agreement with real glibc on random non-corrupting Programs (fixed seeds), and the negative
// control: a model with a planted bug in its large-bin order is caught by the differ.
// MODEL_AGREE_PROGRAMS overrides how many Programs run (the full run is 10,000 of 200 ops:
// `bazel run -c opt //oracle/model:model_agree -- 10000 1 200`).
#include <gtest/gtest.h>

#include <cstdlib>

#include "oracle/executor.h"
#include "oracle/model/model_side.h"
#include "oracle/model/random_programs.h"
#include "program/heap_format.h"

namespace heaptwin {
namespace {

// The model (with `params`) and real glibc, judged by the executor as twin_vs_model judges.
std::unique_ptr<Executor> model_and_glibc(const model::Params& params, const char* name = "model") {
  std::string error;
  auto glibc = make_side("glibc", &error);
  if (!glibc) {
    ADD_FAILURE() << "no glibc side: " << error;
    return nullptr;
  }
  std::vector<std::unique_ptr<Side>> sides;
  sides.push_back(model::make_model_side_with(name, params));
  sides.push_back(std::move(glibc));
  JudgeConfig config;
  config.name = "model_agree";
  config.compare_state = false;  // the model predicts no memory
  return Executor::with_sides(config, std::move(sides));
}

int programs_to_run(int fallback) {
  const char* env = std::getenv("MODEL_AGREE_PROGRAMS");
  return env ? std::atoi(env) : fallback;
}

// How many of `n` random Programs (seeds 1..n) the model with `params` disagrees on; the first
// report in *first.
int disagreements(const model::Params& params, int n, std::string* first) {
  auto executor = model_and_glibc(params);
  if (!executor) return -1;
  int bad = 0;
  for (int seed = 1; seed <= n; ++seed) {
    Program p = model::random_program(seed);
    const Verdict v = executor->judge(p);
    if (v.finding() && bad++ == 0) *first = "seed " + std::to_string(seed) + "\n" + v.report(p);
  }
  return bad;
}

TEST(ModelAgreement, RandomProgramsAgreeWithRealGlibc) {
  std::string first;
  EXPECT_EQ(disagreements(model::Params{}, programs_to_run(300), &first), 0) << first;
}

TEST(ModelAgreement, PlantedLargeBinOrderBugIsCaughtOnAScenario) {
  std::string error;
  auto program = parse_heap(
      "a = malloc 0x500\ng1 = malloc 0x18\nb = malloc 0x500\ng2 = malloc 0x18\n"
      "c = malloc 0x500\ng3 = malloc 0x18\nfree a\nfree b\nfree c\nx = malloc 0x600\n"
      "y = malloc 0x500\n",
      "planted.heap", &error);
  ASSERT_TRUE(program.has_value()) << error;
  model::Params good;
  model::Params bad;
  bad.bug = model::PlantedBug::kLargeBinEqualSizeFirst;
  auto with_good = model_and_glibc(good);
  auto with_bad = model_and_glibc(bad, "model-planted");
  ASSERT_TRUE(with_good && with_bad);
  EXPECT_EQ(with_good->judge(*program).kind, Verdict::Kind::kAgree);
  const Verdict v = with_bad->judge(*program);
  ASSERT_TRUE(v.diff.diverged);
  EXPECT_EQ(v.diff.first.op_index, 10u);  // y: glibc takes c, the planted bug takes b
}

TEST(ModelAgreement, PlantedAscendingLargeBinsAreCaughtOnRandomPrograms) {
  model::Params bad;
  bad.bug = model::PlantedBug::kLargeBinAscending;
  std::string first;
  EXPECT_GT(disagreements(bad, 100, &first), 0);
}

}  // namespace
}  // namespace heaptwin
