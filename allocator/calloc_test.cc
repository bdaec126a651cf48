// calloc: skips the tcache, clears reused memory, refuses overflowing products.
#include <gtest/gtest.h>

#include <cerrno>

#include "allocator/test_support.h"

namespace heaptwin::alloc {
namespace {

TEST(CallocTest, SkipsTcacheClearsAndRefusesOverflow) {
  TestTwin t;
  int64_t a = t.malloc(0x18);
  t.write8(a, 0x4141414141414141);
  t.free_at(a);
  Addr b = t.twin.calloc(1, 0x18).raw();
  EXPECT_EQ(t.off(b), 0x2c0);  // from top: the freed chunk stays in the tcache (seen on glibc)
  EXPECT_EQ(t.tcache().counts[0], 1);
  t.twin.clear_errno();
  EXPECT_EQ(t.twin.calloc(0x4000000000000000ull, 4).raw(), 0u);
  EXPECT_EQ(t.twin.last_errno(), ENOMEM);
  EXPECT_EQ(t.off(t.twin.calloc(4, 0x100).raw()), 0x2e0);
}

TEST(CallocTest, ReusedMemoryIsCleared) {
  TestTwin t(without_tcache());
  int64_t a = t.malloc_guarded(0x500);
  t.write8(a + 0x100, 0x4242424242424242);
  t.free_at(a);
  Addr b = t.twin.calloc(1, 0x500).raw();
  EXPECT_EQ(t.off(b), a);
  EXPECT_EQ(t.read8(a + 0x100), 0u);
}

// Past the memset budget (a side that runs glibc with a time limit) a memset is unmodelled:
// calloc's clearing of a block of 1 MiB, and M_PERTURB's fill of one. Within the budget, and
// with none, they happen as in glibc.
TEST(CallocTest, AMemsetPastTheBudgetIsUnmodelled) {
  for (uint64_t budget : {uint64_t{0x80000}, uint64_t{0x200000}, uint64_t{0}}) {
    TestTwin t(without_tcache());
    t.twin.mallopt(-3 /* M_MMAP_THRESHOLD */, 0x2000000);
    int64_t a = t.malloc_guarded(0x100000);
    t.write8(a, 0x4141414141414141);
    t.free_at(a);
    t.twin.set_memset_budget(budget);
    if (budget == 0x80000) {
      EXPECT_THROW(t.twin.calloc(1, 0x100000).raw(), UnmodelledError);
      t.twin.mallopt(-6 /* M_PERTURB */, 0x41);
      EXPECT_THROW(t.twin.malloc(0x100000).raw(), UnmodelledError);
    } else {
      EXPECT_EQ(t.off(t.twin.calloc(1, 0x100000).raw()), a) << std::hex << budget;
      EXPECT_EQ(t.read8(a), 0u);
    }
  }
}

}  // namespace
}  // namespace heaptwin::alloc
