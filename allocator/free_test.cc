// _int_free: coalescing and the integrity checks; faults stay inside the twin.
#include <gtest/gtest.h>

#include "allocator/abort_messages.h"
#include "allocator/test_support.h"

namespace heaptwin::alloc {
namespace {

TEST(FreeTest, CoalescesBackwardAndForward) {
  TestTwin t;
  int64_t a = t.malloc(0x500), b = t.malloc(0x500), c = t.malloc(0x500);
  t.malloc(0x18);
  t.free_at(a);
  t.free_at(c);
  t.free_at(b);  // merges with a (backward) and c (forward)
  EXPECT_EQ(t.off(t.bin_first(1)), a - 0x10);
  EXPECT_EQ(t.read8(a - 8), 0xf31u);
  EXPECT_EQ(t.twin.fd(ChunkAddr{t.bin_first(1)}).raw(), t.bin_head(1));
}

TEST(FreeTest, ForgedPrevSizeAborts) {
  TestTwin t;
  int64_t a = t.malloc(0x500), b = t.malloc(0x500);
  t.free_at(a);
  t.write8(b - 0x10, 0x400);
  EXPECT_EQ(t.abort_message([&] { t.free_at(b); }), msg::kConsolidatingPrevSize);
}

TEST(FreeTest, InvalidPointerAndSize) {
  TestTwin t;
  int64_t a = t.malloc(0x18);
  EXPECT_THROW(t.free_at(a + 8), AbortError);  // misaligned
  t.write8(a - 8, 0x11);
  EXPECT_EQ(t.abort_message([&] { t.free_at(a); }), msg::kFreeInvalidSize);
}

TEST(FreeTest, WildPointersFaultInsteadOfCrashing) {
  TestTwin t;
  int64_t a = t.malloc_guarded(0x500);
  t.free_at(a);
  t.write8(a + 8, 0x4141414141414140);  // unsorted bk
  try {
    t.malloc(0x600);
    FAIL();
  } catch (const FaultError& e) {
    EXPECT_EQ(e.address, 0x4141414141414140u + 0x10);  // bck->fd, bck = victim->bk
  }
}

TEST(FreeTest, ForgedMmappedChunkUnmapsHeapPages) {
  // Seen on real glibc: free returns, and the next touch of that page faults at heap+0x2018.
  TestTwin t;
  t.malloc(0x1000);
  t.malloc(0xd58);
  int64_t c = t.malloc(0x2000);
  ASSERT_EQ(c, 0x2010);
  t.write8(c - 0x10, 0);
  t.write8(c - 0x8, 0x1002);  // IS_MMAPPED, one page
  t.free_at(c);
  EXPECT_FALSE(t.memory.owns(t.base() + c + 8, 8));
  EXPECT_TRUE(t.memory.owns(t.base() + 0x3000, 8));
  EXPECT_EQ(t.mp().n_mmaps, -1);  // glibc counts it down all the same
  // The allocator's own accesses to the hole fault too (the inline fast path is off).
  EXPECT_THROW(t.twin.free(UserAddr{t.base() + c}), FaultError);
}

}  // namespace
}  // namespace heaptwin::alloc
