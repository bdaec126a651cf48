// The drop-in library with threads, against real glibc 2.36: thread_log.c runs threads in
// lock-step (a fixed schedule, each exit waited for) and logs every malloc-family result; under
// setarch -R, once on the host's glibc and once with the library, the logs must be identical.
// Every expected address comes from the glibc run in the same test.
#include <gtest/gtest.h>

#include <string>

#include "tests/preload/run_process.h"
#include "tests/preload/skip_when_sanitized.h"

namespace heaptwin::preload_test {
namespace {

std::string library() { return runfile("allocator/preload/libheaptwin_preload.so"); }
std::string program() { return runfile("tests/preload/thread_log"); }

void expect_same(const std::string& scenario) {
  if (!setarch_works()) GTEST_SKIP() << "setarch -R is not permitted here";
  Finished g = run({program(), scenario}, RunOptions{});
  Finished t = run({program(), scenario}, RunOptions{{}, library()});
  ASSERT_EQ(g.exit_code, 0) << g.err;
  EXPECT_EQ(t.exit_code, 0) << t.err;
  ASSERT_NE(g.out.find("t1 malloc"), std::string::npos) << g.out;
  EXPECT_EQ(g.out, t.out) << "scenario " << scenario << ": the address logs differ";
}

// Four threads, each in an arena of its own (heaps 64 MiB apart below the mappings), freeing
// one another's chunks, calloc and realloc among them; then each exits in turn, and the main
// thread frees what they left.
TEST(PreloadThreads, EachThreadHasItsArenaAndTcacheAsInGlibc) { expect_same("four"); }

// M_ARENA_MAX 2: threads share main_arena and one new arena (reused_arena). Also shows that the
// library adds nothing to each pthread_create's DTV, which glibc callocs in the heap.
TEST(PreloadThreads, ArenasAreReusedPastArenaMax) { expect_same("arena_max"); }

// Threads started and joined one at a time: at each exit the thread's tcache is emptied into its
// arena and the arena goes on the free list, where the next thread finds it.
TEST(PreloadThreads, AThreadsExitGivesItsTcacheAndArenaBack) { expect_same("exits"); }

}  // namespace
}  // namespace heaptwin::preload_test
