// Threads on the real-glibc side (runner_threads.c): each op runs on the pthread it names, in the
// script's order; chunks of a thread's arena are named by arena, heap and offset; a threaded
// Program runs in a child of its own. Every expected value below was measured on glibc 2.36.
#include <gnu/libc-version.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "oracle/glibc/glibc_side.h"
#include "oracle/glibc/glibc_side_for_tests.h"
#include "program/parse_for_tests.h"

namespace heaptwin {

namespace {

using GlibcThreadsTest = Glibc236SideFixture;

TEST_F(GlibcThreadsTest, EachOpRunsOnItsThreadInTheScriptsOrder) {
  Trace t =
      run("a = malloc 0x18\n"
          "t1: b = malloc 0x20\n"  // t1's arena: heap_info 0x30, malloc_state, t1's tcache 0x290
          "t1: c = malloc 0x20\n"
          "t1: free a\n"           // t0's chunk into t1's tcache
          "t1: d = malloc 0x18\n"  // so t1 gets it back
          "e = malloc 0x18\n",     // t0's tcache is empty: after t1's dtv (0x2b0, 0x120)
          /*snapshots=*/true);
  ASSERT_EQ(t.outcomes.size(), 6u);
  EXPECT_EQ(t.outcomes[0], Outcome::pointer(0x2a0));
  EXPECT_EQ(t.outcomes[1], Outcome::arena_pointer(1, 0, 0xb70));
  EXPECT_EQ(t.outcomes[2], Outcome::arena_pointer(1, 0, 0xba0));
  EXPECT_EQ(t.outcomes[3], Outcome::done());
  EXPECT_EQ(t.outcomes[4], Outcome::pointer(0x2a0));
  EXPECT_EQ(t.outcomes[5], Outcome::pointer(0x3e0));
  EXPECT_EQ(to_string(t.outcomes[1]), "arena1+0xb70");
  ASSERT_EQ(t.states.size(), 6u);
  EXPECT_EQ(t.states[0].top.offset, 0x2b0);
  EXPECT_EQ(t.states[1].top.offset, 0x3d0);  // creating t1 callocs its dtv in t0's arena
  EXPECT_EQ(t.states[4].top.offset, 0x3d0);
  for (int bin = 0; bin < kTcacheBins; ++bin) EXPECT_TRUE(t.states[3].tcache[bin].empty()) << bin;
}

// pthread_create's calloc of the dtv is the main arena's first allocation when t1 comes first:
// it makes t0's tcache (0x290), then 0x120 (17 dtv entries of 16 bytes: libc's TLS only).
TEST_F(GlibcThreadsTest, CreatingAThreadCallocsItsDtvInTheCreatorsArena) {
  Trace t = run("t1: a = malloc 0x18\nb = malloc 0x18\n", /*snapshots=*/true);
  ASSERT_EQ(t.outcomes.size(), 2u);
  EXPECT_EQ(t.outcomes[0], Outcome::arena_pointer(1, 0, 0xb70));
  EXPECT_EQ(t.outcomes[1], Outcome::pointer(0x3c0));
  ASSERT_EQ(t.states.size(), 2u);
  EXPECT_TRUE(t.states[0].tcache_present);
  EXPECT_EQ(t.states[0].top.offset, 0x3b0);
}

TEST_F(GlibcThreadsTest, ArenaMaxMakesLaterThreadsReuseArenas) {
  Trace t =
      run("mallopt M_ARENA_MAX 2\n"
          "t1: a = malloc 0x18\nt2: b = malloc 0x18\nt3: c = malloc 0x18\nt4: d = malloc 0x18\n");
  ASSERT_EQ(t.outcomes.size(), 5u);
  EXPECT_EQ(t.outcomes[1], Outcome::arena_pointer(1, 0, 0xb70));
  EXPECT_EQ(t.outcomes[2].kind, OutcomeKind::kPointer);  // reused_arena: main_arena first
  EXPECT_EQ(t.outcomes[3].kind, OutcomeKind::kArenaPointer);
  EXPECT_EQ(t.outcomes[3].value, 1u);
  EXPECT_EQ(t.outcomes[4].kind, OutcomeKind::kPointer);
}

// A heap past HEAP_MAX_SIZE (64 MiB) goes on in a new heap of the same arena.
TEST_F(GlibcThreadsTest, AChunkInAnArenasSecondHeapIsNamedByIt) {
  Trace t =
      run("mallopt M_MMAP_THRESHOLD 0x2000000\n"
          "t1: a = malloc 0x1000000\nt1: b = malloc 0x1000000\nt1: c = malloc 0x1000000\n"
          "t1: d = malloc 0x1000000\n");
  ASSERT_EQ(t.outcomes.size(), 5u);
  EXPECT_EQ(t.outcomes[3], Outcome::arena_pointer(1, 0, 0x2000b90));
  EXPECT_EQ(t.outcomes[4], Outcome::arena_pointer(1, 1, 0x40));
  EXPECT_EQ(to_string(t.outcomes[4]), "arena1.heap1+0x40");
}

TEST_F(GlibcThreadsTest, AnAbortOrAFaultOnAThreadEndsTheProgram) {
  Trace abort = run("t1: a = malloc 0x18\nt1: free a\nt1: free a\nb = malloc 0x18\n");
  ASSERT_EQ(abort.outcomes.size(), 3u);
  EXPECT_EQ(abort.outcomes[2], Outcome::abort("free(): double free detected in tcache 2"));
  Trace fault = run("a = malloc 0x18\nt2: write8 null 0x10 0x41\nb = malloc 0x18\n");
  ASSERT_EQ(fault.outcomes.size(), 2u);
  EXPECT_EQ(fault.outcomes[1], Outcome::fault(11, 0x10, false));
}

// The hang guard counts a thread's CPU time: the large-bin self-loop of
// GlibcSideTest.SurvivesAProgramThatNeverEnds, walked by t1 (which shares main_arena: M_ARENA_MAX
// 1).
TEST_F(GlibcThreadsTest, AnOpThatNeverEndsOnAThreadIsATimeout) {
  RunOptions options;
  options.timeout_ms = 300;
  Trace t =
      side_->run(parse_script("mallopt M_ARENA_MAX 1\nt1: w = malloc 0x18\na = malloc 0x500\n"
                              "guard = malloc 0x18\ng = malloc 0x28\nfree a\nbig = malloc 0x600\n"
                              "write8 a 0x18 g-0x10\nwrite8 g 0x18 g-0x10\nt1: x = malloc 0x4f0\n"
                              "y = malloc 0x18\n"),
                 options);
  ASSERT_EQ(t.outcomes.size(), 10u) << t.error;
  EXPECT_EQ(t.outcomes[1], Outcome::pointer(0x650));  // t0's tcache, t1's dtv, t1's tcache
  EXPECT_EQ(t.outcomes[9], Outcome::timeout());
  EXPECT_EQ(run("a = malloc 0x18\n").outcomes[0], Outcome::pointer(0x2a0));
}

// A child that started threads does not run the next Program: its arenas, thread_arena and
// threads would still be there. The same Programs again give the same traces.
TEST_F(GlibcThreadsTest, AThreadedProgramLeavesNothingForTheNext) {
  const std::string threaded =
      "a = malloc 0x18\nt1: b = malloc 0x18\nt1: free a\nt2: c = malloc 0x28\n";
  const std::string plain = "a = malloc 0x18\nb = malloc 0x418\nfree b\n";
  Trace first = run(threaded, true);
  Trace plain_after = run(plain, true);
  Trace again = run(threaded, true);
  Trace plain_again = run(plain, true);
  EXPECT_EQ(first.outcomes, again.outcomes);
  EXPECT_EQ(first.states, again.states);
  EXPECT_EQ(plain_after.outcomes, plain_again.outcomes);
  EXPECT_EQ(plain_after.states, plain_again.states);
  ASSERT_EQ(again.outcomes.size(), 4u);
  EXPECT_EQ(again.outcomes[1], Outcome::arena_pointer(1, 0, 0xb70));
  EXPECT_EQ(again.outcomes[3], Outcome::arena_pointer(2, 0, 0xb70));
}

// After a read8 the runner follows main_arena's arena list to name threads' heaps
// (runner_threads.c, read_arena_heaps.h): a Program that forged the list (main_arena.next = 0x10,
// through the unsorted chunk's fd, main_arena+0x60) makes it read unmapped memory, which the child
// survives.
TEST_F(GlibcThreadsTest, AForgedArenaListDoesNotKillTheRunner) {
  Trace t =
      run("a = malloc 0x418\n"
          "b = malloc 0x18\n"
          "free a\n"
          "p = read8 a 0x0\n"      // main_arena+0x60
          "write8 p 0x810 0x10\n"  // main_arena.next (+0x870 in 2.36)
          "r = read8 b 0x0\n");
  ASSERT_EQ(t.outcomes.size(), 6u);
  EXPECT_EQ(to_string(t.outcomes[3]), "read main_arena+0x60");
  EXPECT_EQ(to_string(t.outcomes[5]), "read 0x0");
}

// Without libc6-dbg the runner does not know &main_arena; it finds it on the arena list.
TEST_F(GlibcThreadsTest, WithoutDebugSymbolsAThreadsChunksAreNamedAlike) {
  auto bare = glibc_side_without_debug_symbols();
  ASSERT_NE(bare, nullptr);
  Trace t = bare->run(parse_script("a = malloc 0x18\nt1: b = malloc 0x18\nt2: c = malloc 0x18\n"),
                      RunOptions{});
  EXPECT_EQ(t.error, "");
  ASSERT_EQ(t.outcomes.size(), 3u);
  EXPECT_EQ(t.outcomes[1], Outcome::arena_pointer(1, 0, 0xb70));
  EXPECT_EQ(t.outcomes[2], Outcome::arena_pointer(2, 0, 0xb70));
}

}  // namespace
}  // namespace heaptwin
