// The tunables table against glibc 2.36's elf/dl-tunables.list (the bounds) and _dl_strtoul (the
// number syntax): values outside the bounds are ignored, as tunable_initialize ignores them.
#include "allocator/tunables.h"

#include <gtest/gtest.h>

#include <cstring>

namespace heaptwin::alloc {
namespace {

GlibcTunables parse(const char* text) {
  GlibcTunables t;
  parse_glibc_tunables(&t, text);
  return t;
}

TEST(Tunables, NumbersAsDlStrtoulReadsThem) {
  EXPECT_EQ(parse("glibc.malloc.top_pad=4096").top_pad.value, 4096u);
  EXPECT_EQ(parse("glibc.malloc.top_pad=0x1000").top_pad.value, 0x1000u);
  EXPECT_EQ(parse("glibc.malloc.top_pad=010").top_pad.value, 8u);     // octal
  EXPECT_EQ(parse("glibc.malloc.top_pad=12abc").top_pad.value, 12u);  // stops at 'a'
  EXPECT_FALSE(parse("glibc.malloc.top_pad=").top_pad.set);
  EXPECT_FALSE(parse("glibc.malloc.top_pad=xyz").top_pad.set);
}

TEST(Tunables, BoundsOfDlTunablesList) {
  EXPECT_TRUE(parse("glibc.malloc.perturb=255").perturb.set);
  EXPECT_FALSE(parse("glibc.malloc.perturb=256").perturb.set);  // maxval 0xff
  EXPECT_TRUE(parse("glibc.malloc.mmap_max=2147483647").mmap_max.set);
  EXPECT_FALSE(parse("glibc.malloc.mmap_max=2147483648").mmap_max.set);  // INT_32
  EXPECT_FALSE(parse("glibc.malloc.arena_max=0").arena_max.set);         // minval 1
  EXPECT_FALSE(parse("glibc.malloc.arena_test=0").arena_test.set);       // minval 1
  EXPECT_TRUE(parse("glibc.malloc.arena_test=1").arena_test.set);
}

TEST(Tunables, SeveralEntriesAndOtherNamespaces) {
  GlibcTunables t =
      parse("glibc.malloc.tcache_count=0:glibc.rtld.nns=8:glibc.malloc.mxfast=0x40:bogus");
  EXPECT_TRUE(t.tcache_count.set);
  EXPECT_EQ(t.tcache_count.value, 0u);
  EXPECT_EQ(t.mxfast.value, 0x40u);
  EXPECT_FALSE(t.top_pad.set);
}

TEST(Tunables, UnknownNamesAreRefused) {
  GlibcTunables t;
  const char* v = "1";
  EXPECT_FALSE(set_tunable(&t, "no_such", 7, v, v + 1));
  EXPECT_TRUE(set_tunable(&t, "top_pad", 7, v, v + 1));
  EXPECT_FALSE(set_tunable(&t, "perturb", 7, "999", "999" + 3));
}

}  // namespace
}  // namespace heaptwin::alloc
