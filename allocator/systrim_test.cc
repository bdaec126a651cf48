// systrim (systrim.cc): giving the top of the break back. A free that leaves top at or above
// trim_threshold trims to keep top_pad; malloc_trim(pad) keeps pad; in whole pages, and only
// while the break is where the heap left it. Expected values are real glibc 2.36's, recorded in
// tests/golden/concepts/systrim_keeps_top_pad.heap (ops numbered as in its .expected), or cited
// from malloc.c.
#include <gtest/gtest.h>

#include "allocator/test_support.h"

namespace heaptwin::alloc {
namespace {

// Top's size, as its chunk header says (PREV_INUSE dropped).
uint64_t top_size(const TestTwin& t) { return t.read8(t.off(t.av().top) + 8) & ~uint64_t{7}; }

// systrim_keeps_top_pad.heap, ops 0-2: a small chunk, then two of 0x1f000 that grow the break.
struct Grown {
  int64_t a, b, c;
};
Grown grow_the_break(TestTwin& t) {
  Grown g;
  g.a = t.malloc(0x18);
  g.b = t.malloc(0x1f000);
  g.c = t.malloc(0x1f000);
  return g;
}

TEST(SystrimTest, AFreeIntoALargeTopTrimsTheBreakDownToTopPad) {
  TestTwin t;
  const Grown g = grow_the_break(t);
  EXPECT_EQ(g.a, 0x2a0);
  EXPECT_EQ(g.c, 0x1f2d0);  // op 2
  EXPECT_EQ(t.av().system_mem, 0x5f000u);

  // op 3: top becomes 0x3fd40 >= trim_threshold (0x20000), so free calls systrim(top_pad)
  // (malloc.c:4674): it releases whole pages above top_pad + MINSIZE.
  t.free_at(g.c);
  EXPECT_EQ(t.off(t.av().top), 0x1f2c0);
  EXPECT_EQ(top_size(t), 0x20d40u);
  EXPECT_EQ(t.av().system_mem, 0x40000u);
  EXPECT_EQ(t.memory.brk() - t.base(), 0x40000u);

  t.free_at(g.b);  // op 4
  EXPECT_EQ(top_size(t), 0x20d50u);
  EXPECT_EQ(t.av().system_mem, 0x21000u);
}

TEST(SystrimTest, MallocTrimKeepsThePadItIsGivenAndAtLeastAPage) {
  TestTwin t;
  const Grown g = grow_the_break(t);
  t.free_each({g.c, g.b});
  EXPECT_EQ(t.twin.malloc_trim(0x8000), 1);  // op 5
  EXPECT_EQ(top_size(t), 0x8d50u);
  EXPECT_EQ(t.av().system_mem, 0x9000u);
  EXPECT_EQ(t.twin.malloc_trim(0), 1);  // op 6: what is left of the first page stays
  EXPECT_EQ(top_size(t), 0xd50u);
  EXPECT_EQ(t.av().system_mem, 0x1000u);
  EXPECT_EQ(t.memory.brk() - t.base(), 0x1000u);
  // op 7: a pad larger than top (malloc_trim(-1)): `top_area <= pad` (malloc.c:2983) compares
  // as unsigned, and nothing is released.
  EXPECT_EQ(t.twin.malloc_trim(~uint64_t{0}), 0);
  EXPECT_EQ(t.av().system_mem, 0x1000u);
}

TEST(SystrimTest, ABreakMovedByOthersIsLeftAlone) {
  // glibc trims only while the break is where top ends (malloc.c:3002, "This avoids problems
  // if there were foreign sbrk calls"); otherwise systrim returns 0 and nothing changes.
  TestTwin t;
  const Grown g = grow_the_break(t);
  const uint64_t foreign = t.memory.sbrk(0x1000);  // someone else's sbrk
  ASSERT_NE(foreign, Memory::kFailure);
  t.free_each({g.c, g.b});
  EXPECT_EQ(t.av().system_mem, 0x5f000u);
  EXPECT_EQ(t.memory.brk(), foreign + 0x1000);
  EXPECT_EQ(t.twin.malloc_trim(0), 0);
  EXPECT_EQ(t.memory.brk(), foreign + 0x1000);
}

}  // namespace
}  // namespace heaptwin::alloc
