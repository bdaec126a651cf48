// mallopt and malloc_trim: values from real glibc 2.36.
#include <gtest/gtest.h>

#include "allocator/test_support.h"

namespace heaptwin::alloc {
namespace {

TEST(TuningTest, MalloptConsolidatesAndValidates) {
  TestTwin t;
  int64_t a = t.malloc(0x18);
  t.malloc(0x18);
  t.free_at(a);
  EXPECT_EQ(t.twin.mallopt(1, 0), 1);  // M_MXFAST 0
  EXPECT_EQ(*t.twin.libc().global_max_fast, 0x10u);
  EXPECT_EQ(t.twin.mallopt(1, 0xa1), 0);  // above MAX_FAST_SIZE
  EXPECT_EQ(t.twin.mallopt(-4, 0), 1);    // M_MMAP_MAX 0: no more mappings
  EXPECT_EQ(t.mp().no_dyn_threshold, 1);
  EXPECT_EQ(t.malloc(0x100000), 0x2e0);  // from the break
  EXPECT_EQ(t.twin.malloc_trim(0), 1);
}

TEST(TuningTest, TrimReleasesTopAndFreePages) {
  TestTwin t;
  int64_t x = t.malloc(0x40000);  // mapped
  t.free_at(x);
  EXPECT_EQ(t.malloc(0x40000), 0x2a0);  // the threshold rose: now from the break
  t.malloc(0x18);
  t.free_at(0x2a0);
  uint64_t before = t.memory.brk();
  EXPECT_EQ(t.twin.malloc_trim(0x1000), 1);
  EXPECT_LE(t.memory.brk(), before);
}

// A forged free-chunk size makes mtrim's madvise range run past the heap. In a real process that
// releases whatever is mapped above (libc's data, the stack: glibc 2.36 then faults on a NULL
// bin), which no twin can follow: the twin says so and releases nothing.
TEST(TuningTest, TrimOverAForgedSizeIsUnmodelled) {
  TestTwin t;
  int64_t a = t.malloc(0x2000);
  int64_t guard = t.malloc(0x18);
  t.free_at(a);  // to the unsorted bin
  t.write8(guard, 0x1122334455667788);
  t.write8(a - 8, 0x7efffffffffffff1);  // its size, PREV_INUSE kept
  EXPECT_THROW(t.twin.malloc_trim(0), UnmodelledError);
  EXPECT_EQ(t.read8(guard), 0x1122334455667788u);
}

}  // namespace
}  // namespace heaptwin::alloc
