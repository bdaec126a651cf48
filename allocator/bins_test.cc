// The unsorted scan, small and large bins, the binmap: sorting and best fit.
#include <gtest/gtest.h>

#include "allocator/abort_messages.h"
#include "allocator/bins.h"
#include "allocator/test_support.h"

namespace heaptwin::alloc {
namespace {

TEST(BinsTest, UnsortedChunksAreSortedThenBestFitSplits) {
  TestTwin t;
  int64_t a = t.malloc_guarded(0x500);
  int64_t b = t.malloc_guarded(0x510);
  int64_t c = t.malloc_guarded(0x100);
  EXPECT_EQ(b, 0x7d0);
  t.free_each({a, b, c});  // c, 0x110: tcache
  // 0x600 fits nothing: a (0x510) and b (0x520) are sorted into large bin 64... then top serves.
  EXPECT_EQ(t.malloc(0x600), 0xe40);
  uint32_t idx = largebin_index(0x520);
  EXPECT_EQ(idx, largebin_index(0x510));
  EXPECT_EQ(t.off(t.bin_first(idx)), b - 0x10);  // largest first
  EXPECT_EQ(t.off(t.bin_last(idx)), a - 0x10);
  EXPECT_NE(t.av().binmap[idx >> 5] & (1u << (idx & 31)), 0u);
  // best fit: a (0x510) exactly fits 0x4f0 + 0x10 -> 0x500? No: nb 0x500, a is 0x510 (remainder
  // 0x10 < MINSIZE, so a whole).
  EXPECT_EQ(t.malloc(0x4f0), 0x2a0);
  EXPECT_EQ(t.malloc(0x18), 0x7d0);  // split from b via the binmap; the rest goes unsorted
  EXPECT_EQ(t.off(t.av().last_remainder), 0x7e0);
}

TEST(BinsTest, CorruptedUnsortedSizeAborts) {
  TestTwin t;
  int64_t a = t.malloc_guarded(0x500);
  t.free_at(a);
  t.write8(a - 8, 0x10);  // size <= CHUNK_HDR_SZ
  EXPECT_EQ(t.abort_message([&] { t.malloc(0x600); }), msg::kUnsortedInvalidSize);
}

}  // namespace
}  // namespace heaptwin::alloc
