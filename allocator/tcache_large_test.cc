// The large tcache bins of 2.42+ (tcache_large.cc), under glibc.malloc.tcache_max. Expected
// values from real glibc 2.43 (Debian sid 2.43-7): the same scenarios are recorded in
// tests/golden/2.43/tcache_large_*.heap.
#include <gtest/gtest.h>

#include "allocator/abort_messages.h"
#include "allocator/bins.h"
#include "allocator/test_support.h"

namespace heaptwin::alloc {
namespace {

GlibcProfile profile_2_43(uint64_t tcache_max, uint64_t tcache_count = 0) {
  GlibcProfile p;
  EXPECT_TRUE(GlibcProfile::for_version("2.43", &p));
  p.tunables.tcache_max = {true, tcache_max};
  if (tcache_count != 0) p.tunables.tcache_count = {true, tcache_count};
  return p;
}

// The entries of large bin `idx` as chunk offsets from the heap base, head first.
std::vector<int64_t> large_bin(const TestTwin& t, int idx) {
  std::vector<int64_t> out;
  const Addr tc = t.twin.tcache();
  Addr e = *reinterpret_cast<const Addr*>(tc + 0x98 + 8 * idx);
  while (e != 0 && out.size() < 100) {
    out.push_back(static_cast<int64_t>(e - 0x10 - t.base()));
    const Addr link = e;
    e = (link >> 12) ^ *reinterpret_cast<const Addr*>(link);  // REVEAL_PTR
  }
  return out;
}

uint16_t num_slots(const TestTwin& t, int idx) {
  return reinterpret_cast<const uint16_t*>(t.twin.tcache())[idx];
}

TEST(TcacheLarge, TcacheMaxSetsTheLargestCachedChunkSize) {
  TestTwin t(profile_2_43(0x1000));
  t.malloc(0x18);
  EXPECT_EQ(t.mp().tcache_max_bytes, 0x1011u);  // request2size (0x1000) + 1
  EXPECT_EQ(t.mp().tcache_bins, 64u);           // tcache_small_bins: a large bin leaves it
  TestTwin largest(profile_2_43(0x3fffe0));
  largest.malloc(0x18);
  EXPECT_EQ(largest.mp().tcache_max_bytes, 0x3ffff1u);
  TestTwin beyond(profile_2_43(0x400000));  // bin 76 does not exist: the tunable is ignored
  beyond.malloc(0x18);
  EXPECT_EQ(beyond.mp().tcache_max_bytes, 0x411u);
}

TEST(TcacheLarge, BinsArePowersOfTwoOfTheChunkSize) {
  EXPECT_EQ(large_csize2tidx(0x420), 64u);
  EXPECT_EQ(large_csize2tidx(0x7f0), 64u);
  EXPECT_EQ(large_csize2tidx(0x800), 65u);
  EXPECT_EQ(large_csize2tidx(0x1010), 66u);
  EXPECT_EQ(large_csize2tidx(0x3ffff0), 75u);
}

TEST(TcacheLarge, FreeKeepsABinSortedAndMallocTakesOnlyAnExactFit) {
  TestTwin t(profile_2_43(0x1000));
  const int64_t a = t.malloc_guarded(0x500);
  const int64_t b = t.malloc_guarded(0x600);
  const int64_t c = t.malloc_guarded(0x480);
  t.free_each({a, b, c});  // the first free allocates the lazy tcache
  // Smallest first; the head is a plain pointer, the rest safe-linked.
  EXPECT_EQ(large_bin(t, 64), (std::vector<int64_t>{c - 0x10, a - 0x10, b - 0x10}));
  EXPECT_EQ(num_slots(t, 64), 16 - 3);
  EXPECT_EQ(t.malloc(0x540), 0x1320);  // 0x550: the first at least that is 0x610, not a fit
  EXPECT_EQ(t.malloc(0x600), b);       // from the end of the list
  EXPECT_EQ(t.malloc(0x500), a);       // from its middle
  EXPECT_EQ(large_bin(t, 64), (std::vector<int64_t>{c - 0x10}));
  EXPECT_EQ(num_slots(t, 64), 16 - 1);
}

TEST(TcacheLarge, CallocClearsTheCachedChunk) {
  TestTwin t(profile_2_43(0x1000));
  const int64_t a = t.malloc_guarded(0x480);
  t.write8(a + 0x40, 0x4141414141414141);
  t.free_at(a);
  EXPECT_EQ(t.off(t.twin.calloc(1, 0x480).raw()), a);
  EXPECT_EQ(t.read8(a + 0x40), 0u);
}

TEST(TcacheLarge, NumSlotsBoundTheBin) {
  TestTwin t(profile_2_43(0x1000, 2));
  const int64_t a = t.malloc_guarded(0x7f8);
  const int64_t b = t.malloc_guarded(0x9f8);
  const int64_t c = t.malloc_guarded(0x808);
  t.free_each({a, b, c});  // no slot left for c: past the tcache, to the unsorted bin
  EXPECT_EQ(large_bin(t, 65), (std::vector<int64_t>{a - 0x10, b - 0x10}));
  EXPECT_EQ(num_slots(t, 65), 0);
  // Alone in the unsorted bin: its fd and bk both name the bin's head.
  EXPECT_EQ(t.read8(c), t.read8(c + 8));
  EXPECT_NE(t.read8(c), 0u);
}

TEST(TcacheLarge, AForgedEntryIsCheckedForAlignmentWhenTaken) {
  TestTwin t(profile_2_43(0x1000));
  const int64_t a = t.malloc_guarded(0x480);
  const int64_t b = t.malloc_guarded(0x500);
  t.free_at(a);
  t.write8(b + 0x10, 0x510);  // the size the walk reads for the entry at b + 0x18
  const Addr target = t.base() + static_cast<uint64_t>(b) + 0x18;
  const Addr at = t.base() + static_cast<uint64_t>(a);
  t.write8(a, (at >> 12) ^ target);
  EXPECT_EQ(t.abort_message([&] { t.malloc(0x500); }), msg::kUnalignedTcacheChunk);
}

TEST(TcacheLarge, ACycleOfSmallerChunksHangs) {
  TestTwin t(profile_2_43(0x1000));
  const int64_t a = t.malloc_guarded(0x480);
  t.free_at(a);
  const Addr at = t.base() + static_cast<uint64_t>(a);
  t.write8(a, (at >> 12) ^ at);  // the entry points at itself
  // The walk writes nothing: its first repeated entry proves the hang.
  EXPECT_TRUE(t.hangs_proven([&] { t.malloc(0x500); }));
}

}  // namespace
}  // namespace heaptwin::alloc
