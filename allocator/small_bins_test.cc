// Small bins (small_bins.cc): one chunk size per bin, first in first out, and a hit that moves the
// rest of the bin into the tcache. Expected values are real glibc 2.36's, recorded in
// tests/golden/concepts/smallbin_fifo.heap and smallbin_tcache_full.heap (ops numbered as in
// their .expected) and tests/golden/aborts/smallbin_double_linked_list.heap.
#include <gtest/gtest.h>

#include <vector>

#include "allocator/abort_messages.h"
#include "allocator/bins.h"
#include "allocator/test_support.h"

namespace heaptwin::alloc {
namespace {

using Offsets = std::vector<int64_t>;
constexpr int kBin90 = smallbin_index(0x90);

TEST(SmallBinsTest, AHitTakesTheChunkFreedFirstAndMovesTheRestIntoTheTcache) {
  TestTwin t;
  // The 0x90 tcache bin is full: s[0..2] pass it (and the fastbins, which end at 0x80) to the
  // unsorted bin.
  const auto s = t.free_past_full_tcache(3, 0x88);
  EXPECT_EQ(s, (Offsets{0x690, 0x740, 0x7f0}));  // ops 7, 9, 11

  // op 23: the unsorted scan files each into small bin 0x90 at the front; freed first is last.
  EXPECT_EQ(t.malloc(0x500), 0x8a0);
  EXPECT_EQ(t.bin_chunks(kBin90), (Offsets{0x7e0, 0x730, 0x680}));

  t.drain_tcache(0x88);  // ops 24-30
  // op 31: the hit takes the back of the bin, s[0] (malloc.c:3901, victim = last (bin)), and
  // the loop at malloc.c:3922 moves s[1] then s[2] into the tcache, which is LIFO.
  EXPECT_EQ(t.malloc(0x88), s[0]);
  EXPECT_EQ(t.bin_chunks(kBin90), Offsets{});
  EXPECT_EQ(t.tcache().counts[csize2tidx(0x90)], 2);
  EXPECT_EQ(t.malloc(0x88), s[2]);  // op 32
  EXPECT_EQ(t.malloc(0x88), s[1]);  // op 33
}

TEST(SmallBinsTest, AHitChecksThatTheVictimsBkPointsBack) {
  // tests/golden/aborts/smallbin_double_linked_list.heap: calloc skips the tcache, so the bin
  // itself is read; a's bk points at itself, whose fd is not a.
  TestTwin t;
  const int64_t a = t.free_past_full_tcache(1, 0x100)[0];
  t.malloc(0x200);  // sorts a into small bin 0x110
  EXPECT_EQ(t.bin_chunks(smallbin_index(0x110)), Offsets{a - 0x10});
  t.write8(a + 0x8, t.base() + a);
  EXPECT_EQ(t.abort_message([&] { t.twin.calloc(1, 0x100).raw(); }), msg::kSmallbinCorrupted);
}

TEST(SmallBinsTest, AHitWithoutRoomInTheTcacheLeavesTheRestBinned) {
  // tests/golden/concepts/smallbin_tcache_full.heap: the tcache bin stays full, so the loop
  // moves nothing (its condition, malloc.c:3922, is counts[tc_idx] < tcache_count); calloc
  // reaches the bin past the full tcache.
  TestTwin t;
  const auto s = t.free_past_full_tcache(3, 0x88);
  t.malloc(0x500);
  EXPECT_EQ(t.off(t.twin.calloc(1, 0x88).raw()), 0x690);  // op 24: s[0], the chunk freed first
  EXPECT_EQ(s[0], 0x690);
  EXPECT_EQ(t.tcache().counts[csize2tidx(0x90)], 7);
  EXPECT_EQ(t.bin_chunks(kBin90), (Offsets{0x7e0, 0x730}));
}

}  // namespace
}  // namespace heaptwin::alloc
