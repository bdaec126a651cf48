// realloc: values from real glibc 2.36 (the same script under `heaptwin run --on glibc`).
#include <gtest/gtest.h>

#include "allocator/test_support.h"

namespace heaptwin::alloc {
namespace {

TEST(ReallocTest, GrowsIntoTopShrinksInPlaceAndHandlesNullAndZero) {
  TestTwin t;
  Addr a = t.twin.malloc(0x18).raw();
  EXPECT_EQ(t.off(t.twin.realloc(UserAddr{a}, 0x100).raw()), 0x2a0);  // grows into top in place
  Addr c = t.twin.malloc(0x18).raw();
  EXPECT_EQ(t.off(c), 0x3b0);
  Addr d = t.twin.realloc(UserAddr{c}, 0x500).raw();
  EXPECT_EQ(t.off(d), 0x3b0);
  Addr e = t.twin.realloc(UserAddr{d}, 0x20).raw();  // shrinks, the remainder is freed
  EXPECT_EQ(t.off(e), 0x3b0);
  Addr f = t.twin.realloc(UserAddr{}, 0x30).raw();  // realloc (NULL, n) is malloc
  EXPECT_EQ(t.off(f), 0x3e0);
  EXPECT_EQ(t.twin.realloc(UserAddr{f}, 0).raw(), 0u);  // realloc (p, 0) frees
  EXPECT_EQ(t.twin.last_errno(), 0);
  EXPECT_EQ(t.twin.malloc_usable_size(UserAddr{e}), 0x28u);
}

TEST(ReallocTest, MmappedChunksAreRemapped) {
  TestTwin t;
  t.malloc(0x18);
  Addr h = t.twin.malloc(0x30000).raw();
  EXPECT_EQ(t.twin.chunksize_nomask(mem2chunk(UserAddr{h})), 0x31002u);
  Addr i = t.twin.realloc(UserAddr{h}, 0x50000).raw();
  EXPECT_EQ(t.twin.chunksize_nomask(mem2chunk(UserAddr{i})), 0x51002u);
  EXPECT_EQ(t.twin.malloc_usable_size(UserAddr{i}), 0x50ff0u);
  EXPECT_EQ(t.mp().mmapped_mem, 0x51000u);
}

}  // namespace
}  // namespace heaptwin::alloc
