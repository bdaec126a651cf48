// sysmalloc and systrim: how the break grows and shrinks, mmapped chunks and the dynamic threshold.
#include <gtest/gtest.h>

#include "allocator/test_support.h"

namespace heaptwin::alloc {
namespace {

TEST(SysmallocTest, FirstBreakAndTopGrowth) {
  TestTwin t;
  // tcache_init: 0x290 + top_pad 0x20000 + MINSIZE, page-rounded: 0x21000. Top (0x20d70) still
  // serves 0x20000 (nb 0x20010), so no mapping although nb >= mmap_threshold.
  EXPECT_EQ(t.malloc(0x20000), 0x2a0);
  EXPECT_EQ(t.mp().sbrk_base, t.base());
  EXPECT_EQ(t.av().system_mem, 0x21000u);
  EXPECT_EQ(t.malloc(0x1f000), 0x202b0);
  EXPECT_EQ(t.memory.brk() - t.base(), t.av().system_mem);
}

TEST(SysmallocTest, MmapAboveThresholdAndDynamicThreshold) {
  TestTwin t;
  t.malloc(0x18);
  Addr c = t.twin.malloc(0x30000).raw();
  ASSERT_NE(c, 0u);
  EXPECT_EQ(c & 0xfff, 0x10u);
  EXPECT_EQ(*reinterpret_cast<uint64_t*>(c - 8), 0x31002u);
  EXPECT_EQ(t.mp().n_mmaps, 1);
  t.twin.free(UserAddr{c});
  EXPECT_EQ(t.mp().mmap_threshold, 0x31000u);
  EXPECT_EQ(t.mp().trim_threshold, 0x62000u);
  EXPECT_EQ(t.mp().n_mmaps, 0);
  EXPECT_EQ(t.malloc(0x30000), 0x2c0);  // now below the threshold: from the heap
}

TEST(SysmallocTest, TrimOnFree) {
  TestTwin t;
  int64_t a = t.malloc(0x1f000);
  int64_t b = t.malloc(0x1f000);
  uint64_t grown = t.memory.brk();
  t.free_at(b);
  t.free_at(a);
  // top reaches trim_threshold: the break shrinks to keep top_pad, page-rounded
  EXPECT_LT(t.memory.brk(), grown);
  EXPECT_EQ(t.memory.brk() - t.base(), t.av().system_mem);
  EXPECT_EQ(t.off(t.av().top) + t.twin.chunksize(ChunkAddr{t.av().top}), t.memory.brk() - t.base());
}

TEST(SysmallocTest, OutOfBreakFallsBackToMmapOrFails) {
  SimulatedMemoryOptions o;
  o.brk_capacity = 0x22000;
  o.mmap_capacity = 0x10000;
  TestTwin t(GlibcProfile::glibc_2_36(), o);
  t.malloc(0x18);
  EXPECT_EQ(t.malloc(0x21000), 0);     // mapping refused, break full, 1 MiB fallback refused
  EXPECT_EQ(t.twin.last_errno(), 12);  // ENOMEM
}

}  // namespace
}  // namespace heaptwin::alloc

namespace heaptwin::alloc {
namespace {

// 2.43's arena flags live at main_arena+0x4 (malloc_state without fastbinsY): the mmap
// fallback's NONCONTIGUOUS_BIT goes there, so a free at the old heap's end is no "double free
// or corruption (out)". (Real 2.43 frees b here too; the mapping's addresses keep it out of the
// golden recordings.) Writing the bit into the 2.36 struct's flags fails this test.
TEST(SysmallocTest, MmapFallbackMarksTheArenaNonContiguousOn243) {
  GlibcProfile p;
  ASSERT_TRUE(GlibcProfile::for_version("2.43", &p));
  TestTwin t(p);
  t.malloc(0x18);
  t.twin.mallopt(-4, 0);       // M_MMAP_MAX
  t.twin.mallopt(-2, -65536);  // M_TOP_PAD: the brk request goes negative
  Addr b = t.twin.malloc(0x30000).raw();
  ASSERT_NE(b, 0u);
  const int32_t flags = *reinterpret_cast<const int32_t*>(t.twin.main_arena() + 4);
  EXPECT_EQ(flags & kNonContiguousBit, kNonContiguousBit);
  Addr c = t.twin.malloc(0x20).raw();
  ASSERT_NE(c, 0u);
  t.twin.free(UserAddr{b});
  t.twin.free(UserAddr{c});
}

}  // namespace
}  // namespace heaptwin::alloc
