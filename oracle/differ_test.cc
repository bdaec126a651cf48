#include "oracle/differ.h"

#include <gtest/gtest.h>

namespace heaptwin {
namespace {

Trace trace(const std::string& side, std::vector<Outcome> outcomes) {
  Trace t;
  t.side = side;
  t.outcomes = std::move(outcomes);
  return t;
}

TEST(DifferTest, AgreeingTracesAgree) {
  auto a = trace("glibc", {Outcome::pointer(0x2a0), Outcome::done()});
  auto b = trace("twin", {Outcome::pointer(0x2a0), Outcome::done()});
  EXPECT_TRUE(diff_traces({a, b}).agree());
}

TEST(DifferTest, NamesTheFirstOpThatDiffers) {
  auto a = trace("glibc", {Outcome::pointer(0x2a0), Outcome::pointer(0x2c0), Outcome::done()});
  auto b = trace("twin", {Outcome::pointer(0x2a0), Outcome::pointer(0x2e0), Outcome::null(12)});
  DiffResult r = diff_traces({a, b});
  ASSERT_TRUE(r.diverged);
  EXPECT_EQ(r.first.op_index, 1u);
  EXPECT_FALSE(r.first.in_state);
}

TEST(DifferTest, NoOpinionNeitherAgreesNorDisagrees) {
  auto a = trace("glibc", {Outcome::pointer(0x2a0), Outcome::abort("free(): invalid pointer")});
  auto b = trace("model", {Outcome::no_opinion(), Outcome::no_opinion()});
  EXPECT_TRUE(diff_traces({a, b}).agree());
}

TEST(DifferTest, AProgramThatEndsEarlyOnOneSideDiffers) {
  auto a = trace("glibc", {Outcome::abort("double free or corruption (fasttop)")});
  auto b = trace("twin", {Outcome::done(), Outcome::pointer(0x2a0)});
  DiffResult r = diff_traces({a, b});
  ASSERT_TRUE(r.diverged);
  EXPECT_EQ(r.first.op_index, 0u);
}

TEST(DifferTest, FaultAddressesCompareOnlyWhenComparable) {
  EXPECT_TRUE(
      outcomes_agree(Outcome::fault(11, 0x7fff0000, false), Outcome::fault(11, 0x5550000, false)));
  EXPECT_FALSE(outcomes_agree(Outcome::fault(11, 0x10, false), Outcome::fault(11, 0x18, false)));
  EXPECT_FALSE(outcomes_agree(Outcome::fault(11, 0x300, true), Outcome::fault(11, 0x310, true)));
  EXPECT_TRUE(
      outcomes_agree(Outcome::fault(11, 0x300, true), Outcome::fault(11, 0x7fff0000, false)));
  EXPECT_FALSE(outcomes_agree(Outcome::fault(11, 0x300, true), Outcome::fault(7, 0x300, true)));
  // Non-canonical: #GP or #SS by the register glibc's compiler chose, both at address 0.
  EXPECT_TRUE(outcomes_agree(Outcome::fault(11, 0, false), Outcome::fault(7, 0, false)));
  EXPECT_FALSE(outcomes_agree(Outcome::fault(11, 0x8, false), Outcome::fault(7, 0x8, false)));
}

TEST(DifferTest, NamesTheFirstBinThatDiffersWhenOutcomesAgree) {
  auto a = trace("glibc", {Outcome::done()});
  auto b = trace("twin", {Outcome::done()});
  ArenaSnapshot s;
  s.valid = true;
  a.states = {s};
  s.fastbins[1].chunks.push_back({0x2d0, 0x30, false});
  b.states = {s};
  DiffResult r = diff_traces({a, b});
  ASSERT_TRUE(r.diverged);
  EXPECT_TRUE(r.first.in_state);
  EXPECT_NE(r.first.what.find("fastbin[1] (0x30)"), std::string::npos) << r.first.what;
}

TEST(DifferTest, ASideThatBrokeItsOwnRulesFailsEvenWhenOutcomesAgree) {
  auto a = trace("glibc", {Outcome::pointer(0x2a0), Outcome::done()});
  auto b = trace("twin", {Outcome::pointer(0x2a0), Outcome::done()});
  b.violation = "heap checker: op 1: free.not_in_bin at chunk heap+0x290 (size 0x20): lost";
  b.violation_op = 1;
  DiffResult r = diff_traces({a, b});
  EXPECT_FALSE(r.diverged);
  EXPECT_FALSE(r.agree());
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_EQ(r.violations[0].side, 1u);
  Program p;
  p.ops.resize(2);
  EXPECT_NE(format_divergence(p, {a, b}, r).find("twin broke a rule after op 1"),
            std::string::npos);
}

// Every report's first line: which rule broke or which op diverged, and how, in one line.
TEST(DifferTest, HeadlineNamesTheRuleOrTheOpInOneLine) {
  Program p;
  p.ops.resize(2);
  auto a = trace("glibc", {Outcome::pointer(0x2a0),
                           Outcome::abort("free(): double free detected in tcache 2")});
  auto b = trace("twin", {Outcome::pointer(0x2a0), Outcome::done()});
  const std::string diverged = format_headline(p, {a, b}, diff_traces({a, b}));
  EXPECT_EQ(diverged.rfind("op 1 (", 0), 0u) << diverged;
  EXPECT_NE(diverged.find(") diverged: glibc "), std::string::npos) << diverged;
  EXPECT_NE(diverged.find("double free detected in tcache 2"), std::string::npos) << diverged;
  EXPECT_EQ(diverged.find('\n'), std::string::npos) << diverged;

  auto c = trace("twin", {Outcome::pointer(0x2a0),
                          Outcome::abort("free(): double free detected in tcache 2")});
  c.violation = "heap checker: op 1: free.not_in_bin at chunk heap+0x290 (size 0x20): lost";
  c.violation_op = 1;
  const std::string broke = format_headline(p, {a, c}, diff_traces({a, c}));
  EXPECT_EQ(broke.rfind("twin broke rule free.not_in_bin after op 1 (", 0), 0u) << broke;
  c.violation = "block.overlap: the new block at 0x10 lies inside the live block [0x0, 0x20).";
  EXPECT_EQ(format_headline(p, {a, c}, diff_traces({a, c}))
                .rfind("twin broke rule block.overlap after op 1", 0),
            0u);
}

TEST(DifferTest, SideErrorsAreReportedNotAgreed) {
  auto a = trace("glibc", {});
  a.error = "cannot start the runner";
  auto b = trace("twin", {Outcome::done()});
  DiffResult r = diff_traces({a, b});
  EXPECT_FALSE(r.agree());
  EXPECT_FALSE(r.diverged);
  ASSERT_EQ(r.side_errors.size(), 1u);
}

}  // namespace
}  // namespace heaptwin
