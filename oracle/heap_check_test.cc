// The heap checker against real glibc: clean on every heap real glibc builds, and for each rule
// a Program (write8 ops into real glibc's heap) or, for arena fields no Program can reach, a
// copy of real glibc's memory with one field changed, that breaks exactly that rule.
#include "oracle/heap_check.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "oracle/glibc/glibc_side.h"
#include "oracle/heap_image.h"
#include "program/heap_format.h"

namespace heaptwin {
namespace {

Program parse(const std::string& text) {
  std::string error;
  auto p = parse_heap(text, "test.heap", &error);
  EXPECT_TRUE(p.has_value()) << error;
  return p ? *p : Program();
}

std::string describe(const std::vector<Violation>& vs) {
  std::string s;
  for (const auto& v : vs) s += "  " + to_string(v) + "\n";
  return s.empty() ? "  (none)\n" : s;
}

std::set<std::string> rules_of(const std::vector<Violation>& vs) {
  std::set<std::string> r;
  for (const auto& v : vs) r.insert(v.rule);
  return r;
}

class HeapCheckTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string error;
    side_ = make_glibc_side("glibc", &error).release();
    ASSERT_NE(side_, nullptr) << error;
  }
  static void TearDownTestSuite() {
    delete side_;
    side_ = nullptr;
  }

  struct Run {
    Trace trace;
    std::vector<std::vector<Violation>> after;  // per op that returned
    HeapImage last;                             // real glibc's memory after the last op
  };

  Run run(const std::string& text, std::vector<std::pair<std::string, std::string>> tunables = {}) {
    Run r;
    RunOptions options;
    options.tunables = std::move(tunables);
    options.inspect = [&](size_t i, const MemoryReader& mem, const HeapLocation& loc,
                          const GlibcLayout& layout) {
      auto vs = check_heap(mem, loc, layout);
      for (auto& v : vs) v.op_index = static_cast<int64_t>(i);
      r.after.push_back(std::move(vs));
      r.last = HeapImage::capture(mem, loc, layout);
    };
    r.trace = side_->run(parse(text), options);
    EXPECT_EQ(r.trace.error, "");
    return r;
  }

  // Every op of `text` leaves a heap the checker accepts.
  void expect_clean(const std::string& text, std::vector<std::pair<std::string, std::string>> tunables = {}) {
    Run r = run(text, std::move(tunables));
    for (size_t i = 0; i < r.after.size(); ++i) {
      EXPECT_TRUE(r.after[i].empty()) << "after op " << i << ":\n" << describe(r.after[i]) << text;
    }
  }

  // `setup` is clean after every op; `setup` + `corrupt` breaks exactly `rules` after its last op.
  void expect_breaks(const std::string& setup, const std::string& corrupt,
                     std::set<std::string> rules) {
    Run r = run(setup + corrupt);
    const size_t setup_ops = parse(setup).ops.size();
    ASSERT_EQ(r.after.size(), parse(setup + corrupt).ops.size()) << "a op did not return";
    for (size_t i = 0; i < setup_ops; ++i) {
      EXPECT_TRUE(r.after[i].empty()) << "setup, op " << i << ":\n" << describe(r.after[i]);
    }
    EXPECT_EQ(rules_of(r.after.back()), rules) << describe(r.after.back());
  }

  static Side* side_;
};
Side* HeapCheckTest::side_ = nullptr;

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

// ---- one Program per rule: write8 into real glibc's heap ----------------------------------------

// Offsets: the tcache struct is the chunk at heap+0 (size 0x290); the first malloc(0x18) is the
// chunk at heap+0x290, user pointer heap+0x2a0.
const char* kTwoTcache = "a = malloc 0x18\nb = malloc 0x18\nc = malloc 0x18\nfree a\nfree b\n";
const char* kUnsorted = "a = malloc 0x418\ng = malloc 0x18\nfree a\n";

std::string fastbin_setup() {
  std::string s;
  for (int i = 0; i < 7; ++i) s += "x" + std::to_string(i) + " = malloc 0x18\n";
  s += "f = malloc 0x18\nf2 = malloc 0x18\ng = malloc 0x18\n";
  for (int i = 0; i < 7; ++i) s += "free x" + std::to_string(i) + "\n";
  return s + "free f\n";
}

// Two chunks of different sizes in largebins[0x400-0x430]: c (0x430) first, then a (0x420).
const char* kLargeBin =
    "a = malloc 0x418\ng1 = malloc 0x18\nc = malloc 0x428\ng2 = malloc 0x18\nfree a\nfree c\n"
    "big = malloc 0x500\n";

TEST_F(HeapCheckTest, ChunkBadSize) {
  expect_breaks("a = malloc 0x18\nb = malloc 0x18\n", "write8 a -8 0x19\n", {"chunk.bad_size"});
}
TEST_F(HeapCheckTest, ChunkFlags) {
  expect_breaks("a = malloc 0x18\nb = malloc 0x18\n", "write8 a -8 0x23\n", {"chunk.flags"});
  expect_breaks("a = malloc 0x18\nb = malloc 0x18\n", "write8 a -8 0x25\n", {"chunk.flags"});
}
TEST_F(HeapCheckTest, ChunkFirstPrevInuse) {
  expect_breaks("a = malloc 0x18\n", "write8 a -0x298 0x290\n", {"chunk.first_prev_inuse"});
}
TEST_F(HeapCheckTest, FreeFooter) {
  expect_breaks(kUnsorted, "write8 g -0x10 0x430\n", {"free.footer"});
}
TEST_F(HeapCheckTest, BinBadPointer) {
  expect_breaks(kUnsorted, "write8 a 0 0x4141\n", {"bin.bad_pointer"});
}
TEST_F(HeapCheckTest, BinFdBkMismatch) {
  expect_breaks(kUnsorted, "write8 a 8 heap+0x10\n", {"bin.fd_bk_mismatch"});
}
TEST_F(HeapCheckTest, BinCycle) {
  // unsorted: head -> b -> a -> head; make it head -> b -> a -> b -> ... A loop that leaves the
  // head behind always gives its entry two predecessors, so one bk is wrong too.
  expect_breaks("a = malloc 0x418\ng1 = malloc 0x18\nb = malloc 0x418\ng2 = malloc 0x18\nfree a\nfree b\n",
                "write8 a 0 b-0x10\nwrite8 b 8 a-0x10\n", {"bin.cycle", "bin.fd_bk_mismatch"});
}
TEST_F(HeapCheckTest, BinWrongBin) {
  // a (0x420, in the large bin) swallows its guard: size 0x440, and big's header says so.
  expect_breaks("a = malloc 0x418\ng = malloc 0x18\nfree a\nbig = malloc 0x508\n",
                "write8 a -8 0x441\nwrite8 big -0x10 0x440\nwrite8 big -8 0x510\n", {"bin.wrong_bin"});
}
TEST_F(HeapCheckTest, LargeBinUnsorted) {
  // c shrinks to 0x410 (a fake in-use 0x20 chunk after it): now smaller than a, which follows it.
  expect_breaks(kLargeBin,
                "write8 c -8 0x411\nwrite8 c 0x400 0x410\nwrite8 c 0x408 0x20\nwrite8 g2 -8 0x21\n",
                {"largebin.unsorted"});
}
TEST_F(HeapCheckTest, LargeBinNextsize) {
  expect_breaks(kLargeBin, "write8 a 0x10 0\n", {"largebin.nextsize"});
}
TEST_F(HeapCheckTest, UnsortedNextsizeSet) {
  expect_breaks(kUnsorted, "write8 a 0x10 0x1234\n", {"unsorted.nextsize_set"});
}
TEST_F(HeapCheckTest, FastbinBadPointer) {
  expect_breaks(fastbin_setup(), "write8 f 0 0x4141\n", {"fastbin.bad_pointer"});
}
TEST_F(HeapCheckTest, FastbinCycle) {
  expect_breaks(fastbin_setup() + "free f2\n", "write8 f 0 protect(f, f2-0x10)\n", {"fastbin.cycle"});
}
TEST_F(HeapCheckTest, FastbinWrongSize) {
  expect_breaks(fastbin_setup(), "write8 f -8 0x41\n", {"fastbin.wrong_size"});
}
TEST_F(HeapCheckTest, FastbinChunkFree) {
  expect_breaks(fastbin_setup(), "write8 f2 -0x10 0x20\nwrite8 f2 -8 0x20\n", {"fastbin.chunk_free"});
}
TEST_F(HeapCheckTest, TcacheBadPointer) {
  expect_breaks(kTwoTcache, "write8 b 0 0x4141\n", {"tcache.bad_pointer"});
}
TEST_F(HeapCheckTest, TcacheCycle) {
  expect_breaks(kTwoTcache, "write8 a 0 protect(a, b)\n", {"tcache.cycle"});
}
TEST_F(HeapCheckTest, TcacheWrongSize) {
  // a (in tcachebins[0x20]) swallows the in-use b.
  expect_breaks("a = malloc 0x18\nb = malloc 0x18\nc = malloc 0x18\nfree a\n", "write8 a -8 0x41\n",
                {"tcache.wrong_size"});
}
TEST_F(HeapCheckTest, TcacheKey) {
  expect_breaks(kTwoTcache, "write8 a 8 0x1234\n", {"tcache.key"});
}
TEST_F(HeapCheckTest, TcacheCountMismatch) {
  // counts[0] is the u16 at heap+0x10 = a - 0x290.
  expect_breaks(kTwoTcache, "write8 a -0x290 1\n", {"tcache.count_mismatch"});
}
TEST_F(HeapCheckTest, TcacheCountOverLimit) {
  expect_breaks(kTwoTcache, "write8 a -0x290 8\n", {"tcache.count_over_limit", "tcache.count_mismatch"});
}
TEST_F(HeapCheckTest, TcacheChunkFree) {
  expect_breaks(kTwoTcache, "write8 c -0x10 0x20\nwrite8 c -8 0x20\n", {"tcache.chunk_free"});
}
TEST_F(HeapCheckTest, ChunkInTwoBins) {
  // The fastbin chunk f points at x0, also in tcachebins[0x20]; x0's tcache next (the last
  // entry's) is protect(x0, 0), which reveals to NULL read as a fastbin fd at the same place.
  expect_breaks(fastbin_setup(), "write8 f 0 protect(f, x0-0x10)\n", {"chunk.in_two_bins"});
}
TEST_F(HeapCheckTest, BinNotAChunk) {
  // A fake 0x20 chunk inside the in-use chunk y, reached from the fastbin.
  expect_breaks(fastbin_setup() + "y = malloc 0x48\n",
                "write8 y 8 0x21\nwrite8 y 0x10 protect(y+0x10, 0)\nwrite8 f 0 protect(f, y)\n",
                {"bin.not_a_chunk"});
}
TEST_F(HeapCheckTest, BinChunkInUse) {
  expect_breaks(kUnsorted, "write8 g -8 0x21\n", {"bin.chunk_in_use"});
}
TEST_F(HeapCheckTest, FreeNeighbours) {
  // a and c both in the unsorted bin; a swallows the guard between them, so they touch.
  expect_breaks("a = malloc 0x418\ng = malloc 0x18\nc = malloc 0x418\ng2 = malloc 0x18\nfree a\nfree c\n",
                "write8 a -8 0x441\nwrite8 c -0x10 0x440\nwrite8 c -8 0x420\n", {"free.neighbours"});
}
TEST_F(HeapCheckTest, FreeNotInBin) {
  expect_breaks("a = malloc 0x18\nb = malloc 0x18\nc = malloc 0x18\n",
                "write8 b -0x10 0x20\nwrite8 b -8 0x20\n", {"free.not_in_bin"});
}

// ---- arena fields no Program reaches: a copy of real glibc's memory, one field changed ------------

class HeapImageTest : public HeapCheckTest {
 protected:
  // Real glibc's memory after `setup` (clean), to be changed by the test.
  HeapImage image_after(const std::string& setup) {
    Run r = run(setup);
    EXPECT_FALSE(r.after.empty());
    EXPECT_TRUE(check_heap(r.last, r.last.loc, r.last.layout).empty());
    return r.last;
  }
  std::set<std::string> rules(const HeapImage& image) {
    return rules_of(check_heap(image, image.loc, image.layout));
  }
  uint64_t top(const HeapImage& m) { return m.u64(m.loc.arena + m.layout.top); }
};

TEST_F(HeapImageTest, ArenaUnreadable) {
  HeapImage m = image_after("a = malloc 0x18\n");
  HeapLocation loc = m.loc;
  loc.arena = 0x1000;
  EXPECT_EQ(rules_of(check_heap(m, loc, m.layout)), std::set<std::string>{"arena.unreadable"});
}
TEST_F(HeapImageTest, ArenaSystemMem) {
  HeapImage m = image_after("a = malloc 0x18\n");
  uint64_t at = m.loc.arena + m.layout.system_mem;
  m.write_u64(at, m.u64(at) + 0x1000);
  EXPECT_EQ(rules(m), std::set<std::string>{"arena.system_mem"});
}
TEST_F(HeapImageTest, ArenaMaxFast) {
  HeapImage m = image_after("a = malloc 0x18\n");
  m.write_u64(m.loc.global_max_fast, 0x100);
  EXPECT_EQ(rules(m), std::set<std::string>{"arena.max_fast"});
}
TEST_F(HeapImageTest, TopOutsideHeap) {
  HeapImage m = image_after("a = malloc 0x18\n");
  m.write_u64(m.loc.arena + m.layout.top, m.loc.heap_end + 0x1000);
  EXPECT_EQ(rules(m), std::set<std::string>{"top.outside_heap"});
}
TEST_F(HeapImageTest, TopSizeAndPrevInuse) {
  HeapImage m = image_after("a = malloc 0x18\n");
  const uint64_t t = top(m), size = m.u64(t + 8);
  m.write_u64(t + 8, size & ~uint64_t{1});
  EXPECT_EQ(rules(m), std::set<std::string>{"top.prev_inuse"});
  m.write_u64(t + 8, 0x11);
  EXPECT_EQ(rules(m), (std::set<std::string>{"top.size", "top.not_at_heap_end", "arena.system_mem"}));
  m.write_u64(t + 8, size + 0x1000);
  EXPECT_EQ(rules(m), (std::set<std::string>{"top.past_heap_end", "arena.system_mem"}));
}
TEST_F(HeapImageTest, TopNotAtHeapEnd) {
  HeapImage m = image_after("a = malloc 0x18\n");
  HeapLocation loc = m.loc;
  loc.heap_end += 0x1000;  // the break moved without glibc knowing
  EXPECT_EQ(rules_of(check_heap(m, loc, m.layout)), std::set<std::string>{"top.not_at_heap_end"});
}
TEST_F(HeapImageTest, BinmapClearForNonEmpty) {
  // a (0x90) reaches smallbins[0x90] when malloc(0x100) sorts the unsorted bin.
  HeapImage m = image_after("a = malloc 0x88\ng = malloc 0x18\n"
                            "x0 = malloc 0x88\nx1 = malloc 0x88\nx2 = malloc 0x88\nx3 = malloc 0x88\n"
                            "x4 = malloc 0x88\nx5 = malloc 0x88\nx6 = malloc 0x88\ng2 = malloc 0x18\n"
                            "free x0\nfree x1\nfree x2\nfree x3\nfree x4\nfree x5\nfree x6\nfree a\n"
                            "b = malloc 0x100\n");
  const uint64_t word = m.loc.arena + m.layout.binmap;  // bin 9 is in binmap[0]
  EXPECT_NE(m.u64(word) & (1u << 9), 0u);
  m.write_u64(word, m.u64(word) & ~uint64_t{1u << 9});
  EXPECT_EQ(rules(m), std::set<std::string>{"binmap.clear_for_nonempty"});
}
TEST_F(HeapImageTest, FastbinFlags) {
  HeapImage m = image_after(fastbin_setup());
  HeapImage n = m;
  m.write_u64(m.loc.global_max_fast, 0x10);  // what mallopt(M_MXFAST, 0) stores
  EXPECT_EQ(rules(m), std::set<std::string>{"fastbin.beyond_max_fast"});
  const uint64_t at = n.loc.arena + n.layout.have_fastchunks;
  n.write_u64(at, n.u64(at) & ~uint64_t{0xffffffff});
  EXPECT_EQ(rules(n), std::set<std::string>{"fastbin.have_fastchunks"});
}
TEST_F(HeapImageTest, TcacheBeyondBins) {
  HeapImage m = image_after(kTwoTcache);
  m.write_u64(m.loc.mp + m.layout.mp_tcache_bins, 0);
  EXPECT_EQ(rules(m), std::set<std::string>{"tcache.beyond_bins"});
}
TEST_F(HeapImageTest, TcacheUnreadable) {
  HeapImage m = image_after(kTwoTcache);
  HeapLocation loc = m.loc;
  loc.tcache = 0x1000;
  EXPECT_EQ(rules_of(check_heap(m, loc, m.layout)), std::set<std::string>{"tcache.unreadable"});
}

// ---- a corrupted heap never crashes or hangs the checker ------------------------------------------

TEST_F(HeapImageTest, RandomCorruptionNeverCrashesOrHangs) {
  // ~100 chunks in every kind of bin.
  const char* sizes[] = {"0x18", "0x28", "0x48", "0x88", "0x108", "0x418", "0x458", "0x88", "0x28"};
  std::string setup;
  for (int i = 0; i < 90; ++i) setup += "c" + std::to_string(i) + " = malloc " + sizes[i % 9] + "\n";
  for (int i = 0; i < 90; i += 2) setup += "free c" + std::to_string(i) + "\n";
  setup += "big = malloc 0x2000\n";
  const HeapImage clean = image_after(setup);
  const uint64_t base = clean.loc.heap_base;
  const uint64_t used = top(clean) + 0x20 - base;  // the chunks and top's header
  uint64_t seed = 0x9e3779b97f4a7c15;
  auto next = [&] {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  size_t with_violations = 0;
  for (int round = 0; round < 3000; ++round) {
    HeapImage m = clean;
    const int writes = 1 + static_cast<int>(next() % 4);
    for (int w = 0; w < writes; ++w) {
      uint64_t at;
      if (next() % 8 == 0) {  // a bin head or the binmap in main_arena
        at = m.loc.arena + m.layout.fastbins + (next() % ((m.layout.binmap + 0x10 - m.layout.fastbins) / 8)) * 8;
      } else {
        at = base + (next() % (used / 8)) * 8;
      }
      uint64_t value;
      switch (next() % 6) {
        case 0: value = next(); break;
        case 1: value = base + (next() % used); break;                       // into the heap, any alignment
        case 2: value = base + (next() % (used / 16)) * 16; break;           // a chunk-looking address
        case 3: value = (at >> 12) ^ (base + (next() % (used / 16)) * 16); break;  // safe-linked
        case 4: value = (next() % 0x60) | (next() % 8); break;               // a small size
        default: value = m.u64(base + (next() % (used / 8)) * 8); break;     // some other heap word
      }
      m.write_u64(at, value);
    }
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
