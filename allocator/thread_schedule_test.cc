// Deterministic schedules of 3000 calls (malloc, free, calloc, realloc, memalign; some sizes
// mmapped) from several threads, frees and reallocs crossing threads, replayed on the twin and
// compared line by line with what real glibc 2.36 gave for the same schedule:
// allocator/testdata/thread_schedule_N_2.36.txt, printed by allocator/testdata/thread_schedule.c
// (its header says how to run it). Each result: main_arena blocks as offsets from the main
// thread's first block, a thread heap's as its number (in order of first appearance) and the
// offset from its 64 MiB boundary, mmapped blocks by their page offset only, with the size field.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "allocator/test_support.h"
#include "allocator/testdata/thread_schedule_ops.h"

namespace heaptwin::alloc {
namespace {

constexpr int kArenaMax = -8;  // M_ARENA_MAX

std::string describe(int i, Addr p, Addr main_base, std::vector<Addr>* heaps) {
  char line[128];
  if (p == 0) {
    std::snprintf(line, sizeof line, "%d null\n", i);
    return line;
  }
  const uint64_t size = *reinterpret_cast<const uint64_t*>(p - 8);
  if ((size & kIsMmapped) != 0) {
    std::snprintf(line, sizeof line, "%d mmap %#lx\n", i, static_cast<unsigned long>(p & 0xfff));
  } else if ((size & kNonMainArena) == 0) {
    std::snprintf(line, sizeof line, "%d main %#lx size %#lx\n", i,
                  static_cast<unsigned long>(p - main_base), static_cast<unsigned long>(size));
  } else {
    const Addr h = p & ~(kHeapMaxSize - 1);
    size_t k = 0;
    while (k < heaps->size() && (*heaps)[k] != h) ++k;
    if (k == heaps->size()) heaps->push_back(h);
    std::snprintf(line, sizeof line, "%d heap%zu %#lx size %#lx\n", i, k,
                  static_cast<unsigned long>(p - h), static_cast<unsigned long>(size));
  }
  return line;
}

void run_schedule(int schedule) {
  const sched_params& p = sched_schedules[schedule];
  sched_reset(schedule);
  std::ifstream expected_file("allocator/testdata/thread_schedule_" + std::to_string(schedule) +
                              "_2.36.txt");
  ASSERT_TRUE(expected_file.good());
  std::stringstream expected;
  expected << expected_file.rdbuf();

  SimulatedMemoryOptions options;
  options.online_cpus = 2;
  TestTwin t(GlibcProfile::glibc_2_36(), options);
  Allocator& a = t.twin;
  const Addr main_base = a.malloc(0x18).raw();
  if (p.arena_max != 0) a.mallopt(kArenaMax, p.arena_max);
  // Each pthread_create callocs the new thread's DTV in the creating thread's arena (a thread
  // started again on a cached stack keeps its DTV: no call).
  for (int thread = 1; thread < p.threads; ++thread) a.calloc(0x11, 0x10).raw();
  Addr slots[SCHED_SLOTS] = {};
  std::vector<Addr> heaps;
  std::string got;
  for (int i = 0; i < SCHED_OPS; ++i) {
    const sched_op op = sched_make(&p);
    try {
      a.set_thread(op.thread);
      if (op.kind == OP_EXIT) {
        a.exit_thread();
        continue;
      }
      Addr& s = slots[op.slot];
      Addr result = 0;
      switch (op.kind) {
        case OP_MALLOC:
          if (s != 0) a.free(UserAddr{s});
          result = s = a.malloc(op.size).raw();
          break;
        case OP_FREE:
          a.free(UserAddr{s});
          s = 0;
          break;
        case OP_CALLOC:
          if (s != 0) a.free(UserAddr{s});
          result = s = a.calloc(1, op.size).raw();
          break;
        case OP_REALLOC:
          result = a.realloc(UserAddr{s}, op.size).raw();
          if (result != 0) s = result;
          break;
        case OP_MEMALIGN:
          if (s != 0) a.free(UserAddr{s});
          result = s = a.memalign(op.align, op.size).raw();
          break;
      }
      if (result != 0)
        std::memset(reinterpret_cast<void*>(result), 0x5a, op.size < 64 ? op.size : 64);
      if (op.kind != OP_FREE) got += describe(i, result, main_base, &heaps);
    } catch (const AbortError& e) {
      FAIL() << "op " << i << ": abort " << e.message;
    } catch (const FaultError& e) {
      FAIL() << "op " << i << ": fault at " << std::hex << e.address;
    } catch (const UnmodelledError& e) {
      FAIL() << "op " << i << ": unmodelled " << e.why;
    } catch (const HangError&) {
      FAIL() << "op " << i << ": hang";
    }
  }
  // The first line that differs, then the whole comparison.
  std::istringstream want_lines(expected.str()), got_lines(got);
  std::string want_line, got_line;
  while (std::getline(want_lines, want_line)) {
    ASSERT_TRUE(std::getline(got_lines, got_line))
        << "the twin's output ends before: " << want_line;
    ASSERT_EQ(got_line, want_line);
  }
  EXPECT_FALSE(std::getline(got_lines, got_line)) << "the twin's output goes on: " << got_line;
}

TEST(ThreadScheduleTest, ThreeThousandCallsFromFiveThreadsPlaceAsRealGlibc) { run_schedule(0); }

// Twelve threads share main_arena and three more (M_ARENA_MAX 4); threads exit (their tcaches
// freed, their arenas left to the free list or to the threads still in them) and new ones take
// their numbers.
TEST(ThreadScheduleTest, TwelveThreadsUnderArenaMaxFourExitingAndStartingAgain) { run_schedule(1); }

// 24 threads with no M_ARENA_MAX: 15 arenas besides main_arena (8 per online CPU, 2 CPUs), then
// reused_arena; exits put arenas on the free list for new threads.
TEST(ThreadScheduleTest, TwentyFourThreadsPastTheArenaLimitExitingAndStartingAgain) {
  run_schedule(2);
}

}  // namespace
}  // namespace heaptwin::alloc
