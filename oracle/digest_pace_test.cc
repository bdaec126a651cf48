// The paced digest (oracle/arena_walk.h, ArenaDigestPace): on a heap whose small bin holds
// thousands of chunks, most ops' digests skip the middle of that list, a full walk still comes
// every few ops, and a difference planted in the middle of the list is named by the executor at
// the op that made it, through the snapshots of a second run.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "oracle/exact_digests.h"
#include "oracle/executor.h"
#include "oracle/heap_view.h"
#include "oracle/twin_side.h"
#include "program/heap_format.h"
#include "program/parse_for_tests.h"

namespace heaptwin {
namespace {

constexpr int kChunks = 3000;     // 0x110 chunks freed: all but 7 end in one small bin
constexpr int kQuietPairs = 200;  // then malloc/free pairs of a tcache size
constexpr int kPlantAfter = 40;   // the write8 comes after this many pairs

// The script; `size_word` is what the write8 stores into the size field of a chunk in the
// middle of the small bin: its own value (0x111: nothing changes) or another.
std::string script(const char* size_word) {
  std::string s;
  for (int i = 0; i < kChunks; ++i) {
    s += "p" + std::to_string(i) + " = malloc 0x108\n";
    s += "g" + std::to_string(i) + " = malloc 0x18\n";  // keeps the frees from merging
  }
  for (int i = 0; i < kChunks; ++i) s += "free p" + std::to_string(i) + "\n";
  s += "big = malloc 0x1000\n";  // sorts the unsorted chunks into the 0x110 small bin
  for (int i = 0; i < kQuietPairs; ++i) {
    if (i == kPlantAfter)
      s += "write8 p" + std::to_string(kChunks / 2) + " -0x8 " + size_word + "\n";
    s += "t = malloc 0x18\nfree t\n";
  }
  return s;
}

size_t plant_index() { return 2 * kChunks + kChunks + 1 + 2 * kPlantAfter; }

TEST(DigestPace, LongBinsArePacedAndAFullWalkComesEveryFewOps) {
  std::string error;
  auto twin = make_twin_side("twin", &error);
  ASSERT_NE(twin, nullptr) << error;
  std::vector<uint64_t> exact;
  const RunOptions options = digests_beside_exact_walks(&exact);
  const Program p = parse_script(script("0x111"));
  const Trace t = twin->run(p, options);
  ASSERT_EQ(t.digests.size(), p.ops.size());
  ASSERT_EQ(exact.size(), p.ops.size());
  // While the heap is being built no list is long: every digest is the exact walk's.
  for (size_t i = 0; i < 2 * kChunks; ++i) ASSERT_EQ(t.digests[i], exact[i]) << "op " << i;
  // Once the bin holds ~3,000 chunks, full walks (digest == exact) come at least every
  // ceil(3000 / ARENA_PACE_BUDGET) + 1 ops, and the ops between them are paced.
  size_t paced = 0, full = 0, longest_gap = 0, gap = 0;
  for (size_t i = 3 * kChunks + 1; i < p.ops.size(); ++i) {
    if (t.digests[i] == exact[i]) {
      ++full;
      gap = 0;
    } else {
      ++paced;
      longest_gap = std::max(longest_gap, ++gap);
    }
  }
  EXPECT_GT(paced, full);
  EXPECT_GT(full, 0u);
  EXPECT_LE(longest_gap, (kChunks + ARENA_PACE_BUDGET - 1) / ARENA_PACE_BUDGET + 1);
}

// The twin, running the Program with one op replaced: a side whose state differs from the
// plain twin's only where that op leaves it.
class TwinWithOneOpReplaced : public Side {
 public:
  TwinWithOneOpReplaced(size_t index, Op op, std::unique_ptr<Side> twin)
      : index_(index), op_(op), twin_(std::move(twin)) {}
  std::string name() const override { return "twin (op " + std::to_string(index_) + " replaced)"; }
  Trace run(const Program& program, const RunOptions& options) override {
    Program changed = program;
    if (index_ < changed.ops.size()) changed.ops[index_] = op_;
    return twin_->run(changed, options);
  }

 private:
  size_t index_;
  Op op_;
  std::unique_ptr<Side> twin_;
};

TEST(DigestPace, ADifferenceInTheMiddleOfALongBinIsNamedAtItsOp) {
  const Program same = parse_script(script("0x111"));
  const Program changed = parse_script(script("0x121"));
  ASSERT_EQ(same.ops.size(), changed.ops.size());
  const size_t at = plant_index();
  ASSERT_EQ(same.ops[at].kind, OpKind::kWrite8);

  std::string error;
  auto a = make_twin_side("twin", &error);
  auto b = make_twin_side("twin", &error);
  ASSERT_NE(b, nullptr) << error;
  std::vector<std::unique_ptr<Side>> sides;
  sides.push_back(std::move(a));
  sides.push_back(std::make_unique<TwinWithOneOpReplaced>(at, changed.ops[at], std::move(b)));
  JudgeConfig config;
  config.name = "pace";
  config.check_heap = false;
  config.apply_rules = false;
  auto executor = Executor::with_sides(config, std::move(sides));
  const Verdict v = executor->judge(same);
  ASSERT_TRUE(v.finding()) << v.report(same);
  EXPECT_FALSE(v.digest_only);
  EXPECT_TRUE(v.diff.first.in_state);
  EXPECT_EQ(v.diff.first.op_index, at) << v.report(same);
}

// Real glibc's runner paces its digests as the twin does: on the same long bins, every digest
// (full or paced) is equal.
TEST(DigestPace, RealGlibcPacesItsDigestsAlike) {
  JudgeConfig config;
  config.name = "pace";
  config.sides = {"twin", "glibc"};
  std::string error;
  auto executor = Executor::create(config, &error);
  ASSERT_NE(executor, nullptr) << error;
  const Program p = parse_script(script("0x111"));
  const Verdict v = executor->judge(p);
  ASSERT_EQ(v.kind, Verdict::Kind::kAgree) << v.report(p);
  ASSERT_EQ(v.traces.size(), 2u);
  EXPECT_EQ(v.traces[0].digests.size(), p.ops.size());
  EXPECT_EQ(v.traces[0].digests, v.traces[1].digests);
}

}  // namespace
}  // namespace heaptwin
