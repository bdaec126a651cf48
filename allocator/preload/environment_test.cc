// The drop-in library's settings from the environment (environment.cc): glibc's malloc tunables
// as real glibc 2.36 reads them, and heaptwin's own HEAPTWIN_* variables.
//
// glibc's facts are from elf/dl-tunables.list and elf/dl-tunables.c (glibc 2.36), each also
// measured on this host's real glibc 2.36: a program run with the environment in the order shown
// (execve), its first malloc's break growth read back (0x21000 by default: top_pad 0x20000; with
// top_pad P, P + 0x1000), or whether a 1 MiB malloc came from the break (mmap_max 0).
#include "allocator/preload/environment.h"

#include <gtest/gtest.h>

#include <cstring>
#include <initializer_list>
#include <vector>

extern char** environ;

namespace heaptwin::preload {
namespace {

// The settings a process started with exactly `entries` as its environment would read.
PreloadSettings settings_from(std::initializer_list<const char*> entries) {
  std::vector<char*> env;
  for (const char* e : entries) env.push_back(const_cast<char*>(e));
  env.push_back(nullptr);
  char** saved = environ;
  environ = env.data();
  PreloadSettings s;
  read_settings(&s);
  environ = saved;
  return s;
}

TEST(EnvironmentTest, NothingSetLeavesEveryDefault) {
  PreloadSettings s = settings_from({"PATH=/usr/bin", "HOME=/root"});
  EXPECT_FALSE(s.tunables.top_pad.set);
  EXPECT_FALSE(s.tunables.tcache_count.set);
  EXPECT_EQ(s.trace_fd, -1);
  EXPECT_EQ(s.check_fd, -1);
  EXPECT_EQ(s.check_every, 1u);
  EXPECT_EQ(s.trace_max_ops, 0u);
  EXPECT_EQ(s.owner_pid, -1);
  EXPECT_STREQ(s.glibc, "");
  EXPECT_STREQ(s.libc_data.build_id, "");
  EXPECT_FALSE(s.libc_data_malformed);
}

TEST(EnvironmentTest, GlibcTunablesSetsTheMallocTunablesItNames) {
  PreloadSettings s = settings_from(
      {"GLIBC_TUNABLES=glibc.malloc.tcache_count=0:glibc.rtld.nns=2:glibc.malloc.mxfast=0x40"});
  EXPECT_TRUE(s.tunables.tcache_count.set);
  EXPECT_EQ(s.tunables.tcache_count.value, 0u);
  EXPECT_EQ(s.tunables.mxfast.value, 0x40u);
  EXPECT_FALSE(s.tunables.top_pad.set);
}

TEST(EnvironmentTest, EachMallocAliasSetsItsTunable) {
  // dl-tunables.list's env_alias entries; numbers as _dl_strtoul reads them (measured:
  // MALLOC_TOP_PAD_=0x100000 grows the first break by 0x101000, =1048576 likewise).
  PreloadSettings s =
      settings_from({"MALLOC_TOP_PAD_=0x100000", "MALLOC_PERTURB_=165",
                     "MALLOC_MMAP_THRESHOLD_=4096", "MALLOC_TRIM_THRESHOLD_=8192",
                     "MALLOC_MMAP_MAX_=0", "MALLOC_ARENA_MAX=2", "MALLOC_ARENA_TEST=3"});
  EXPECT_EQ(s.tunables.top_pad.value, 0x100000u);
  EXPECT_EQ(s.tunables.perturb.value, 165u);
  EXPECT_EQ(s.tunables.mmap_threshold.value, 4096u);
  EXPECT_EQ(s.tunables.trim_threshold.value, 8192u);
  EXPECT_TRUE(s.tunables.mmap_max.set);
  EXPECT_EQ(s.tunables.mmap_max.value, 0u);
  EXPECT_EQ(s.tunables.arena_max.value, 2u);
  EXPECT_EQ(s.tunables.arena_test.value, 3u);
  // The tcache tunables have no alias.
  EXPECT_FALSE(settings_from({"MALLOC_TCACHE_COUNT_=0"}).tunables.tcache_count.set);
}

TEST(EnvironmentTest, GlibcTunablesWinsOverAnAliasWhereverItStands) {
  // __tunables_init skips an alias whose tunable is already initialised (dl-tunables.c:311),
  // and GLIBC_TUNABLES sets its tunables whether or not they are (dl-tunables.c:245).
  // Measured: top_pad 0x40000 (break +0x41000) in both orders.
  EXPECT_EQ(
      settings_from({"GLIBC_TUNABLES=glibc.malloc.top_pad=0x40000", "MALLOC_TOP_PAD_=0x100000"})
          .tunables.top_pad.value,
      0x40000u);
  EXPECT_EQ(
      settings_from({"MALLOC_TOP_PAD_=0x100000", "GLIBC_TUNABLES=glibc.malloc.top_pad=0x40000"})
          .tunables.top_pad.value,
      0x40000u);
}

TEST(EnvironmentTest, OfTwoAliasesTheFirstWins) {
  // Measured: MALLOC_TOP_PAD_=0x100000 then MALLOC_TOP_PAD_=0x40000 grows the break by
  // 0x101000; MALLOC_MMAP_MAX_=0 then =5 still serves 1 MiB from the break.
  EXPECT_EQ(
      settings_from({"MALLOC_TOP_PAD_=0x100000", "MALLOC_TOP_PAD_=0x40000"}).tunables.top_pad.value,
      0x100000u);
  EXPECT_EQ(settings_from({"MALLOC_MMAP_MAX_=0", "MALLOC_MMAP_MAX_=5"}).tunables.mmap_max.value,
            0u);
}

TEST(EnvironmentTest, AValueOutOfBoundsInitialisesNothingSoALaterOneCounts) {
  // do_tunable_update_val bails out before marking the tunable initialised
  // (dl-tunables.c:129-131). Measured: MALLOC_MMAP_MAX_=0x80000000 (above INT32_MAX) then
  // MALLOC_MMAP_MAX_=0, and GLIBC_TUNABLES=glibc.malloc.mmap_max=0x80000000 then
  // MALLOC_MMAP_MAX_=0, each serve 1 MiB from the break.
  PreloadSettings s = settings_from({"MALLOC_MMAP_MAX_=0x80000000", "MALLOC_MMAP_MAX_=0"});
  EXPECT_TRUE(s.tunables.mmap_max.set);
  EXPECT_EQ(s.tunables.mmap_max.value, 0u);
  s = settings_from({"GLIBC_TUNABLES=glibc.malloc.mmap_max=0x80000000", "MALLOC_MMAP_MAX_=0"});
  EXPECT_TRUE(s.tunables.mmap_max.set);
  EXPECT_EQ(s.tunables.mmap_max.value, 0u);
}

// heaptwin's own settings: what `heaptwin exec` passes (tools/, environment.h).
TEST(EnvironmentTest, HeaptwinChannelsAndOwner) {
  PreloadSettings s =
      settings_from({"HEAPTWIN_TRACE_FD=7", "HEAPTWIN_CHECK_FD=8", "HEAPTWIN_CHECK_REPLY_FD=9",
                     "HEAPTWIN_PID=4242", "HEAPTWIN_FULL_CHECK_EVERY=100", "HEAPTWIN_CHECK_EVERY=3",
                     "HEAPTWIN_TRACE_MAX_OPS=1000"});
  EXPECT_EQ(s.trace_fd, 7);
  EXPECT_EQ(s.check_fd, 8);
  EXPECT_EQ(s.check_reply_fd, 9);
  EXPECT_EQ(s.owner_pid, 4242);
  EXPECT_EQ(s.full_check_every, 100u);
  EXPECT_EQ(s.check_every, 3u);
  EXPECT_EQ(s.trace_max_ops, 1000u);
}

TEST(EnvironmentTest, CountsOutOfRangeKeepTheirDefaults) {
  PreloadSettings s = settings_from(
      {"HEAPTWIN_CHECK_EVERY=0", "HEAPTWIN_TRACE_MAX_OPS=-5", "HEAPTWIN_FULL_CHECK_EVERY=-1"});
  EXPECT_EQ(s.check_every, 1u);
  EXPECT_EQ(s.trace_max_ops, 0u);
  EXPECT_EQ(s.full_check_every, 0u);
}

TEST(EnvironmentTest, TheReleaseIsKeptToItsBuffer) {
  EXPECT_STREQ(settings_from({"HEAPTWIN_GLIBC=2.41"}).glibc, "2.41");
  PreloadSettings s = settings_from({"HEAPTWIN_GLIBC=2.4100000000"});
  EXPECT_EQ(std::strlen(s.glibc), sizeof s.glibc - 1);
  EXPECT_STREQ(s.glibc, "2.41000");
}

TEST(EnvironmentTest, LibcDataNamesTheLibcAndTheObjectsOffsets) {
  PreloadSettings s = settings_from(
      {"HEAPTWIN_LIBC_DATA=0123456789abcdef0123456789abcdef01234567,main_arena=0x1d3c60,"
       "mp_=0x1d3340,tcache_key=1d9768,__malloc_initialized=0x1d4e18,perturb_byte=0x1d4e1c,"
       "global_max_fast=0x1d5ef0"});
  EXPECT_FALSE(s.libc_data_malformed);
  EXPECT_STREQ(s.libc_data.build_id, "0123456789abcdef0123456789abcdef01234567");
  EXPECT_EQ(s.libc_data.main_arena, 0x1d3c60u);
  EXPECT_EQ(s.libc_data.mp, 0x1d3340u);
  EXPECT_EQ(s.libc_data.tcache_key, 0x1d9768u);  // the 0x is optional
  EXPECT_EQ(s.libc_data.malloc_initialized, 0x1d4e18u);
  EXPECT_EQ(s.libc_data.perturb_byte, 0x1d4e1cu);
  EXPECT_EQ(s.libc_data.global_max_fast, 0x1d5ef0u);
}

TEST(EnvironmentTest, LibcDataNamingSomeObjectsKeepsTheOthersInTheLibrary) {
  PreloadSettings s = settings_from({"HEAPTWIN_LIBC_DATA=abcd,main_arena=0x10"});
  EXPECT_FALSE(s.libc_data_malformed);
  EXPECT_STREQ(s.libc_data.build_id, "abcd");
  EXPECT_EQ(s.libc_data.main_arena, 0x10u);
  EXPECT_EQ(s.libc_data.mp, 0u);  // 0: stays in the library's block
  // Empty: everything stays in the library, and that is not an error.
  s = settings_from({"HEAPTWIN_LIBC_DATA="});
  EXPECT_FALSE(s.libc_data_malformed);
  EXPECT_STREQ(s.libc_data.build_id, "");
}

TEST(EnvironmentTest, MalformedLibcDataIsFlaggedAndIgnored) {
  for (const char* bad : {
           "HEAPTWIN_LIBC_DATA=ABCD,main_arena=0x10",  // build ids are lower-case hex
           "HEAPTWIN_LIBC_DATA=abcd,main_arena",       // no value
           "HEAPTWIN_LIBC_DATA=abcd,arena=0x10",       // no such object
           "HEAPTWIN_LIBC_DATA=abcd,main_arena=0xzz",  // not hex
           "HEAPTWIN_LIBC_DATA=abcd,main_arena=0x10000000000000000",        // over 64 bits
           "HEAPTWIN_LIBC_DATA=,main_arena=0x10",                           // no build id
           "HEAPTWIN_LIBC_DATA=0123456789abcdef0123456789abcdef012345678",  // 41 digits
       }) {
    PreloadSettings s = settings_from({bad});
    EXPECT_TRUE(s.libc_data_malformed) << bad;
    EXPECT_STREQ(s.libc_data.build_id, "") << bad;
    EXPECT_EQ(s.libc_data.main_arena, 0u) << bad;
  }
}

}  // namespace
}  // namespace heaptwin::preload
