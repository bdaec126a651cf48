// malloc_consolidate: a large request merges the fastbins first.
#include <gtest/gtest.h>

#include "allocator/bins.h"
#include "allocator/test_support.h"

namespace heaptwin::alloc {
namespace {

TEST(ConsolidateTest, LargeRequestMergesFastChunks) {
  TestTwin t;
  int64_t a[9];
  for (auto& x : a) x = t.malloc(0x38);
  t.malloc(0x18);
  for (auto x : a) t.free_at(x);  // a0..a6 tcache, a7 and a8 fastbin (0x40)
  EXPECT_EQ(t.off(t.av().fastbinsY[2]), a[8] - 0x10);
  // The two fastchunks merge into one 0x80 chunk, sorted into a small bin; 0x500 comes from top.
  EXPECT_EQ(t.malloc(0x500), 0x500);
  EXPECT_EQ(t.av().fastbinsY[2], 0u);
  EXPECT_EQ(t.av().have_fastchunks, 0);
  EXPECT_EQ(t.off(t.bin_first(smallbin_index(0x80))), a[7] - 0x10);
}

TEST(ConsolidateTest, FreeingIntoALargeTopConsolidates) {
  GlibcProfile p;
  p.tunables.tcache_count = {true, 0};
  TestTwin t(p);
  int64_t a = t.malloc(0x18);
  int64_t b = t.malloc(0x18);
  t.free_at(a);                 // fastbin
  EXPECT_EQ(t.av().have_fastchunks, 1);
  t.free_at(b);                 // fastbin too (TRIM_FASTBINS is off)
  int64_t big = t.malloc(0x1000);
  t.free_at(big);               // merges into top (>= 64 KiB): consolidates everything
  EXPECT_EQ(t.av().have_fastchunks, 0);
  EXPECT_EQ(t.off(t.av().top), 0x290);
}

}  // namespace
}  // namespace heaptwin::alloc
