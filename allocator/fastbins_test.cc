// Fastbins: what overflows the tcache, the fasttop check, stashing back into the tcache.
#include <gtest/gtest.h>

#include "allocator/abort_messages.h"
#include "allocator/test_support.h"

namespace heaptwin::alloc {
namespace {

TEST(FastbinsTest, EighthFreeGoesToTheFastbinAndAHitStashesTheRest) {
  TestTwin t;
  const auto a = t.malloc_each(9, 0x28);
  EXPECT_EQ(a[8], 0x420);
  t.malloc(0x18);  // guard against top
  t.free_each(a);
  EXPECT_EQ(t.tcache().counts[1], 7);
  EXPECT_EQ(t.off(t.av().fastbinsY[1]), 0x410);  // a8's chunk, then a7's
  EXPECT_EQ(t.av().have_fastchunks, 1);
  // tcache first (LIFO): a6
  EXPECT_EQ(t.malloc(0x28), 0x3c0);
  EXPECT_EQ(t.tcache().counts[1], 6);
}

TEST(FastbinsTest, FastbinHitMovesTheRestIntoTcache) {
  TestTwin t;
  const auto a = t.malloc_each(10, 0x28);
  t.malloc(0x18);
  t.free_each(a);  // 7 in tcache, 3 in the fastbin
  t.drain_tcache(0x28);
  EXPECT_EQ(t.tcache().counts[1], 0);
  EXPECT_EQ(t.malloc(0x28), a[9]);  // fastbin head; a8 and a7 go to tcache
  EXPECT_EQ(t.tcache().counts[1], 2);
  EXPECT_EQ(t.av().fastbinsY[1], 0u);
  EXPECT_EQ(t.malloc(0x28), a[7]);  // tcache is LIFO: a7 was stashed last
}

TEST(FastbinsTest, DoubleFreeOfTheTopChunkAborts) {
  TestTwin t(without_tcache());
  int64_t a = t.malloc_guarded(0x28);
  t.free_at(a);
  EXPECT_EQ(t.abort_message([&] { t.free_at(a); }), msg::kDoubleFreeFasttop);
}

}  // namespace
}  // namespace heaptwin::alloc
