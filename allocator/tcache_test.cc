// tcache: placement and checks. Expected values from real glibc 2.36 (same scenario, `heaptwin
// run --on glibc`).
#include <gtest/gtest.h>

#include "allocator/abort_messages.h"
#include "allocator/test_support.h"

namespace heaptwin::alloc {
namespace {

TEST(TcacheTest, FirstMallocPutsTheTcacheStructAtTheHeapStart) {
  TestTwin t;
  EXPECT_EQ(t.malloc(0x18), 0x2a0);
  EXPECT_EQ(t.off(t.twin.tcache()), 0x10);
  EXPECT_EQ(t.read8(0x8), 0x291u);  // the tcache chunk's size field
  EXPECT_EQ(t.off(t.av().top), 0x2b0);
}

TEST(TcacheTest, LifoReuseAndDoubleFree) {
  TestTwin t;
  int64_t a = t.malloc(0x18), b = t.malloc(0x18);
  t.free_at(a);
  t.free_at(b);
  EXPECT_EQ(t.tcache().counts[0], 2);
  // next is safe-linked: (position >> 12) ^ next
  Addr b_user = t.base() + b;
  EXPECT_EQ(t.read8(b), (b_user >> 12) ^ (t.base() + a));
  EXPECT_EQ(t.malloc(0x18), 0x2c0);
  EXPECT_EQ(t.malloc(0x18), 0x2a0);
  EXPECT_EQ(t.read8(0x2a8), 0u);  // tcache_get clears the key
  t.free_at(0x2c0);
  EXPECT_EQ(t.abort_message([&] { t.free_at(0x2c0); }), msg::kFreeDoubleFreeTcache2);
}

TEST(TcacheTest, UnalignedHeadAborts) {
  TestTwin t;
  int64_t a = t.malloc(0x28), b = t.malloc(0x28);
  t.free_at(a);
  t.free_at(b);
  Addr pos = t.base() + b;
  t.write8(b, (pos >> 12) ^ (t.base() + a + 8));
  EXPECT_EQ(t.malloc(0x28), b);
  EXPECT_EQ(t.abort_message([&] { t.malloc(0x28); }), msg::kUnalignedTcacheChunk);
}

TEST(TcacheTest, CountTunableZeroDisablesCaching) {
  TestTwin t(without_tcache());
  int64_t a = t.malloc_guarded(0x18);
  t.free_at(a);
  EXPECT_EQ(t.tcache().counts[0], 0);
  EXPECT_EQ(t.off(t.av().fastbinsY[0]), a - 0x10);
}

}  // namespace
}  // namespace heaptwin::alloc
