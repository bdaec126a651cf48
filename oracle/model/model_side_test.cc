// The model against real glibc: short stories whose outcomes real glibc 2.36 gave (checked live
// through the glibc side when it is available here), the invariant layer, and "no opinion".
#include "oracle/model/model_side.h"

#include <gtest/gtest.h>

#include <random>

#include "oracle/differ.h"
#include "oracle/model/invariants.h"
#include "oracle/model/random_programs.h"
#include "program/fuzz_encoding.h"
#include "program/heap_format.h"
#include "program/parse_for_tests.h"

namespace heaptwin {

void PrintTo(const Outcome& o, std::ostream* os) { *os << to_string(o); }

namespace {

Trace run_model(const std::string& text, model::Params params = {}) {
  return model::make_model_side_with("model", params)->run(parse_script(text), RunOptions{});
}

// Runs the same text on real glibc, when this machine can: the expectations below came from it.
void expect_glibc_agrees(const std::string& text, const Trace& model) {
  std::string error;
  auto glibc = make_side("glibc", &error);
  if (!glibc) GTEST_SKIP() << "no glibc side here: " << error;
  Trace g = glibc->run(parse_script(text), RunOptions{});
  DiffResult r = diff_traces({model, g});
  EXPECT_TRUE(r.agree()) << format_divergence(parse_script(text), {model, g}, r);
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
  const std::string text = "a = malloc 0x30000\nfree a\nb = malloc 0x30000\nmalloc_usable_size b\n";
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

TEST(ModelSide, AnOpOnAnotherThreadHasNoOpinionAndNothingAfterIt) {
  Trace t = run_model("a = malloc 0x18\nt1: b = malloc 0x18\nc = malloc 0x18\n");
  ASSERT_EQ(t.outcomes.size(), 3u);
  EXPECT_EQ(t.outcomes[0].kind, OutcomeKind::kPointer);
  EXPECT_EQ(t.outcomes[1].kind, OutcomeKind::kNoOpinion);
  EXPECT_EQ(t.outcomes[2].kind, OutcomeKind::kNoOpinion);  // creating t1 took main-arena memory
}

TEST(ModelSide, UnknownTunableMeansNoOpinionOnTheWholeProgram) {
  RunOptions options;
  options.tunables = {{"glibc.malloc.hugetlb", "1"}};
  Trace t =
      model::make_model_side_with("model", {})->run(parse_script("a = malloc 0x18\n"), options);
  ASSERT_EQ(t.outcomes.size(), 1u);
  EXPECT_EQ(t.outcomes[0].kind, OutcomeKind::kNoOpinion);
}

TEST(ModelSide, TcacheCountTunable) {
  RunOptions options;
  options.tunables = {{"glibc.malloc.tcache_count", "0"}};
  const std::string text =
      "a = malloc 0x18\nb = malloc 0x18\nfree a\nc = malloc 0x28\nd = malloc 0x18\n";
  Trace t = model::make_model_side_with("model", {})->run(parse_script(text), options);
  EXPECT_EQ(t.outcomes[4], Outcome::pointer(0x2a0));  // from the fastbin
  std::string error;
  auto glibc = make_side("glibc", &error);
  if (!glibc) GTEST_SKIP() << error;
  EXPECT_EQ(glibc->run(parse_script(text), options).outcomes, t.outcomes);
}

TEST(ModelSide, SnapshotsShowBinsTopAndLastRemainder) {
  RunOptions options;
  options.snapshots = true;
  Trace t = model::make_model_side_with("model", {})
                ->run(parse_script("a = malloc 0x500\ng = malloc 0x18\nfree a\nb = malloc 0x18\n"),
                      options);
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

// Where the model gives up, the snapshots say why, word for word (reports quote it).
TEST(ModelSide, EachReasonToGiveUpIsNamed) {
  const std::pair<const char*, const char*> cases[] = {
      {"a = malloc 0x18\nfree a\nfree a\n", "free of a pointer that is not live"},
      {"a = malloc 0x18\nfree a\nb = realloc a 0x30\n", "realloc of a pointer that is not live"},
      {"a = malloc 0x18\nfree a\nusable a\n", "malloc_usable_size of a pointer that is not live"},
      {"a = malloc 0x18\nwrite8 a 0x18 0x41\n", "write8 outside a live block"},
      {"a = memalign 0x2000 0x18\n", "alignment above a page"},
      {"a = malloc 0x50000000\n", "mmap of more than 1 GiB"},
      {"a = malloc 0x30000\nb = realloc a 0x50000000\n", "mremap beyond 1 GiB"},
      {"mallopt M_MMAP_THRESHOLD 0x7fffffff\na = malloc 0x50000000\n",
       "growing the break by more than 1 GiB"},
      {"mallopt M_TOP_PAD -1\na = malloc 0x18\n", "a top_pad near 2^64"},
      {"mallopt M_MMAP_THRESHOLD 0\na = malloc 0x18\n", "tcache struct not carved from the heap"},
      {"a = malloc 0x18\nv = read8 a 0x21000\n", "read8 outside the heap and the live mappings"},
      {"a = malloc 0x30000\nfree a\nv = read8 a 0\n",
       "read8 outside the heap and the live mappings"},
      {"a = malloc 0x18\nv = read8 a 0\nfree v\n", "a value read8 read, used as a pointer"},
      {"a = malloc 0x18\nv = read8 a 0\nw = read8 v 0\n",
       "read8 outside the heap and the live mappings"},
  };
  RunOptions options;
  options.snapshots = true;
  for (const auto& [text, why] : cases) {
    const Trace t = model::make_model_side_with("model", {})->run(parse_script(text), options);
    ASSERT_FALSE(t.states.empty()) << text;
    EXPECT_EQ(t.outcomes.back().kind, OutcomeKind::kNoOpinion) << text;
    EXPECT_EQ(t.states.back().invalid_reason, std::string("model has no opinion: ") + why) << text;
  }
}

// What a read8 reads the model does not know (it keeps no contents): no opinion on the op. It
// goes on where the read cannot fault: in the heap below the break (a freed chunk's fd too), the
// header words included, or in a live mapping.
TEST(ModelSide, Read8HasNoOpinionAndTheModelGoesOn) {
  const std::string text =
      "a = malloc 0x18\nb = malloc 0x500\ng = malloc 0x18\nfree b\nfd = read8 b 0\n"
      "size = read8 a -8\nm = malloc 0x30000\nh = read8 m -0x10\nc = malloc 0x18\n";
  const Trace t = run_model(text);
  ASSERT_EQ(t.outcomes.size(), 9u);
  for (size_t i : {4, 5, 7}) EXPECT_EQ(t.outcomes[i].kind, OutcomeKind::kNoOpinion) << i;
  EXPECT_EQ(to_string(t.outcomes[8]), "0x2c0");  // from the unsorted chunk, after the reads
  expect_glibc_agrees(text, t);
}

// One side runs Program after Program on the same Policy: each trace must be what a fresh side
// gives (reset() forgets nothing of the Program before, and keeps nothing it should not).
TEST(ModelSide, ASideReusedForManyProgramsAnswersAsAFreshOne) {
  auto reused = model::make_model_side_with("model", {});
  std::mt19937_64 rng(7);
  for (int i = 0; i < 300; ++i) {
    Program p;
    RunOptions options;
    options.snapshots = true;
    if (i % 2 == 0) {
      model::RandomProgramOptions ro;
      ro.ops = 120;
      p = model::random_program(1000 + i, ro);
    } else {
      std::string bytes(1, static_cast<char>(kFuzzFormatV1));
      for (int k = 0; k < 400; ++k) bytes.push_back(static_cast<char>(rng()));
      p = decode_fuzz(bytes);
    }
    if (i % 7 == 0) options.tunables = {{"glibc.malloc.tcache_count", "1"}};
    const Trace fresh = model::make_model_side_with("model", {})->run(p, options);
    const Trace again = reused->run(p, options);
    ASSERT_EQ(again.outcomes, fresh.outcomes) << "Program " << i;
    ASSERT_EQ(again.states.size(), fresh.states.size()) << "Program " << i;
    for (size_t k = 0; k < fresh.states.size(); ++k) {
      ASSERT_EQ(again.states[k], fresh.states[k])
          << "Program " << i << " op " << k << ": "
          << first_difference(again.states[k], fresh.states[k]);
    }
  }
}

TEST(LiveBlocks, TheRulesWordForWord) {
  model::LiveBlocks live;
  EXPECT_EQ(live.add_heap(0x2a0, 0x18, 0x18, 16, 0x21000), "");
  EXPECT_EQ(live.add_heap(0x290, 0x18, 0x10, 16, 0x21000),
            "block at 0x290 (+0x18) overlaps the live block at 0x2a0");
  EXPECT_EQ(live.add_heap(0x2b0, 0x18, 0x10, 16, 0x21000),
            "block at 0x2b0 overlaps the live block at 0x2a0");
  EXPECT_EQ(live.add_heap(0x2c8, 0x18, 0x10, 16, 0x21000), "block at 0x2c8 is not 0x10-aligned");
  EXPECT_EQ(live.add_heap(0x300, 0x18, 0x20, 16, 0x21000),
            "block at 0x300 offers 0x18 bytes for a request of 0x20");
  EXPECT_EQ(live.add_heap(0x20ff0, 0x18, 0x10, 16, 0x21000),
            "block at 0x20ff0 (+0x18) leaves the heap [0, 0x21000)");
  EXPECT_EQ(live.add_mapped(1, 0x10, 0x1000, 0x100, 0x40), "mapped block is not 0x40-aligned");
  EXPECT_EQ(live.add_mapped(1, 0x10, 0xff0, 0x1000, 16),
            "mapped block offers 0xff0 bytes for a request of 0x1000");
  EXPECT_EQ(live.add_mapped(1, 0x10, 0xff0, 0x100, 16), "");
  EXPECT_EQ(live.add_mapped(1, 0x10, 0xff0, 0x100, 16), "mapped block handed out twice");
  EXPECT_EQ(live.remove_mapped(1), "");
  EXPECT_EQ(live.remove_mapped(1), "unmapping a block that is not live");
  EXPECT_EQ(live.remove_heap(0x2a0), "");
  EXPECT_EQ(live.remove_heap(0x2a0), "freeing 0x2a0, which is not live");
  EXPECT_EQ(live.size(), 0u);
}

TEST(LiveBlocks, CatchesOverlapMisalignmentAndShortBlocks) {
  model::LiveBlocks live;
  EXPECT_EQ(live.add_heap(0x2a0, 0x18, 0x18, 16, 0x21000), "");
  EXPECT_NE(live.add_heap(0x2b0, 0x18, 0x10, 16, 0x21000).find("overlaps"), std::string::npos);
  EXPECT_NE(live.add_heap(0x2c8, 0x18, 0x10, 16, 0x21000).find("aligned"), std::string::npos);
  EXPECT_NE(live.add_heap(0x300, 0x18, 0x20, 16, 0x21000).find("offers"), std::string::npos);
  EXPECT_NE(live.add_heap(0x21000, 0x18, 0x10, 16, 0x21000).find("leaves the heap"),
            std::string::npos);
  EXPECT_EQ(live.remove_heap(0x2a0), "");
  EXPECT_NE(live.remove_heap(0x2a0), "");
}

}  // namespace
}  // namespace heaptwin
