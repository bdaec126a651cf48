// The model against real glibc: short stories whose outcomes real glibc 2.36 gave (checked live
// through the glibc side when it is available here), the invariant layer, and "no opinion".
#include "oracle/model/model_side.h"

#include <gtest/gtest.h>

#include "oracle/differ.h"
#include "oracle/model/invariants.h"
#include "program/heap_format.h"

namespace heaptwin {

void PrintTo(const Outcome& o, std::ostream* os) { *os << to_string(o); }

namespace {

Program parse(const std::string& text) {
  std::string error;
  auto p = parse_heap(text, "test.heap", &error);
  EXPECT_TRUE(p.has_value()) << error;
  return p ? *p : Program();
}

Trace run_model(const std::string& text, model::Params params = {}) {
  return model::make_model_side_with("model", params)->run(parse(text), RunOptions{});
}

// Runs the same text on real glibc, when this machine can: the expectations below came from it.
void expect_glibc_agrees(const std::string& text, const Trace& model) {
  std::string error;
  auto glibc = make_side("glibc", &error);
  if (!glibc) GTEST_SKIP() << "no glibc side here: " << error;
  Trace g = glibc->run(parse(text), RunOptions{});
  DiffResult r = diff_traces({model, g});
  EXPECT_TRUE(r.agree()) << format_divergence(parse(text), {model, g}, r);
}

TEST(ModelSide, FirstMallocSitsAfterTheTcacheStruct) {
  const std::string text = "a = malloc 0x18\nb = malloc 0x18\n";
  Trace t = run_model(text);
  ASSERT_EQ(t.outcomes.size(), 2u);
  EXPECT_EQ(t.outcomes[0], Outcome::pointer(0x2a0));
  EXPECT_EQ(t.outcomes[1], Outcome::pointer(0x2c0));
  expect_glibc_agrees(text, t);
}

TEST(ModelSide, TcacheIsLastInFirstOut) {
  const std::string text =
      "a = malloc 0x18\nb = malloc 0x18\nfree a\nfree b\nc = malloc 0x18\nd = malloc 0x18\n";
  Trace t = run_model(text);
  EXPECT_EQ(t.outcomes[4], Outcome::pointer(0x2c0));
  EXPECT_EQ(t.outcomes[5], Outcome::pointer(0x2a0));
  expect_glibc_agrees(text, t);
}

// Three 0x510 chunks reach one large bin in the order a, b, c. glibc keeps the first of a size
// in front and puts later ones right after it: [a, c, b]; a best fit takes the second: c.
const char* kLargeBinStory =
    "a = malloc 0x500\ng1 = malloc 0x18\nb = malloc 0x500\ng2 = malloc 0x18\n"
    "c = malloc 0x500\ng3 = malloc 0x18\nfree a\nfree b\nfree c\nx = malloc 0x600\n"
    "y = malloc 0x500\n";

TEST(ModelSide, LargeBinBestFitTakesTheSecondOfItsSize) {
  Trace t = run_model(kLargeBinStory);
  ASSERT_EQ(t.outcomes.size(), 11u);
  EXPECT_EQ(t.outcomes[4], Outcome::pointer(0xd00));  // c
  EXPECT_EQ(t.outcomes[10], Outcome::pointer(0xd00));
  expect_glibc_agrees(kLargeBinStory, t);
}

TEST(ModelSide, MmapAboveTheThresholdAndTheDynamicRise) {
  const std::string text =
      "a = malloc 0x30000\nfree a\nb = malloc 0x30000\nmalloc_usable_size b\n";
  Trace t = run_model(text);
  EXPECT_EQ(t.outcomes[0], Outcome::mmapped(0x31000, 0x10));
  // Freeing it raised mmap_threshold to 0x31000: the next one comes from the heap.
  EXPECT_EQ(t.outcomes[2].kind, OutcomeKind::kPointer);
  expect_glibc_agrees(text, t);
}

TEST(ModelSide, CorruptionAndDoubleFreeHaveNoOpinion) {
  Trace t = run_model("a = malloc 0x18\nwrite8 a 0x8 0x41\nwrite8 a -0x8 0x421\nb = malloc 0x18\n");
  EXPECT_EQ(t.outcomes[1], Outcome::done());  // inside the block: harmless
  EXPECT_EQ(t.outcomes[2].kind, OutcomeKind::kNoOpinion);
  EXPECT_EQ(t.outcomes[3].kind, OutcomeKind::kNoOpinion);  // and everything after
  Trace d = run_model("a = malloc 0x18\nfree a\nfree a\nb = malloc 0x18\n");
  EXPECT_EQ(d.outcomes[2].kind, OutcomeKind::kNoOpinion);
  EXPECT_EQ(d.outcomes[3].kind, OutcomeKind::kNoOpinion);
}

TEST(ModelSide, UnknownTunableMeansNoOpinionOnTheWholeProgram) {
  RunOptions options;
  options.tunables = {{"glibc.malloc.hugetlb", "1"}};
  Trace t = model::make_model_side_with("model", {})->run(parse("a = malloc 0x18\n"), options);
  ASSERT_EQ(t.outcomes.size(), 1u);
  EXPECT_EQ(t.outcomes[0].kind, OutcomeKind::kNoOpinion);
}

TEST(ModelSide, TcacheCountTunable) {
  RunOptions options;
  options.tunables = {{"glibc.malloc.tcache_count", "0"}};
  const std::string text = "a = malloc 0x18\nb = malloc 0x18\nfree a\nc = malloc 0x28\nd = malloc 0x18\n";
  Trace t = model::make_model_side_with("model", {})->run(parse(text), options);
  EXPECT_EQ(t.outcomes[4], Outcome::pointer(0x2a0));  // from the fastbin
  std::string error;
  auto glibc = make_side("glibc", &error);
  if (!glibc) GTEST_SKIP() << error;
  EXPECT_EQ(glibc->run(parse(text), options).outcomes, t.outcomes);
}

TEST(ModelSide, SnapshotsShowBinsTopAndLastRemainder) {
  RunOptions options;
  options.snapshots = true;
  Trace t = model::make_model_side_with("model", {})->run(
      parse("a = malloc 0x500\ng = malloc 0x18\nfree a\nb = malloc 0x18\n"), options);
  ASSERT_EQ(t.states.size(), 4u);
  const ArenaSnapshot& s = t.states[2];
  ASSERT_TRUE(s.valid);
  ASSERT_EQ(s.bins[1].chunks.size(), 1u);  // a in the unsorted bin
  EXPECT_EQ(s.bins[1].chunks[0], (ChunkRef{0x290, 0x510, false}));
  // b: a is sorted into its large bin, split; the rest goes back to unsorted as last_remainder.
  const ArenaSnapshot& after = t.states[3];
  EXPECT_EQ(t.outcomes[3], Outcome::pointer(0x2a0));
  EXPECT_FALSE(after.last_remainder_null);
  EXPECT_EQ(after.last_remainder.offset, 0x2b0);
  EXPECT_EQ(after.top.offset, 0x7c0);
}

TEST(LiveBlocks, CatchesOverlapMisalignmentAndShortBlocks) {
  model::LiveBlocks live;
  EXPECT_EQ(live.add_heap(0x2a0, 0x18, 0x18, 16, 0x21000), "");
  EXPECT_NE(live.add_heap(0x2b0, 0x18, 0x10, 16, 0x21000).find("overlaps"), std::string::npos);
  EXPECT_NE(live.add_heap(0x2c8, 0x18, 0x10, 16, 0x21000).find("aligned"), std::string::npos);
  EXPECT_NE(live.add_heap(0x300, 0x18, 0x20, 16, 0x21000).find("offers"), std::string::npos);
  EXPECT_NE(live.add_heap(0x21000, 0x18, 0x10, 16, 0x21000).find("leaves the heap"), std::string::npos);
  EXPECT_EQ(live.remove_heap(0x2a0), "");
  EXPECT_NE(live.remove_heap(0x2a0), "");
}

}  // namespace
}  // namespace heaptwin
