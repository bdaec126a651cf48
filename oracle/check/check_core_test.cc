// The checker core's building blocks, each alone: the chunk map, the node table, the per-op hash
// map, the sort, the word diff, the message text (the full and the incremental check's tests are
// oracle/heap_check_test.cc and oracle/heap_check_incremental_test.cc).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "oracle/check/chunk_map.h"
#include "oracle/check/node_table.h"
#include "oracle/check/op_sets.h"
#include "oracle/check/region.h"
#include "oracle/check/text.h"
#include "oracle/check/word_diff.h"

namespace heaptwin::check {
namespace {

class Core : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(region_.reserve(uint64_t{1} << 30)); }
  void TearDown() override { region_.release(); }
  Region region_;
};

TEST_F(Core, ChunkMapFindsTheStartAtOrBefore) {
  ChunkMap map;
  ASSERT_TRUE(map.init(&region_, uint64_t{1} << 24));
  const uint64_t base = 0x555555550000;
  map.reset(base);
  EXPECT_EQ(map.start_at_or_before(base + 0x100), 0u);
  map.set(base);
  map.set(base + 0x290);
  map.set(base + 0x10000);  // across many words
  EXPECT_EQ(map.start_at_or_before(base + 0x28f), base);
  EXPECT_EQ(map.start_at_or_before(base + 0x290), base + 0x290);
  EXPECT_EQ(map.start_at_or_before(base + 0xfff0), base + 0x290);
  EXPECT_EQ(map.start_at_or_before(base + 0x100000), base + 0x10000);  // past what was ever set
  std::vector<uint64_t> cleared;
  map.clear_between(base, base + 0x10000, [&](uint64_t a) { cleared.push_back(a); });
  EXPECT_EQ(cleared, std::vector<uint64_t>{base + 0x290});
  EXPECT_TRUE(map.test(base));  // the ends stay
  EXPECT_TRUE(map.test(base + 0x10000));
  EXPECT_FALSE(map.test_any(base + 0x8));  // off the grid
  EXPECT_FALSE(map.test_any(base - 0x10));
  map.reset(base);  // clears what was set
  EXPECT_FALSE(map.test(base + 0x10000));
}

// A word emptied by clear_between while other words under the same summary word still hold
// starts: the summary word must stay visible to searches that reach it from an earlier one (and
// to the reset).
TEST_F(Core, ChunkMapKeepsASummaryWordWhoseOtherWordsHoldStarts) {
  ChunkMap map;
  ASSERT_TRUE(map.init(&region_, uint64_t{1} << 26));
  const uint64_t base = 0x10000000;
  const uint64_t word = 64 * 16,
                 summary_word = 64 * word;  // heap bytes per map word, per summary word
  map.reset(base);
  const uint64_t a = base + 0x10, b = base + 5 * summary_word, c = b + word;
  map.set(a);
  map.set(b);
  map.set(c);
  std::vector<uint64_t> cleared;
  map.clear_between(c - 16, c + 16, [&](uint64_t x) { cleared.push_back(x); });
  EXPECT_EQ(cleared, std::vector<uint64_t>{c});
  EXPECT_EQ(map.start_at_or_before(base + 9 * summary_word), b);
  cleared.clear();
  map.clear_between(a, base + 9 * summary_word, [&](uint64_t x) { cleared.push_back(x); });
  EXPECT_EQ(cleared, std::vector<uint64_t>{b});
  map.set(b + 2 * word);
  map.reset(base);
  EXPECT_EQ(map.start_at_or_before(base + 9 * summary_word), 0u);
  EXPECT_FALSE(map.test(b + 2 * word));
}

// A ChunkMap driven beside a plain set of the same starts: each change is made to both, and
// what the map answers must be what the set says.
class MapBesideSet {
 public:
  explicit MapBesideSet(ChunkMap* map) : map_(*map) {}
  void reset(uint64_t base) {
    map_.reset(base);
    starts_.clear();
  }
  void set(uint64_t a) {
    map_.set(a);
    starts_.insert(a);
  }
  // Clears the start the set holds at or after `a` (or its first), when it holds any.
  void clear_one_from(uint64_t a) {
    if (starts_.empty()) return;
    auto it = starts_.lower_bound(a);
    if (it == starts_.end()) it = starts_.begin();
    map_.clear(*it);
    starts_.erase(it);
  }
  // The starts strictly between a and b, cleared: the map must report those the set held.
  ::testing::AssertionResult clear_between(uint64_t a, uint64_t b) {
    std::vector<uint64_t> got;
    map_.clear_between(a, b, [&](uint64_t x) { got.push_back(x); });
    std::vector<uint64_t> want;
    for (auto it = starts_.upper_bound(a); it != starts_.end() && *it < b;) {
      want.push_back(*it);
      it = starts_.erase(it);
    }
    if (got == want) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "clear_between(" << a << ", " << b << ") cleared " << ::testing::PrintToString(got)
           << ", the set held " << ::testing::PrintToString(want);
  }
  ::testing::AssertionResult start_at_or_before(uint64_t a) const {
    auto it = starts_.upper_bound(a);
    const uint64_t want = it == starts_.begin() ? 0 : *std::prev(it);
    const uint64_t got = map_.start_at_or_before(a);
    if (got == want) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "start_at_or_before(" << a << ") is " << got << ", the set says " << want;
  }

 private:
  ChunkMap& map_;
  std::set<uint64_t> starts_;
};

TEST_F(Core, ChunkMapMatchesASetUnderRandomUse) {
  ChunkMap map;
  ASSERT_TRUE(map.init(&region_, uint64_t{1} << 22));
  const uint64_t base = 0x10000000;
  MapBesideSet both(&map);
  both.reset(base);
  std::mt19937_64 rng(5);
  for (int i = 0; i < 20000; ++i) {
    const uint64_t a = base + (rng() % 4096) * 16;
    switch (rng() % 3) {
      case 0: both.set(a); break;
      case 1: ASSERT_TRUE(both.clear_between(a, a + (rng() % 64) * 16)) << "op " << i; break;
      default: ASSERT_TRUE(both.start_at_or_before(a)) << "op " << i;
    }
  }
}

// Sparse starts over a heap of 64 MiB, ranges of up to 16 MiB cleared at once, single starts
// cleared too (the summary then keeps a bit for an empty word): what the summary skips must be
// what a plain set says is empty.
TEST_F(Core, ChunkMapMatchesASetOverAWideSparseHeap) {
  ChunkMap map;
  ASSERT_TRUE(map.init(&region_, uint64_t{1} << 26));
  const uint64_t base = 0x10000000;
  MapBesideSet both(&map);
  std::mt19937_64 rng(11);
  for (int round = 0; round < 3; ++round) {
    both.reset(base);
    for (int i = 0; i < 20000; ++i) {
      const uint64_t a = base + (rng() % (uint64_t{1} << 22)) * 16;
      switch (rng() % 4) {
        case 0: both.set(a); break;
        case 1:
          ASSERT_TRUE(both.clear_between(a, a + (rng() % (uint64_t{1} << 20)) * 16))
              << "round " << round << " op " << i;
          break;
        case 2: both.clear_one_from(a); break;
        default: ASSERT_TRUE(both.start_at_or_before(a)) << "round " << round << " op " << i;
      }
    }
  }
}

TEST_F(Core, NodeTableGrowsErasesAndResets) {
  NodeTable t;
  ASSERT_TRUE(t.init(&region_, 1 << 16));
  std::mt19937_64 rng(9);
  std::map<uint64_t, int64_t> model;
  for (int i = 0; i < 50000; ++i) {
    const uint64_t a = 0x20000000 + (rng() % 8192) * 16;
    if (rng() % 3 == 0) {
      t.erase(a);
      model.erase(a);
    } else {
      Node* n = t.insert(a);
      ASSERT_NE(n, nullptr);
      n->label = static_cast<int64_t>(i);
      model[a] = i;
    }
  }
  EXPECT_EQ(t.size(), model.size());
  for (const auto& [a, label] : model) {
    const Node* n = t.find(a);
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->label, label);
  }
  t.reset();
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.find(model.begin()->first), nullptr);
}

TEST_F(Core, AddrMapStartsEmptyEachTimeAndGrows) {
  Array<uint64_t> storage;
  ASSERT_TRUE(storage.init(&region_, 1 << 16));
  AddrMap m;
  m.init(&storage);
  for (int round = 0; round < 70000; ++round) {  // past the 16-bit generation wrap
    m.begin(2);
    const uint64_t a = 0x1000 + 16 * static_cast<uint64_t>(round % 7);
    EXPECT_FALSE(m.get(a));
    EXPECT_TRUE(m.insert(a));
    EXPECT_FALSE(m.insert(a));
    if (round % 10000 == 0) {  // one big round: the map grows
      for (uint64_t k = 0; k < 1000; ++k) ASSERT_TRUE(m.put(0x100000 + 16 * k, k));
      uint64_t v = 0;
      EXPECT_TRUE(m.get(0x100000 + 16 * 999, &v));
      EXPECT_EQ(v, 999u);
      EXPECT_TRUE(m.get(a));
    }
  }
}

TEST(CoreSort, SortsWordsAndPairs) {
  std::mt19937_64 rng(3);
  std::vector<uint64_t> v(1000);
  for (auto& x : v) x = rng();
  std::vector<uint64_t> want = v;
  std::sort(want.begin(), want.end());
  sort_u64(v.data(), v.size());
  EXPECT_EQ(v, want);
  std::vector<uint64_t> pairs = {static_cast<uint64_t>(-5), 1, 7, 2, static_cast<uint64_t>(-9), 3};
  sort_pairs_by_signed_first(pairs.data(), 3);
  EXPECT_EQ(pairs, (std::vector<uint64_t>{static_cast<uint64_t>(-9), 3, static_cast<uint64_t>(-5),
                                          1, 7, 2}));
  // Every length around the switch between insertion sort and the others, with repeats and runs
  // already in order (as an op's write log has them).
  for (uint64_t n = 0; n < 80; ++n) {
    std::vector<uint64_t> w(n);
    for (uint64_t i = 0; i < n; ++i) w[i] = i % 3 == 0 ? rng() % 16 : 0x1000 + 8 * i;
    std::vector<uint64_t> sorted = w;
    std::sort(sorted.begin(), sorted.end());
    sort_u64(w.data(), n);
    EXPECT_EQ(w, sorted) << n;
    std::vector<uint64_t> p(2 * n);
    for (uint64_t i = 0; i < n; ++i) {
      p[2 * i] = rng() % 1000 - 500;
      p[2 * i + 1] = i;
    }
    sort_pairs_by_signed_first(p.data(), n);
    for (uint64_t i = 1; i < n; ++i)
      EXPECT_LE(static_cast<int64_t>(p[2 * i - 2]), static_cast<int64_t>(p[2 * i])) << n;
  }
}

TEST(CoreText, FormatsLikeTheReports) {
  char buf[256];
  Text t(buf, sizeof buf);
  Where w;
  w.heap_base = 0x1000;
  w.heap_end = 0x3000;
  add_at(&t, w, 0x12a0);
  t.add(" ");
  add_at(&t, w, 0x7fff0000);
  t.add(" ").dec(4095).add(" ");
  add_bin_name(&t, BinId{BinKind::kRegular, 64});
  t.add(" ");
  add_bin_name(&t, BinId{BinKind::kTcache, 0});
  EXPECT_STREQ(t.c_str(), "heap+0x2a0 0x7fff0000 4095 largebins[0x400-0x430] tcachebins[0x20]");
  Finding f;
  f.rule = "bin.chunk_in_use";
  std::strcpy(f.message, "the chunk is in a bin.");
  f.chunk = 0x1290;
  f.chunk_size = 0x90;
  f.bin = BinId{BinKind::kRegular, 9};
  char line[256];
  Text l(line, sizeof line);
  add_finding(&l, f, 0x1000, 3);
  EXPECT_STREQ(l.c_str(),
               "op 3: bin.chunk_in_use at chunk heap+0x290 (size 0x90) in smallbins[0x90]: the "
               "chunk is in a bin.");
  char tiny[8];
  Text cut(tiny, sizeof tiny);
  cut.add("longer than eight");
  EXPECT_STREQ(cut.c_str(), "longer ");
}

// diff_words names every differing word, in order, on both of its paths (AVX2 when the CPU has it,
// memcmp otherwise), for lengths around its 4-, 16- and 64-word steps.
TEST_F(Core, DiffWordsNamesEveryDifferingWordOnBothPaths) {
  std::mt19937_64 rng(7);
  const int saved = word_diff_internal::avx2_state;
  const bool avx2 = word_diff_internal::avx2_usable();
  for (int path = 0; path < (avx2 ? 2 : 1); ++path) {
    word_diff_internal::avx2_state = path;
    for (uint64_t n : {1, 3, 4, 5, 10, 15, 16, 17, 63, 64, 65, 127, 128, 254, 300}) {
      for (int round = 0; round < 50; ++round) {
        std::vector<uint64_t> a(n + 1), b(n + 1);  // + 1: a misaligned start too
        for (auto& w : a) w = rng();
        b = a;
        std::vector<uint64_t> want;
        const int changes = round % 5 == 0 ? 0 : static_cast<int>(rng() % 6);
        std::set<uint64_t> at;
        for (int c = 0; c < changes; ++c) at.insert(rng() % n);
        if (round % 7 == 1) at.insert(n - 1);  // the last word
        for (uint64_t i : at) b[i + (round & 1)] ^= uint64_t{1} << (rng() % 64);
        want.assign(at.begin(), at.end());
        std::vector<uint64_t> got;
        const auto* pa = reinterpret_cast<const unsigned char*>(a.data() + (round & 1));
        const auto* pb = reinterpret_cast<const unsigned char*>(b.data() + (round & 1));
        diff_words(pa, pb, n, [&](uint64_t i) { got.push_back(i); });
        EXPECT_EQ(got, want) << "path " << path << ", n " << n << ", round " << round;
      }
    }
  }
  word_diff_internal::avx2_state = saved;
}

}  // namespace
}  // namespace heaptwin::check
