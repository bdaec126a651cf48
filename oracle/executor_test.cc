// The executor's judgement of time limits: a short limit (the fuzz targets') that cuts an op on
// one side only is confirmed with the default limit before it counts as a finding.
#include "oracle/executor.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "oracle/twin_side.h"
#include "program/parse_for_tests.h"

namespace heaptwin {
namespace {

// The twin, but as slow as a loaded machine at op `slow_op`: under a limit shorter than the
// default that op times out (and the Program ends there, as any timeout ends it).
class SlowAtOneOp : public Side {
 public:
  SlowAtOneOp(size_t slow_op, std::unique_ptr<Side> twin)
      : slow_op_(slow_op), twin_(std::move(twin)) {}
  std::string name() const override { return "slow"; }
  Trace run(const Program& program, const RunOptions& options) override {
    Trace t = twin_->run(program, options);
    if (options.timeout_ms < RunOptions{}.timeout_ms && slow_op_ < t.outcomes.size()) {
      t.outcomes.resize(slow_op_ + 1);
      t.outcomes[slow_op_] = Outcome::timeout();
      if (t.digests.size() > slow_op_) t.digests.resize(slow_op_);
      if (t.states.size() > slow_op_) t.states.resize(slow_op_);
    }
    return t;
  }

 private:
  size_t slow_op_;
  std::unique_ptr<Side> twin_;
};

Verdict judge_with_slow_side(int timeout_ms) {
  std::string error;
  std::vector<std::unique_ptr<Side>> sides;
  sides.push_back(make_twin_side("twin", &error));
  sides.push_back(std::make_unique<SlowAtOneOp>(2, make_twin_side("twin", &error)));
  EXPECT_EQ(error, "");
  JudgeConfig config;
  config.name = "time";
  config.timeout_ms = timeout_ms;
  auto executor = Executor::with_sides(config, std::move(sides));
  return executor->judge(parse_script("a = malloc 0x18\nb = malloc 0x28\nfree a\nfree b\n"));
}

TEST(Executor, ATimeoutOnOneSideUnderAShortLimitIsConfirmedWithTheDefault) {
  const Verdict v = judge_with_slow_side(200);
  EXPECT_EQ(v.kind, Verdict::Kind::kAgree) << v.report(parse_script("a = malloc 0x18\n"));
  ASSERT_EQ(v.traces.size(), 2u);
  EXPECT_EQ(v.traces[1].outcomes.size(), 4u);  // the confirming run, with the default limit
}

TEST(Executor, ATimeoutUnderTheDefaultLimitIsAFinding) {
  // The same side, slow even under the default limit: a timeout the twin does not share.
  std::string error;
  std::vector<std::unique_ptr<Side>> sides;
  sides.push_back(make_twin_side("twin", &error));
  class AlwaysSlow : public SlowAtOneOp {
   public:
    using SlowAtOneOp::SlowAtOneOp;
    Trace run(const Program& program, const RunOptions& options) override {
      RunOptions shorter = options;
      shorter.timeout_ms = 1;
      return SlowAtOneOp::run(program, shorter);
    }
  };
  sides.push_back(std::make_unique<AlwaysSlow>(2, make_twin_side("twin", &error)));
  JudgeConfig config;
  config.name = "time";
  config.timeout_ms = 200;
  auto executor = Executor::with_sides(config, std::move(sides));
  const Verdict v =
      executor->judge(parse_script("a = malloc 0x18\nb = malloc 0x28\nfree a\nfree b\n"));
  EXPECT_EQ(v.kind, Verdict::Kind::kFinding);
  EXPECT_EQ(v.diff.first.op_index, 2u);
}

}  // namespace
}  // namespace heaptwin

namespace heaptwin {
namespace {

// Only the threads target decodes format v3's threads: the main job keeps its speed (a Program
// with a thread costs the runner a new child), and threads judges as twin_vs_glibc does.
TEST(Executor, OnlyTheThreadsTargetDecodesThreads) {
  for (const std::string& name : fuzz_target_names()) {
    EXPECT_EQ(fuzz_target_config(name)->decode.allow_threads, name == "threads") << name;
  }
  const JudgeConfig* threads = fuzz_target_config("threads");
  const JudgeConfig* glibc = fuzz_target_config("twin_vs_glibc");
  ASSERT_NE(threads, nullptr);
  EXPECT_EQ(threads->sides, glibc->sides);
  EXPECT_TRUE(threads->compare_state);
  EXPECT_FALSE(threads->decode.allow_corruption);
}

}  // namespace
}  // namespace heaptwin

namespace heaptwin {
namespace {

// The id of the rule that refuses `program` before it runs with a budget of `max_touched` bytes,
// or "" when none does.
std::string refusal(const Program& program, uint64_t max_touched) {
  const auto rule = refused_before_running(program, max_touched);
  return rule ? rule->id : "";
}

// The fuzz targets refuse a Program that clears or fills more than 4 MiB in all (each page is a
// page fault on the glibc side); the commands run it, up to 64 MiB.
TEST(Executor, TheFuzzTargetsTouchLessMemoryThanTheCommands) {
  const Program calloc_8mib = parse_script("a = calloc 1 0x800000\nfree a\n");
  const Program perturb_3mib =
      parse_script("mallopt M_PERTURB 0x41\na = malloc 0x100000\nb = malloc 0x200000\n");
  for (const std::string& name : fuzz_target_names()) {
    const JudgeConfig* config = fuzz_target_config(name);
    EXPECT_EQ(refusal(calloc_8mib, config->max_touched_bytes), "touches_too_much_memory") << name;
    EXPECT_EQ(refusal(perturb_3mib, config->max_touched_bytes), "") << name;
  }
  std::string error;
  std::vector<std::unique_ptr<Side>> sides;
  sides.push_back(make_twin_side("twin", &error));
  JudgeConfig command;
  command.name = "diff";
  auto executor = Executor::with_sides(command, std::move(sides));
  EXPECT_EQ(executor->judge(calloc_8mib).kind, Verdict::Kind::kAgree);
}

}  // namespace
}  // namespace heaptwin
