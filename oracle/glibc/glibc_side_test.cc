// The real-glibc side against real glibc: placement, and survival of Programs that abort, fault
// or never end.
#include "oracle/glibc/glibc_side.h"

#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "allocator/layout.h"
#include "oracle/glibc/glibc_side_for_tests.h"
#include "oracle/glibc/libc_symbols.h"
#include "oracle/glibc/reset_programs_for_tests.h"

#include <gtest/gtest.h>

#include "program/heap_format.h"
#include "program/parse_for_tests.h"

namespace heaptwin {

namespace {

using GlibcSideTest = GlibcSideFixture;

TEST_F(GlibcSideTest, FirstMallocSitsAfterTheTcacheStruct) {
  Trace t = run("a = malloc 0x18\nb = malloc 0x18\n");
  ASSERT_EQ(t.outcomes.size(), 2u);
  EXPECT_EQ(t.outcomes[0], Outcome::pointer(0x2a0));
  EXPECT_EQ(t.outcomes[1], Outcome::pointer(0x2c0));
}

TEST_F(GlibcSideTest, EveryProgramStartsFromAPristineHeap) {
  Trace first = run("a = malloc 0x100\nb = malloc 0x200\n");
  Trace second = run("a = malloc 0x100\nb = malloc 0x200\n");
  EXPECT_EQ(first.outcomes, second.outcomes);
}

TEST_F(GlibcSideTest, SurvivesAnAbortAndReportsGlibcsMessage) {
  Trace t = run("a = malloc 0x18\nfree a\nfree a\nb = malloc 0x18\n");
  ASSERT_EQ(t.outcomes.size(), 3u);  // the Program ends at the abort
  EXPECT_EQ(t.outcomes[2], Outcome::abort("free(): double free detected in tcache 2"));
  EXPECT_EQ(run("a = malloc 0x18\n").outcomes[0], Outcome::pointer(0x2a0));
}

TEST_F(GlibcSideTest, SurvivesAFault) {
  Trace t = run("a = malloc 0x18\nwrite8 null 0x10 0\nb = malloc 0x18\n");
  ASSERT_EQ(t.outcomes.size(), 2u);
  EXPECT_EQ(t.outcomes[1], Outcome::fault(11, 0x10, false));
  Trace heap_fault = run("a = malloc 0x18\nwrite8 a 0x10000000 0\n");
  ASSERT_EQ(heap_fault.outcomes.size(), 2u);
  EXPECT_EQ(heap_fault.outcomes[1], Outcome::fault(11, 0x2a0 + 0x10000000, true));
  EXPECT_EQ(run("a = malloc 0x18\n").outcomes[0], Outcome::pointer(0x2a0));
}

TEST_F(GlibcSideTest, SurvivesAProgramThatNeverEnds) {
  // A large bin whose bk_nextsize ring is cut into a self-loop on a small chunk: the best-fit
  // search of _int_malloc walks it forever.
  Trace t =
      run("a = malloc 0x500\nguard = malloc 0x18\ng = malloc 0x28\nfree a\nbig = malloc 0x600\n"
          "write8 a 0x18 g-0x10\nwrite8 g 0x18 g-0x10\nx = malloc 0x4f0\ny = malloc 0x18\n",
          false, 300);
  ASSERT_EQ(t.outcomes.size(), 8u);
  EXPECT_EQ(t.outcomes[7], Outcome::timeout());
  EXPECT_EQ(run("a = malloc 0x18\n").outcomes[0], Outcome::pointer(0x2a0));
}

TEST_F(GlibcSideTest, SnapshotsShowTheBins) {
  Trace t = run("a = malloc 0x18\nb = malloc 0x500\ng = malloc 0x18\nfree a\nfree b\n", true);
  ASSERT_EQ(t.states.size(), 5u);
  const ArenaSnapshot& s = t.states[4];
  ASSERT_TRUE(s.valid) << s.invalid_reason;
  EXPECT_TRUE(s.tcache_present);
  EXPECT_EQ(s.tcache_counts[0], 1);
  ASSERT_EQ(s.tcache[0].chunks.size(), 1u);
  EXPECT_EQ(s.tcache[0].chunks[0].offset, 0x290);
  ASSERT_EQ(s.bins[1].chunks.size(), 1u);  // the unsorted bin
  EXPECT_EQ(s.bins[1].chunks[0].offset, 0x2b0);
  EXPECT_EQ(s.bins[1].chunks[0].size, 0x510u);
  EXPECT_EQ(s.top.offset, 0x7e0);
  EXPECT_EQ(s.mp.tcache_count, 7u);
  EXPECT_EQ(s.global_max_fast, 0x80u);
}

TEST_F(GlibcSideTest, TcacheFoundWhenMemalignMadeTheHeap) {
  // memalign does not set up the tcache; the first malloc does, wherever it fits.
  Trace t = run("a = memalign 0x100 0x100\nb = malloc 0x18\nfree b\n", true);
  ASSERT_EQ(t.states.size(), 3u);
  const ArenaSnapshot& s = t.states[2];
  ASSERT_TRUE(s.valid) << s.invalid_reason;
  ASSERT_EQ(s.tcache[0].chunks.size(), 1u);
  EXPECT_EQ(s.tcache[0].chunks[0].offset + 0x10, t.outcomes[1].offset);
}

// A forged size makes malloc_usable_size read a cached chunk's tcache_key as the next chunk's
// size: its PREV_INUSE bit decides the answer. glibc draws the key at random, so without the
// runner pinning it (kPinnedTcacheKey, odd) half of all runs would answer 0.
TEST_F(GlibcSideTest, TcacheKeyIsTheSameInEveryRun) {
  const std::string program =
      "a = malloc 0x18\n"
      "b = malloc 0x18\n"
      "free b\n"
      "write8 a -0x8 0x31\n"
      "malloc_usable_size a\n";
  static_assert(kPinnedTcacheKey & 1);
  for (int i = 0; i < 16; ++i) {
    Trace t = run(program);
    ASSERT_EQ(t.outcomes.size(), 5u);
    EXPECT_EQ(t.outcomes[4], Outcome::value_of(0x28)) << "run " << i;
  }
}

TEST_F(GlibcSideTest, TunablesReachGlibc) {
  RunOptions options;
  options.snapshots = true;
  options.tunables = {{"glibc.malloc.tcache_count", "0"}};
  Trace t = side_->run(parse_script("a = malloc 0x18\nfree a\n"), options);
  ASSERT_EQ(t.states.size(), 2u);
  EXPECT_EQ(t.states[1].mp.tcache_count, 0u);
  ASSERT_EQ(t.states[1].fastbins[0].chunks.size(), 1u);
}

}  // namespace
}  // namespace heaptwin

namespace heaptwin {
namespace {

// Random Programs that stay clear of corruption but touch every path the reset must undo
// (reset_programs_for_tests.h), 48 ops each, one stream per seed.
Program random_program(uint64_t seed) {
  std::mt19937_64 rng(seed);
  ResetProgramOptions options;
  options.ops = 48;
  return reset_program(rng, options);
}

bool gone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!stat || !std::getline(stat, line)) return true;
  size_t paren = line.rfind(')');
  return paren != std::string::npos && line.size() > paren + 2 && line[paren + 2] == 'Z';
}

// A fuzzer killed mid-Program must not leave its runner behind: orphans were seen spinning on a
// core each. Here the owner dies while the runner's child loops in a never-ending Program
// (a 60 s time limit): every runner process must be gone well before that.
TEST(GlibcRunnerModes, TheRunnerDiesWithItsParent) {
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t owner = fork();
  ASSERT_GE(owner, 0);
  if (owner == 0) {
    std::string error;
    auto side = make_glibc_side("glibc", RunnerMode::kPersistent, &error);
    char c = 0;
    if (side && side->run(parse_script("a = malloc 0x18\n"), RunOptions()).error.empty()) c = 1;
    (void)!write(ready[1], &c, 1);
    RunOptions long_limit;
    long_limit.timeout_ms = 60000;
    if (side) {
      side->run(parse_script("a = malloc 0x500\nguard = malloc 0x18\ng = malloc 0x28\nfree a\n"
                             "big = malloc 0x600\nwrite8 a 0x18 g-0x10\nwrite8 g 0x18 g-0x10\n"
                             "x = malloc 0x4f0\n"),
                long_limit);
    }
    _exit(0);
  }
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, 1);
  std::vector<pid_t> runners = children_of(owner);
  ASSERT_FALSE(runners.empty());
  for (pid_t r : children_of(runners[0])) runners.push_back(r);
  usleep(200000);  // the never-ending Program is running
  kill(owner, SIGKILL);
  waitpid(owner, nullptr, 0);
  for (int i = 0; i < 300; ++i) {
    bool all_gone = true;
    for (pid_t r : runners) all_gone = all_gone && gone(r);
    if (all_gone) break;
    usleep(10000);
  }
  for (pid_t r : runners) EXPECT_TRUE(gone(r)) << "runner " << r << " outlived its parent";
}

TEST(GlibcRunnerModes, PersistentResetMatchesAFreshForkEveryTime) {
  auto fork_side = glibc_side_for_test(RunnerMode::kFork);
  ASSERT_NE(fork_side, nullptr);
  auto persistent = glibc_side_for_test(RunnerMode::kPersistent);
  ASSERT_NE(persistent, nullptr);
  const RunOptions options = with_snapshots();
  // Aborting and faulting Programs in between: the next child must start pristine too.
  Program abort_program = parse_script("a = malloc 0x18\nfree a\nfree a\n");
  Program fault_program = parse_script("a = malloc 0x18\nwrite8 null 0 0\n");
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    Program p = random_program(seed);
    Trace a = fork_side->run(p, options);
    Trace b = persistent->run(p, options);
    ASSERT_EQ(a.error, "");
    ASSERT_EQ(b.error, "");
    ASSERT_EQ(a.outcomes.size(), b.outcomes.size()) << "seed " << seed;
    for (size_t i = 0; i < a.outcomes.size(); ++i) {
      ASSERT_EQ(a.outcomes[i], b.outcomes[i])
          << "seed " << seed << " op " << i << ": " << print_op(p, p.ops[i]);
    }
    ASSERT_EQ(a.states.size(), b.states.size());
    for (size_t i = 0; i < a.states.size(); ++i) {
      ASSERT_EQ(first_difference(a.states[i], b.states[i]), "") << "seed " << seed << " op " << i;
    }
    // Without snapshots the records travel through shared memory: the same outcomes.
    Trace c = persistent->run(p, RunOptions());
    ASSERT_EQ(c.error, "");
    ASSERT_EQ(c.outcomes.size(), a.outcomes.size()) << "seed " << seed;
    if (seed % 20 == 0) persistent->run(abort_program, options);
    if (seed % 20 == 5)
      persistent->run(parse_script("a = malloc 0x18\nwrite8 a 0x0 0x41\n"), options);
    if (seed % 20 == 10) persistent->run(fault_program, options);
  }
}

}  // namespace
}  // namespace heaptwin

namespace heaptwin {
namespace {

TEST_F(GlibcWithoutDebugSymbols, AProbeFindsTheSameArena) {
  const RunOptions options = with_snapshots();
  const Program p = parse_script(kBinsAndParamsScript);
  Trace t1 = with_->run(p, options);
  Trace t2 = without_->run(p, options);
  ASSERT_EQ(t2.error, "");
  ASSERT_EQ(t1.states.size(), t2.states.size());
  for (size_t i = 0; i < t1.states.size(); ++i) {
    ASSERT_TRUE(t2.states[i].valid) << t2.states[i].invalid_reason;
    EXPECT_EQ(first_difference(t1.states[i], t2.states[i]), "") << "op " << i;
  }
}

// read8 names its values after main_arena: without debug symbols the side finds it by the probe
// (for a Program that reads, even when nothing else asks for the arena).
TEST_F(GlibcWithoutDebugSymbols, ReadsAreNamedAfterTheProbedArena) {
  const Program p = parse_script(
      "a = malloc 0x500\ng = malloc 0x18\nfree a\nfd = read8 a 0\nfirst = read8 fd 0x10\n");
  const Trace t = without_->run(p, RunOptions{});
  ASSERT_EQ(t.error, "");
  ASSERT_EQ(t.outcomes.size(), 5u);
  EXPECT_EQ(to_string(t.outcomes[3]), "read main_arena+0x60");
  EXPECT_EQ(to_string(t.outcomes[4]), "read heap+0x290");
}

}  // namespace
}  // namespace heaptwin

namespace heaptwin {
namespace {

TEST(GlibcSnapshots, CopiedByTheChildEqualReadFromThePausedChild) {
  auto side = glibc_side_for_test();
  ASSERT_NE(side, nullptr);
  const RunOptions options = with_snapshots();
  // Random Programs, and one where top swallows a chunk the tcache still lists (a freed block
  // reallocated and freed again): the copy must reach that stale entry inside top.
  std::vector<Program> programs;
  for (uint64_t seed = 100; seed < 130; ++seed) programs.push_back(random_program(seed));
  programs.push_back(
      parse_script("pad = malloc 0xbe0\na = malloc 0x190\nfree a\nb = realloc a 0x2000\nfree b\n"));
  for (size_t seed = 0; seed < programs.size(); ++seed) {
    const Program& p = programs[seed];
    Trace copied = side->run(p, options);
    setenv("HEAPTWIN_RUNNER_PAUSE", "1", 1);
    Trace paused = side->run(p, options);
    unsetenv("HEAPTWIN_RUNNER_PAUSE");
    ASSERT_EQ(copied.error, "");
    ASSERT_EQ(paused.error, "");
    ASSERT_EQ(copied.states.size(), paused.states.size());
    for (size_t i = 0; i < copied.states.size(); ++i) {
      ASSERT_TRUE(copied.states[i].valid) << copied.states[i].invalid_reason;
      ASSERT_EQ(first_difference(copied.states[i], paused.states[i]), "")
          << "seed " << seed << " op " << i;
    }
  }
}

}  // namespace
}  // namespace heaptwin

namespace heaptwin {
namespace {

// The twin's libc data keeps main_arena, mp_ and global_max_fast where the host's glibc has them
// relative to each other (exploit code computes one from another): compared with the real
// libc's debug symbols, not with numbers copied from the twin.
TEST(LibcDataPlacement, MatchesTheHostGlibcSymbols) {
  std::string error;
  auto symbols = find_libc_symbols("/lib/x86_64-linux-gnu/libc.so.6", {"/usr/lib/debug"}, &error);
  if (!symbols) GTEST_SKIP() << "no libc6-dbg symbols: " << error;
  EXPECT_EQ(
      static_cast<int64_t>(symbols->main_arena - symbols->mp),
      static_cast<int64_t>(offsetof(alloc::LibcData, main_arena) - offsetof(alloc::LibcData, mp_)));
  EXPECT_EQ(static_cast<int64_t>(symbols->global_max_fast - symbols->main_arena),
            static_cast<int64_t>(offsetof(alloc::LibcData, global_max_fast) -
                                 offsetof(alloc::LibcData, main_arena)));
}

}  // namespace
}  // namespace heaptwin
