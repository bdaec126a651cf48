// The unsorted scan (unsorted_scan.cc): the one place chunks are sorted into their bins. It takes
// chunks from the back of the unsorted bin (the oldest first), files each one that does not fit
// the request, and stops at an exact fit. Expected values are real glibc 2.36's, recorded in
// tests/golden/concepts/unsorted_exact_fit_stops_scan.heap, tests/golden/
// unsorted_stash_into_tcache.heap, tests/golden/last_remainder_split.heap and
// tests/golden/aborts/unsorted_invalid_next_size.heap (ops numbered as in their .expected).
#include <gtest/gtest.h>

#include <vector>

#include "allocator/abort_messages.h"
#include "allocator/bins.h"
#include "allocator/test_support.h"

namespace heaptwin::alloc {
namespace {

using Offsets = std::vector<int64_t>;
constexpr int kUnsorted = 1;

TEST(UnsortedScanTest, AnExactFitEndsTheScanAndLeavesNewerChunksUnsorted) {
  // unsorted_exact_fit_stops_scan.heap
  TestTwin t;
  int64_t a = t.malloc_guarded(0x4f8);
  int64_t b = t.malloc_guarded(0x608);
  int64_t c = t.malloc_guarded(0x88);
  t.free_each(t.tcache_fillers(0x88));  // the 0x90 tcache bin is full: c goes to the unsorted bin
  t.free_each({c, a, b});
  // op 22: the newest at the front
  EXPECT_EQ(t.bin_chunks(kUnsorted), (Offsets{0x7b0, 0x290, 0xde0}));

  // op 23: from the back, c (0x90) is filed into its small bin, then a (0x500) fits exactly
  // and is returned at once (no tcache bin holds 0x500); b, in front of it, is never looked at.
  EXPECT_EQ(t.malloc(0x4f8), a);
  EXPECT_EQ(a, 0x2a0);
  EXPECT_EQ(t.bin_chunks(kUnsorted), Offsets{0x7b0});
  EXPECT_EQ(t.bin_chunks(smallbin_index(0x90)), Offsets{0xde0});
  EXPECT_EQ(t.binmap(0), 1u << smallbin_index(0x90));  // filing marks the bin (mark_bin)

  // op 24: b (0x610) is filed into its large bin, which then serves the request: b split, the
  // 0x110 remainder to the unsorted bin.
  EXPECT_EQ(t.malloc(0x4f8), b);
  EXPECT_EQ(t.bin_chunks(kUnsorted), Offsets{0xcb0});
  EXPECT_EQ(t.read8(0xcb8), 0x111u);
}

TEST(UnsortedScanTest, ExactFitsGoToTheTcacheWhileItHasRoomAndTheScanGoesOn) {
  // tests/golden/unsorted_stash_into_tcache.heap: u1 and u2 fit a 0x88 request exactly; the
  // tcache bin has room after r1-r7, so both are cached and the request is served from the
  // tcache at the end of the scan: u2, the last one cached (op 28).
  TestTwin t;
  const auto u = t.free_past_full_tcache(2, 0x88);
  const int64_t u1 = u[0], u2 = u[1];
  EXPECT_EQ(t.bin_chunks(kUnsorted), (Offsets{u2 - 0x10, u1 - 0x10}));
  t.drain_tcache(0x88);           // ops 20-26
  EXPECT_EQ(t.malloc(0x88), u2);  // op 27
  EXPECT_EQ(u2, 0x740);
  EXPECT_EQ(t.bin_chunks(kUnsorted), Offsets{});
  EXPECT_EQ(t.tcache().counts[csize2tidx(0x90)], 1);  // u1 stays cached
  EXPECT_EQ(t.malloc(0x88), u1);
}

TEST(UnsortedScanTest, ASmallRequestIsCutFromTheLastRemainderWhenItIsAlone) {
  // tests/golden/last_remainder_split.heap: b is split from a's binned chunk and leaves the
  // remainder as last_remainder; c and d are cut from it in place, in address order.
  TestTwin t;
  t.free_at(t.malloc_guarded(0x4f8));
  int64_t b = t.malloc(0x100);
  EXPECT_EQ(b, 0x2a0);
  EXPECT_EQ(t.off(t.av().last_remainder), 0x3a0);
  EXPECT_EQ(t.malloc(0x100), 0x3b0);
  EXPECT_EQ(t.malloc(0x100), 0x4c0);
  EXPECT_EQ(t.off(t.av().last_remainder), 0x5c0);
  EXPECT_EQ(t.bin_chunks(kUnsorted), Offsets{0x5c0});
  EXPECT_EQ(t.read8(0x5c8), 0x1d1u);  // 0x500 - 3 * 0x110, PREV_INUSE
}

TEST(UnsortedScanTest, TheScanChecksEachChunkItTakes) {
  // tests/golden/aborts/unsorted_invalid_next_size.heap: the chunk after a's has a size below
  // the minimum (2.29's checks, malloc.c:3996-4010).
  TestTwin t;
  int64_t a = t.malloc(0x500);
  int64_t g = t.malloc(0x18);
  t.free_at(a);
  t.write8(g - 0x8, 0x1);
  EXPECT_EQ(t.abort_message([&] { t.malloc(0x600); }), msg::kUnsortedInvalidNextSize);
}

}  // namespace
}  // namespace heaptwin::alloc
