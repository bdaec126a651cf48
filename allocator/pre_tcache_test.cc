// The twin of glibc 2.23 (release/2.23/master): facts from the real build's recordings in
// tests/golden/2.23/ (fastbin_reuse_and_stash, abort_double_free_fasttop, malloc_huge_fails,
// failed_malloc_retried_in_main_arena, mxfast_small_wipes_the_arena).
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>

#include "allocator/test_support.h"

namespace heaptwin::alloc {
namespace {

GlibcProfile release_2_23() {
  GlibcProfile p;
  EXPECT_TRUE(GlibcProfile::for_version("2.23", &p));
  return p;
}

// main_arena before 2.27: flags at +4 (FASTCHUNKS_BIT set while no fast chunk exists),
// fastbinsY from +8, top at +0x58; the unsorted head is main_arena+0x58.
uint64_t arena_word(const TestTwin& t, uint64_t offset) {
  return *reinterpret_cast<const uint64_t*>(t.twin.main_arena() + offset);
}

TEST(PreTcache, NoTcacheAndTheArenaAsBefore2_27) {
  TestTwin t(release_2_23());
  EXPECT_EQ(t.malloc(0x18), 0x10);  // no tcache struct before it
  EXPECT_EQ(t.malloc(0x18), 0x30);
  EXPECT_EQ(t.twin.tcache(), 0u);
  EXPECT_EQ(t.twin.main_arena() % 16, 0u);  // as in libc: main_arena+0x58 read as a size is odd
  EXPECT_EQ(arena_word(t, 0) >> 32, 1u);    // flags: FASTCHUNKS_BIT, no fast chunks
  t.free_at(0x10);
  EXPECT_EQ(arena_word(t, 0) >> 32, 0u);             // a fast chunk now
  EXPECT_EQ(arena_word(t, 0x8), t.base());           // fastbinsY[0]: the 0x20 chunk
  EXPECT_EQ(arena_word(t, 0x58) - t.base(), 0x40u);  // top
  EXPECT_EQ(t.malloc(0x500), 0x50);                  // consolidates: the flag comes back
  EXPECT_EQ(arena_word(t, 0) >> 32, 1u);
  // The 0x20 chunk, sorted into its small bin: fd is bin 2's head (the unsorted one, bin 1,
  // is main_arena+0x58, as read8_unsorted_fd_leaks_libc recorded).
  EXPECT_EQ(t.read8(0x10), t.twin.main_arena() + 0x68);
}

TEST(PreTcache, ErrorsNameAPointerAndFollowCheckAction) {
  TestTwin t(release_2_23());
  t.malloc(0x18);
  t.malloc(0x18);
  t.free_at(0x10);
  char expected[128];
  std::snprintf(expected, sizeof expected,
                "*** Error in `': double free or corruption (fasttop): 0x%016llx ***",
                static_cast<unsigned long long>(t.base() + 0x10));
  try {
    t.free_at(0x10);
    FAIL() << "no abort";
  } catch (const AbortError& e) {
    EXPECT_EQ(e.message, expected);
  }
  TestTwin plain(release_2_23());
  plain.twin.mallopt(-5, 7);  // M_CHECK_ACTION: the message alone
  plain.malloc(0x18);
  plain.malloc(0x18);
  plain.free_at(0x10);
  try {
    plain.free_at(0x10);
    FAIL() << "no abort";
  } catch (const AbortError& e) {
    EXPECT_EQ(e.message, "double free or corruption (fasttop)");
  }
}

TEST(PreTcache, AFailedMallocIsRetriedInAnotherArena) {
  TestTwin t(release_2_23());
  EXPECT_THROW(t.malloc(~uint64_t{0}), UnmodelledError);  // a new arena: the thread moves there
  TestTwin one(release_2_23());
  one.twin.mallopt(-8, 1);  // M_ARENA_MAX 1: main_arena again
  EXPECT_EQ(one.malloc(~uint64_t{0}), 0);
  EXPECT_EQ(one.twin.last_errno(), ENOMEM);
  EXPECT_EQ(one.malloc(0x18), 0x10);
}

TEST(PreTcache, MxfastUnderEightSetsTheArenaUpAgain) {
  TestTwin t(release_2_23());
  t.malloc(0x18);
  t.malloc(0x100);
  t.malloc(0x18);
  t.free_at(0x30);
  t.twin.mallopt(1, 2);  // global_max_fast 0
  EXPECT_FALSE(t.twin.arena_set_up_again());
  t.twin.malloc_trim(0);
  EXPECT_TRUE(t.twin.arena_set_up_again());
  EXPECT_EQ(arena_word(t, 0x58), t.twin.main_arena() + 0x58);  // top: the initial top
}

}  // namespace
}  // namespace heaptwin::alloc
