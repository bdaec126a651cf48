// malloc_consolidate: a large request merges the fastbins first.
#include <gtest/gtest.h>

#include <vector>

#include "allocator/bins.h"
#include "allocator/test_support.h"

namespace heaptwin::alloc {
namespace {

TEST(ConsolidateTest, LargeRequestMergesFastChunks) {
  TestTwin t;
  const auto a = t.malloc_each(9, 0x38);
  t.malloc(0x18);
  t.free_each(a);  // a0..a6 tcache, a7 and a8 fastbin (0x40)
  EXPECT_EQ(t.off(t.av().fastbinsY[2]), a[8] - 0x10);
  // The two fastchunks merge into one 0x80 chunk, sorted into a small bin; 0x500 comes from top.
  EXPECT_EQ(t.malloc(0x500), 0x500);
  EXPECT_EQ(t.av().fastbinsY[2], 0u);
  EXPECT_EQ(t.av().have_fastchunks, 0);
  EXPECT_EQ(t.off(t.bin_first(smallbin_index(0x80))), a[7] - 0x10);
}

TEST(ConsolidateTest, FreeingIntoALargeTopConsolidates) {
  TestTwin t(without_tcache());
  int64_t a = t.malloc(0x18);
  int64_t b = t.malloc(0x18);
  t.free_at(a);  // fastbin
  EXPECT_EQ(t.av().have_fastchunks, 1);
  t.free_at(b);  // fastbin too (TRIM_FASTBINS is off)
  int64_t big = t.malloc(0x1000);
  t.free_at(big);  // merges into top (>= 64 KiB): consolidates everything
  EXPECT_EQ(t.av().have_fastchunks, 0);
  EXPECT_EQ(t.off(t.av().top), 0x290);
}

// 2.23 (no size check in malloc_consolidate): a fastbin chunk pointing at itself whose size
// reaches top, top's size forged to minus that: merged into top, its size comes to 0, so it is top
// again, and the loop writes the same head and top for ever (real 2.23 hangs: heaptwin diff --libc
// shows its time limit). The twin proves the repeat soon after the proof starts (2^16 steps, past
// any real consolidation) instead of counting 2^26 steps: two stores a step until then, a
// handful after, where the step guard makes two for each of its 2^26 steps.
TEST(ConsolidateTest, AFastbinThatKeepsItsCycleHangsAtOnce) {
  GlibcProfile p;
  ASSERT_TRUE(GlibcProfile::for_version("2.23", &p));
  TestTwin t(p);
  const int64_t a = t.malloc(0x18);  // chunk heap+0x0, top at heap+0x20 (2.23: no tcache)
  t.free_at(a);
  t.write8(a, t.base() + static_cast<uint64_t>(a) - 0x10);  // fd: the chunk itself
  t.write8(a + 0x18, 0xffffffffffffffe1);                   // top's size: -0x20
  std::vector<uint64_t> entries(uint64_t{1} << 18);
  WriteLog log;
  log.entries = entries.data();
  log.capacity = entries.size();
  t.twin.set_write_log(&log);
  try {
    t.malloc(0x500);
    ADD_FAILURE() << "returned";
  } catch (const HangError& e) {
    EXPECT_TRUE(e.proven);
  }
  EXPECT_FALSE(log.overflowed);
  EXPECT_LT(log.size, 2 * (uint64_t{1} << 16) + 100);
}

}  // namespace
}  // namespace heaptwin::alloc
