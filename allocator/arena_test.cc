// Non-main arenas (arena.cc): a thread's first call makes an arena in a heap of its own, the
// malloc_state right after the heap_info; past narenas_limit threads share arenas round the
// list. Expected values from real glibc 2.36 (Debian 2.36-9+deb12u14, this machine: 2 online
// CPUs), C programs with lock-step pthreads (each thread runs one step while the others wait),
// the addresses printed as offsets from the heap's 64 MiB boundary.
#include <gtest/gtest.h>

#include <cstddef>

#include "allocator/test_support.h"

namespace heaptwin::alloc {
namespace {

constexpr int kArenaMax = -8;  // M_ARENA_MAX

SimulatedMemoryOptions two_cpus() {
  SimulatedMemoryOptions o;
  o.online_cpus = 2;  // the machine the numbers come from
  return o;
}

uint64_t size_field(Addr mem) { return word(mem - 8); }

// A twin on the machine the numbers come from.
class ArenaTest : public ::testing::Test {
 protected:
  TestTwin t{GlibcProfile::glibc_2_36(), two_cpus()};
  Allocator& a = t.twin;
};

// Real run: thread 1's first malloc(0x20) after the main thread's malloc(0x20).
//   t1 malloc(0x20): off 0xb70 size 0x35
//   heap_info: ar_ptr off 0x30 prev (nil) size 0x21000 mprotect 0x21000 pagesize 0x1000
//   arena: top off 0xb90 topsize 0x20471 sysmem 0x21000 max 0x21000 next_free 0 attached 1
//          flags 0x2 mutex 0; main_arena.next == arena, the arena's next == &main_arena
//   chunk at 0x8d0: size 0x295 (the thread's tcache)
TEST_F(ArenaTest, AThreadsFirstMallocMakesAnArenaAfterItsHeapInfo) {
  t.start_thread(1);
  const Addr p = a.malloc(0x20).raw();
  const Addr h = heap_of(p);
  EXPECT_EQ(p - h, 0xb70u);
  EXPECT_EQ(size_field(p), 0x35u);  // NON_MAIN_ARENA | PREV_INUSE
  const HeapInfo& info = heap_info(h);
  EXPECT_EQ(info.ar_ptr, h + 0x30);
  EXPECT_EQ(info.prev, 0u);
  EXPECT_EQ(info.size, 0x21000u);
  EXPECT_EQ(info.mprotect_size, 0x21000u);
  EXPECT_EQ(info.pagesize, 0x1000u);
  EXPECT_EQ(a.thread_arena(), h + 0x30);
  const MallocState& ar = arena_in(h);
  EXPECT_EQ(ar.top - h, 0xb90u);
  EXPECT_EQ(size_field(ar.top + 0x10), 0x20471u);
  EXPECT_EQ(ar.system_mem, 0x21000u);
  EXPECT_EQ(ar.max_system_mem, 0x21000u);
  EXPECT_EQ(ar.next, a.main_arena());
  EXPECT_EQ(ar.next_free, 0u);
  EXPECT_EQ(ar.attached_threads, 1u);
  EXPECT_EQ(ar.flags, 2);  // NONCONTIGUOUS_BIT
  EXPECT_EQ(ar.mutex, 0);
  EXPECT_EQ(t.av().next, h + 0x30);
  EXPECT_EQ(t.av().attached_threads, 1u);
  EXPECT_EQ(word(h + 0x8d8), 0x295u);  // the thread's tcache, first in its arena
  EXPECT_EQ(a.tcache(), h + 0x8e0);
}

// Real run, continued: thread 2's first malloc(0x20) lands at 0xb70 of a heap 128 MiB below
// thread 1's; its arena's next is thread 1's arena, main_arena's next is its own.
TEST_F(ArenaTest, TheNextThreadsArenaGoesFirstInTheList) {
  t.start_thread(1);
  const Addr p1 = a.malloc(0x20).raw();
  a.set_thread(2);
  const Addr p2 = a.malloc(0x20).raw();
  EXPECT_EQ(p2 - heap_of(p2), 0xb70u);
  EXPECT_EQ(static_cast<int64_t>(heap_of(p2) - heap_of(p1)), -(int64_t{128} << 20));
  const MallocState& ar2 = arena_in(heap_of(p2));
  EXPECT_EQ(ar2.next, heap_of(p1) + 0x30);
  EXPECT_EQ(t.av().next, heap_of(p2) + 0x30);
}

// Real run (M_ARENA_MAX 2, four threads each malloc(0x20) once):
//   t1: thread heap off 0xb70, attached 2 (t1 and t3)
//   t2: main_arena
//   t3: thread heap off 0xe30 (t1's heap)
//   t4: main_arena
TEST_F(ArenaTest, PastArenaMaxThreadsReuseArenasRoundTheList) {
  a.malloc(0x20).raw();
  a.mallopt(kArenaMax, 2);
  Addr p[5];
  for (int i = 1; i <= 4; ++i) {
    a.set_thread(i);
    p[i] = a.malloc(0x20).raw();
  }
  EXPECT_EQ(p[1] - heap_of(p[1]), 0xb70u);
  EXPECT_EQ(size_field(p[2]) & kNonMainArena, 0u);
  EXPECT_EQ(p[3] - heap_of(p[1]), 0xe30u);
  EXPECT_EQ(size_field(p[3]), 0x35u);
  EXPECT_EQ(size_field(p[4]) & kNonMainArena, 0u);
  const MallocState& ar = arena_in(heap_of(p[1]));
  EXPECT_EQ(ar.attached_threads, 2u);
  EXPECT_EQ(t.av().attached_threads, 3u);  // the main thread, t2, t4
}

// Real run with no M_ARENA_MAX on 2 online CPUs: threads 1..15 get arenas of their own (with
// main_arena, 16 = NARENAS_FROM_NCORES (2)); thread 16 gets main_arena, 17 shares thread 15's,
// 18 thread 14's, 19 thread 13's, 20 thread 12's. (taskset to one CPU changes nothing:
// Debian's 2.36 counts online CPUs, not the affinity mask.)
TEST_F(ArenaTest, EightArenasPerOnlineCpu) {
  a.malloc(0x20).raw();
  Addr p[21];
  for (int i = 1; i <= 20; ++i) {
    a.set_thread(i);
    p[i] = a.malloc(0x20).raw();
  }
  for (int i = 1; i <= 15; ++i) {
    EXPECT_NE(size_field(p[i]) & kNonMainArena, 0u) << i;
    for (int j = 1; j < i; ++j) EXPECT_NE(heap_of(p[i]), heap_of(p[j])) << i << " " << j;
  }
  EXPECT_EQ(size_field(p[16]) & kNonMainArena, 0u);
  EXPECT_EQ(heap_of(p[17]), heap_of(p[15]));
  EXPECT_EQ(heap_of(p[18]), heap_of(p[14]));
  EXPECT_EQ(heap_of(p[19]), heap_of(p[13]));
  EXPECT_EQ(heap_of(p[20]), heap_of(p[12]));
}

// Real run: thread 1 mallocs 0x8000 (off 0xb70) and 0x20, fills the first with 'A' and frees
// it (unsorted); the main thread's malloc_trim(0) returns 1 and releases the free chunk's whole
// pages in thread 1's arena: the word at +0x1000 reads 0, the last partial page keeps its 'A's
// (+0x7ff8). A second malloc_trim(0) returns 1 again.
TEST_F(ArenaTest, MallocTrimReleasesFreePagesInEveryArena) {
  t.start_thread(1);
  const Addr big = a.malloc(0x8000).raw();
  a.malloc(0x20).raw();
  EXPECT_EQ(big - heap_of(big), 0xb70u);
  for (uint64_t i = 0; i < 0x8000; i += 8)
    *reinterpret_cast<uint64_t*>(big + i) = 0x4141414141414141;
  a.free(UserAddr{big});
  a.set_thread(0);
  EXPECT_EQ(a.malloc_trim(0), 1);
  EXPECT_EQ(word(big + 0x1000), 0u);
  EXPECT_EQ(word(big + 0x7ff8), 0x4141414141414141u);
  EXPECT_EQ(a.malloc_trim(0), 1);
}

}  // namespace
}  // namespace heaptwin::alloc
