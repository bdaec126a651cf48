// The heap checker against real glibc: clean on every heap real glibc builds, and for each rule
// a Program (write8 ops into real glibc's heap) or, for arena fields no Program can reach, a
// copy of real glibc's memory with one field changed, that breaks exactly that rule (the list is
// heap_check_planted.h, which the incremental checker's test runs too).
#include "oracle/heap_check.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "oracle/heap_check_for_tests.h"
#include "oracle/heap_check_planted.h"
#include "oracle/heap_image.h"
#include "program/heap_format.h"
#include "program/parse_for_tests.h"

namespace heaptwin {
namespace {

using testing::describe;
using testing::rules_of;

class HeapCheckTest : public testing::GlibcSuite {
 protected:
  struct Run {
    Trace trace;
    std::vector<std::vector<Violation>> after;  // per op that returned
    HeapImage last;                             // real glibc's memory after the last op
  };

  Run run(const std::string& text, std::vector<std::pair<std::string, std::string>> tunables = {}) {
    Run r;
    r.trace = run_inspecting(
        text,
        [&](size_t i, const MemoryReader& mem, const HeapLocation& loc, const GlibcLayout& layout) {
          auto vs = check_heap(mem, loc, layout);
          for (auto& v : vs) v.op_index = static_cast<int64_t>(i);
          r.after.push_back(std::move(vs));
          r.last = HeapImage::capture(mem, loc, layout);
        },
        std::move(tunables));
    return r;
  }

  // Every op of `text` leaves a heap the checker accepts.
  void expect_clean(const std::string& text,
                    std::vector<std::pair<std::string, std::string>> tunables = {}) {
    Run r = run(text, std::move(tunables));
    for (size_t i = 0; i < r.after.size(); ++i) {
      EXPECT_TRUE(r.after[i].empty()) << "after op " << i << ":\n" << describe(r.after[i]) << text;
    }
  }

  // `setup` is clean after every op; `setup` + `corrupt` breaks exactly `rules` after its last op.
  void expect_breaks(const std::string& setup, const std::string& corrupt,
                     std::set<std::string> rules) {
    Run r = run(setup + corrupt);
    const size_t setup_ops = parse_script(setup).ops.size();
    ASSERT_EQ(r.after.size(), parse_script(setup + corrupt).ops.size()) << "a op did not return";
    for (size_t i = 0; i < setup_ops; ++i) {
      EXPECT_TRUE(r.after[i].empty()) << "setup, op " << i << ":\n" << describe(r.after[i]);
    }
    EXPECT_EQ(rules_of(r.after.back()), rules) << describe(r.after.back());
  }
};

// ---- real glibc is clean ------------------------------------------------------------------------

TEST_F(HeapCheckTest, RealGlibcIsCleanAfterEveryOp) {
  expect_clean("a = malloc 0x18\nb = malloc 0x18\nfree a\nfree b\n");
  // tcache full, then fastbins, then consolidation into the unsorted and small bins.
  std::string fill;
  for (int i = 0; i < 9; ++i) fill += "x" + std::to_string(i) + " = malloc 0x28\n";
  fill += "g = malloc 0x18\n";
  for (int i = 0; i < 9; ++i) fill += "free x" + std::to_string(i) + "\n";
  expect_clean(fill + "big = malloc 0x500\nfree big\ny = malloc 0x28\n");
  // Large bins with several sizes, and equal sizes (the nextsize ring).
  expect_clean(
      "a = malloc 0x418\ng1 = malloc 0x18\nb = malloc 0x438\ng2 = malloc 0x18\n"
      "c = malloc 0x418\ng3 = malloc 0x18\nd = malloc 0x428\ng4 = malloc 0x18\n"
      "e = malloc 0x1000\ng5 = malloc 0x18\n"
      "free a\nfree b\nfree c\nfree d\nfree e\nbig = malloc 0x2000\n"
      "s = malloc 0x418\nt = malloc 0x100\nfree big\nfree g2\nu = malloc 0x3000\n");
  // Realloc, memalign, calloc, trim, mallopt.
  expect_clean(
      "a = malloc 0x100\nb = realloc a 0x400\nc = memalign 0x100 0x200\nd = calloc 3 0x50\n"
      "free b\ne = realloc c 0x80\nfree d\nf = malloc 0x30000\nfree f\ntrim 0\n"
      "mallopt M_MXFAST 0\ng = malloc 0x18\nfree g\nfree e\n");
  // A heap that grows past its first 0x21000 bytes and shrinks back.
  expect_clean(
      "a = malloc 0x10000\nb = malloc 0x10000\nc = malloc 0x10000\nfree b\nfree c\n"
      "d = malloc 0x80\nfree a\nfree d\n");
}

TEST_F(HeapCheckTest, RealGlibcIsCleanWithoutTcache) {
  expect_clean(
      "a = malloc 0x18\nb = malloc 0x18\nc = malloc 0x88\ng = malloc 0x18\nfree a\nfree b\n"
      "free c\nd = malloc 0x18\ne = malloc 0x400\nfree g\n",
      {{"glibc.malloc.tcache_count", "0"}});
}

// ---- one Program per rule (write8 into real glibc's heap), and for arena fields no Program can
// reach, a copy of real glibc's memory with one field changed: heap_check_planted.h -------------

class PlantedPrograms : public HeapCheckTest,
                        public ::testing::WithParamInterface<planted::PlantedProgram> {};

TEST_P(PlantedPrograms, BreakExactlyTheirRule) {
  const planted::PlantedProgram& p = GetParam();
  expect_breaks(p.setup, p.corrupt, p.rules);
}

INSTANTIATE_TEST_SUITE_P(Rules, PlantedPrograms, ::testing::ValuesIn(planted::planted_programs()),
                         [](const auto& info) { return info.param.name; });

class HeapImageTest : public HeapCheckTest {
 protected:
  // Real glibc's memory after `setup` (clean), to be changed by the test.
  HeapImage image_after(const std::string& setup) {
    Run r = run(setup);
    EXPECT_FALSE(r.after.empty());
    EXPECT_TRUE(check_heap(r.last, r.last.loc, r.last.layout).empty());
    return r.last;
  }
  uint64_t top(const HeapImage& m) { return planted::top_of(m); }
};

class PlantedImages : public HeapImageTest,
                      public ::testing::WithParamInterface<planted::PlantedImage> {};

TEST_P(PlantedImages, BreakExactlyTheirRule) {
  const planted::PlantedImage& p = GetParam();
  HeapImage m = image_after(p.setup);
  const HeapLocation loc = p.change(&m);
  EXPECT_EQ(rules_of(check_heap(m, loc, m.layout)), p.rules);
}

INSTANTIATE_TEST_SUITE_P(Rules, PlantedImages, ::testing::ValuesIn(planted::planted_images()),
                         [](const auto& info) { return info.param.name; });

// ---- a corrupted heap never crashes or hangs the checker
// ------------------------------------------

TEST_F(HeapImageTest, RandomCorruptionNeverCrashesOrHangs) {
  // ~100 chunks in every kind of bin.
  const char* sizes[] = {"0x18", "0x28", "0x48", "0x88", "0x108", "0x418", "0x458", "0x88", "0x28"};
  std::string setup;
  for (int i = 0; i < 90; ++i)
    setup += "c" + std::to_string(i) + " = malloc " + sizes[i % 9] + "\n";
  for (int i = 0; i < 90; i += 2) setup += "free c" + std::to_string(i) + "\n";
  setup += "big = malloc 0x2000\n";
  const HeapImage clean = image_after(setup);
  const uint64_t base = clean.loc.heap_base;
  const uint64_t used = top(clean) + 0x20 - base;
  // A bin head or the binmap in main_arena, else the chunks and top's header.
  const uint64_t arena_from = clean.layout.fastbins;
  testing::RandomCorruption corruption(base, used, arena_from,
                                       clean.layout.binmap + 0x10 - arena_from);
  size_t with_violations = 0;
  for (int round = 0; round < 3000; ++round) {
    HeapImage m = clean;
    corruption.corrupt(&m);
    const auto vs = check_heap(m, m.loc, m.layout);
    if (!vs.empty()) ++with_violations;
    for (const auto& v : vs) {
      EXPECT_FALSE(v.rule.empty());
      EXPECT_FALSE(v.message.empty());
    }
  }
  // Most random writes land in user data, which no rule covers; the rest are caught.
  EXPECT_GT(with_violations, 300u);
}

// ---- what the findings say ---------------------------------------------------------------------

// A tcache count that is over the limit and off its list names the count, and what it is
// measured against (the incremental check writes the second message through the same function).
TEST_F(HeapCheckTest, TcacheCountFindingsNameTheCount) {
  Run r = run(std::string(planted::kTwoTcache) + "write8 a -0x290 8\n");
  ASSERT_FALSE(r.after.empty());
  std::map<std::string, std::string> said;
  for (const Violation& v : r.after.back()) said[v.rule] = v.message;
  EXPECT_EQ(said["tcache.count_over_limit"], "counts[0] is 8, above mp_.tcache_count 7.");
  EXPECT_EQ(said["tcache.count_mismatch"], "counts[0] is 8 but the list holds 2.");
}

// ---- every rule has a test above ----------------------------------------------------------------

TEST(HeapCheckRules, IdsAreUniqueAndNamed) {
  std::set<std::string> ids;
  for (const auto& r : check_rules()) {
    EXPECT_TRUE(ids.insert(r.id).second) << r.id;
    EXPECT_NE(std::string(r.meaning), "");
  }
  EXPECT_GE(ids.size(), 35u);
}

TEST(HeapCheckNames, BinsInPwndbgsWords) {
  EXPECT_EQ(regular_bin_name(1), "unsortedbin");
  EXPECT_EQ(regular_bin_name(9), "smallbins[0x90]");
  EXPECT_EQ(regular_bin_name(64), "largebins[0x400-0x430]");
  EXPECT_EQ(fastbin_name(0), "fastbins[0x20]");
  EXPECT_EQ(tcache_bin_name(63), "tcachebins[0x410]");
  EXPECT_EQ(bin_index_for_size(0x420), 64);
  EXPECT_EQ(bin_index_for_size(0x3f0), 63);
}

}  // namespace
}  // namespace heaptwin
