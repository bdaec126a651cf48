// unlink_chunk (unlink.cc): a free chunk leaves its bin when it merges with a neighbour being
// freed (or is taken by a best fit or the binmap search): its bin's list closes over it, and in a
// large bin a size group's leader hands its place on the nextsize list to the next chunk of its
// size. Expected values are real glibc 2.36's, recorded in
// tests/golden/concepts/unlink_size_group_leader.heap, tests/golden/aborts/
// unlink_double_linked_list.heap and unlink_size_vs_prev_size.heap (ops as in their .expected).
#include <gtest/gtest.h>

#include <vector>

#include "allocator/abort_messages.h"
#include "allocator/bins.h"
#include "allocator/test_support.h"

namespace heaptwin::alloc {
namespace {

using Offsets = std::vector<int64_t>;
constexpr int kBin90 = smallbin_index(0x90);
constexpr int kBin500 = largebin_index(0x500);

// unlink_size_group_leader.heap, ops 0-34: three 0x90 chunks in their small bin (s2 followed by
// n2, in use), and b (0x530), c (0x520, followed by nc, in use) and d (0x520) in a large bin.
struct Binned {
  int64_t s2, n2, c, nc;
};

Binned bin_them(TestTwin& t) {
  const auto tc = t.tcache_fillers(0x88);
  Binned h;
  int64_t s1 = t.malloc_guarded(0x88);
  h.s2 = t.malloc(0x88);
  h.n2 = t.malloc_guarded(0x4f8);
  int64_t s3 = t.malloc_guarded(0x88);
  int64_t b = t.malloc_guarded(0x528);
  h.c = t.malloc(0x518);
  h.nc = t.malloc_guarded(0x4f8);
  int64_t d = t.malloc_guarded(0x518);
  t.free_each(tc);  // the 0x90 tcache bin is full
  t.free_each({s1, h.s2, s3, b, h.c, d});
  t.malloc(0x600);
  return h;
}

TEST(UnlinkTest, MergingWithABinnedChunkTakesItOutOfItsSmallBin) {
  TestTwin t;
  Binned h = bin_them(t);
  EXPECT_EQ(t.bin_chunks(kBin90), (Offsets{0xce0, 0x730, 0x680}));  // op 34
  // op 35: n2's previous chunk, s2, is free: free unlinks it and merges backwards
  // (malloc.c:4596); the bin closes over it, and the merged 0x590 chunk goes to unsorted.
  t.free_at(h.n2);
  EXPECT_EQ(t.bin_chunks(kBin90), (Offsets{0xce0, 0x680}));
  EXPECT_EQ(t.bin_chunks(1), Offsets{h.s2 - 0x10});
  EXPECT_EQ(t.read8(h.s2 - 0x8), 0x591u);
}

TEST(UnlinkTest, ALeaderLeavingHandsItsSkipListPlaceToTheNextOfItsSize) {
  TestTwin t;
  Binned h = bin_them(t);
  EXPECT_EQ(t.bin_chunks(kBin500), (Offsets{0xd90, 0x12e0, 0x1d20}));  // op 34
  EXPECT_EQ(t.nextsize_chunks(kBin500), (Offsets{0xd90, 0x12e0}));
  t.free_at(h.n2);
  // op 36: c led the 0x520 group; merging with nc unlinks it, and d, the next of its size,
  // takes its place on the skip list (malloc.c:1639-1648).
  t.free_at(h.nc);
  EXPECT_EQ(t.bin_chunks(kBin500), (Offsets{0xd90, 0x1d20}));
  EXPECT_EQ(t.nextsize_chunks(kBin500), (Offsets{0xd90, 0x1d20}));
  EXPECT_EQ(t.bin_chunks(1), (Offsets{h.c - 0x10, h.s2 - 0x10}));
  EXPECT_EQ(t.read8(h.c - 0x8), 0xa21u);
}

TEST(UnlinkTest, AChunkWhoseNeighboursDoNotPointBackAborts) {
  // tests/golden/aborts/unlink_double_linked_list.heap: a's fd is overwritten; freeing b merges
  // backwards with a and checks fd->bk and bk->fd (malloc.c:1628).
  TestTwin t;
  int64_t a = t.malloc(0x500);
  int64_t b = t.malloc(0x500);
  int64_t g = t.malloc(0x18);
  t.free_at(a);
  t.write8(a, t.base() + g);
  EXPECT_EQ(t.abort_message([&] { t.free_at(b); }), msg::kUnlinkDoubleLinkedList);
}

TEST(UnlinkTest, AChunkWhoseSizeDisagreesWithItsNeighboursPrevSizeAborts) {
  // tests/golden/aborts/unlink_size_vs_prev_size.heap: a's size grown in its large bin; the
  // best fit unlinks it and compares with the next chunk's prev_size (malloc.c:1622).
  TestTwin t;
  int64_t a = t.malloc_guarded(0x500);
  t.free_at(a);
  t.malloc(0x600);
  t.write8(a - 0x8, 0x531);
  EXPECT_EQ(t.abort_message([&] { t.malloc(0x4f0); }), msg::kUnlinkSizeVsPrevSize);
}

}  // namespace
}  // namespace heaptwin::alloc
