// The memalign family: values from real glibc 2.36.
#include <gtest/gtest.h>

#include <cerrno>

#include "allocator/test_support.h"

namespace heaptwin::alloc {
namespace {

TEST(MemalignTest, LeaderAndTrailerAreFreedAndErrorsMatch) {
  TestTwin t;
  t.malloc(0x18);
  EXPECT_EQ(t.off(t.twin.memalign(0x100, 0x80).raw()), 0x300);
  UserAddr p = 0;
  EXPECT_EQ(t.twin.posix_memalign(&p, 0x18, 0x10), EINVAL);
  EXPECT_EQ(t.twin.posix_memalign(&p, 0x40, 0x10), 0);
  EXPECT_EQ(t.off(p.raw()), 0x480);
  EXPECT_EQ(t.off(t.twin.valloc(0x10).raw()), 0x1000);
  EXPECT_EQ(t.off(t.twin.pvalloc(0x1001).raw()), 0x2000);
  EXPECT_EQ(t.off(t.twin.memalign(0x20, 0x40).raw()), 0x540);  // aligned_alloc is the same function
  t.twin.clear_errno();
  EXPECT_EQ(t.twin.memalign(0x8000000000000001ull, 0x10).raw(), 0u);
  EXPECT_EQ(t.twin.last_errno(), EINVAL);
}

// Real glibc 2.44 (heaptwin run --on glibc --glibc 2.44): memalign and pvalloc of 2^63, which
// checked_request2size refuses, fail with ENOMEM, and the next malloc carries on. The twin looked
// such a request up in the large tcache bins first, computing the bin with clz(0) (undefined:
// run this test with --config=ubsan).
TEST(MemalignTest, ARefusedSizeIsLookedUpInNoTcacheBin) {
  GlibcProfile p;
  ASSERT_TRUE(GlibcProfile::for_version("2.44", &p));
  TestTwin t(p);
  t.malloc(0x18);
  const int64_t b = t.malloc(0x18);
  t.free_at(b);  // the tcache exists now (2.43+ makes it lazily)
  t.twin.clear_errno();
  EXPECT_EQ(t.twin.memalign(0x40, 0x8000000000000000ull).raw(), 0u);
  EXPECT_EQ(t.twin.last_errno(), ENOMEM);
  EXPECT_EQ(t.twin.pvalloc(0x8000000000000000ull).raw(), 0u);
  EXPECT_EQ(t.twin.last_errno(), ENOMEM);
  EXPECT_EQ(t.malloc(0x18), b);  // from the tcache
}

}  // namespace
}  // namespace heaptwin::alloc
