// Fastbins: what overflows the tcache, the fasttop check, stashing back into the tcache.
#include <gtest/gtest.h>

#include "allocator/abort_messages.h"
#include "allocator/test_support.h"

namespace heaptwin::alloc {
namespace {

TEST(FastbinsTest, EighthFreeGoesToTheFastbinAndAHitStashesTheRest) {
  TestTwin t;
  int64_t a[9];
  for (auto& x : a) x = t.malloc(0x28);
  EXPECT_EQ(a[8], 0x420);
  t.malloc(0x18);  // guard against top
  for (auto x : a) t.free_at(x);
  EXPECT_EQ(t.tcache().counts[1], 7);
  EXPECT_EQ(t.off(t.av().fastbinsY[1]), 0x410);  // a8's chunk, then a7's
  EXPECT_EQ(t.av().have_fastchunks, 1);
  // tcache first (LIFO): a6
  EXPECT_EQ(t.malloc(0x28), 0x3c0);
  EXPECT_EQ(t.tcache().counts[1], 6);
}

TEST(FastbinsTest, FastbinHitMovesTheRestIntoTcache) {
  TestTwin t;
  int64_t a[10];
  for (auto& x : a) x = t.malloc(0x28);
  t.malloc(0x18);
  for (auto x : a) t.free_at(x);  // 7 in tcache, 3 in the fastbin
  for (int i = 0; i < 7; ++i) t.malloc(0x28);
  EXPECT_EQ(t.tcache().counts[1], 0);
  EXPECT_EQ(t.malloc(0x28), a[9]);  // fastbin head; a8 and a7 go to tcache
  EXPECT_EQ(t.tcache().counts[1], 2);
  EXPECT_EQ(t.av().fastbinsY[1], 0u);
  EXPECT_EQ(t.malloc(0x28), a[7]);  // tcache is LIFO: a7 was stashed last
}

TEST(FastbinsTest, DoubleFreeOfTheTopChunkAborts) {
  GlibcProfile p;
  p.tunables.tcache_count = {true, 0};
  TestTwin t(p);
  int64_t a = t.malloc(0x28);
  t.malloc(0x18);
  t.free_at(a);
  try {
    t.free_at(a);
    FAIL();
  } catch (const AbortError& e) {
    EXPECT_EQ(e.message, msg::kDoubleFreeFasttop);
  }
}

}  // namespace
}  // namespace heaptwin::alloc
