// Large bins (large_bins.cc): each holds a range of sizes, largest first, with a nextsize skip
// list through the first chunk of each size; a large request takes the best fit. Expected
// values are real glibc 2.36's, recorded in tests/golden/concepts/largebin_size_groups.heap,
// tests/golden/largebin_best_fit_split.heap and tests/golden/aborts/largebin_nextsize.heap (ops
// numbered as in their .expected).
#include <gtest/gtest.h>

#include <vector>

#include "allocator/abort_messages.h"
#include "allocator/bins.h"
#include "allocator/test_support.h"

namespace heaptwin::alloc {
namespace {

using Offsets = std::vector<int64_t>;
constexpr int kBin500 = largebin_index(0x500);  // sizes [0x500, 0x540)

struct SizeGroups {
  int64_t a, b, c, d;  // chunks of 0x510, 0x530, 0x520, 0x520, freed in that order
};

// largebin_size_groups.heap, ops 0-12: the four are freed, then sorted by a request for more.
SizeGroups sort_four_into_one_bin(TestTwin& t) {
  SizeGroups s;
  s.a = t.malloc_guarded(0x508);
  s.b = t.malloc_guarded(0x528);
  s.c = t.malloc_guarded(0x518);
  s.d = t.malloc_guarded(0x518);
  t.free_each({s.a, s.b, s.c, s.d});
  t.malloc(0x600);
  return s;
}

TEST(LargeBinsTest, SortedLargestFirstWithOneSkipListEntryPerSize) {
  TestTwin t;
  SizeGroups s = sort_four_into_one_bin(t);
  EXPECT_EQ(s.d, 0x1260);
  // op 12: b (0x530), then the 0x520 group c, d, then a (0x510). d, the second of its size, went
  // after c ("Always insert in the second position", malloc.c:4123) and is off the skip list.
  EXPECT_EQ(t.bin_chunks(kBin500), (Offsets{0x7c0, 0xd10, 0x1250, 0x290}));
  EXPECT_EQ(t.nextsize_chunks(kBin500), (Offsets{0x7c0, 0xd10, 0x290}));
  EXPECT_EQ(t.fd_nextsize(t.base() + 0x1250), 0u);  // as free left it (malloc.c:4631)
  EXPECT_EQ(t.binmap(kBin500 / 32), 1u << (kBin500 % 32));
}

TEST(LargeBinsTest, ABestFitTakesTheSecondChunkOfItsSizeSoTheSkipListStays) {
  TestTwin t;
  SizeGroups s = sort_four_into_one_bin(t);
  // op 13: 0x520 is the smallest size that fits 0x518 (walking the skip list up from the
  // smallest, malloc.c:4188); of its group, the second chunk, d, is taken (malloc.c:4193).
  EXPECT_EQ(t.malloc(0x518), s.d);
  EXPECT_EQ(t.nextsize_chunks(kBin500), (Offsets{0x7c0, 0xd10, 0x290}));
  // op 14: now c, the group's only chunk; the skip list closes over it.
  EXPECT_EQ(t.malloc(0x518), s.c);
  EXPECT_EQ(s.c, 0xd20);
  EXPECT_EQ(t.bin_chunks(kBin500), (Offsets{0x7c0, 0x290}));
  EXPECT_EQ(t.nextsize_chunks(kBin500), (Offsets{0x7c0, 0x290}));
}

TEST(LargeBinsTest, ABestFitIsSplitAndItsRemainderGoesToTheUnsortedBin) {
  // tests/golden/largebin_best_fit_split.heap: y (0x610) is cut from b (0x710), the smaller of
  // the two that fit; the 0x100 remainder goes to the unsorted bin, and is no last_remainder
  // (that is kept for small requests only).
  TestTwin t;
  int64_t a = t.malloc_guarded(0x800);
  int64_t b = t.malloc_guarded(0x700);
  t.free_each({a, b});
  t.malloc(0x1000);
  EXPECT_EQ(t.malloc(0x600), b);
  EXPECT_EQ(b, 0xad0);  // op 7
  EXPECT_EQ(t.bin_chunks(1), Offsets{0x10d0});
  EXPECT_EQ(t.read8(0x10d8), 0x101u);
  EXPECT_EQ(t.av().last_remainder, 0u);
}

TEST(LargeBinsTest, InsertingANewSizeChecksTheSkipList) {
  // tests/golden/aborts/largebin_nextsize.heap: a's bk_nextsize is overwritten; sorting c, a
  // new larger size, checks it (malloc.c:4130, since 2.30).
  TestTwin t;
  int64_t a = t.malloc_guarded(0x500);
  int64_t c = t.malloc_guarded(0x520);
  t.free_at(a);
  t.malloc(0x600);
  t.write8(a + 0x18, t.base());
  t.free_at(c);
  EXPECT_EQ(t.abort_message([&] { t.malloc(0x600); }), msg::kLargebinNextsize);
}

// Sorting a chunk into a large bin walks the nextsize ring from the largest size down to its
// own; a ring whose leader points at itself never gets there (glibc hangs). The walk writes
// nothing, so the first leader met twice proves it, long before the step guard. The same input
// on real glibc: corpus/regressions/attack/glibc223_largebin_nextsize_ring_never_ends.
TEST(LargeBinsTest, ANextsizeRingThatNeverReachesTheSizeIsProvenToHang) {
  TestTwin t(without_tcache());
  const int64_t a = t.malloc_guarded(0x428);  // 0x430
  const int64_t b = t.malloc_guarded(0x3f8);  // 0x400: the same large bin
  const int64_t c = t.malloc_guarded(0x418);  // 0x420
  t.free_each({a, b});
  t.malloc(0x1000);  // sorts both into their bin: a leads, b last
  t.write8(a + 0x10, t.base() + static_cast<uint64_t>(a) - 0x10);  // a's fd_nextsize: itself
  t.free_at(c);
  // sorting c walks from a for a size at most 0x420
  EXPECT_TRUE(t.hangs_proven([&] { t.malloc(0x1000); }));
}

}  // namespace
}  // namespace heaptwin::alloc
