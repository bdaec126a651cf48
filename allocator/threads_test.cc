// Per-thread state (threads.cc): each thread's tcache, made in its own arena at its first call;
// a chunk freed by another thread goes to the freeing thread's tcache, else to the chunk's own
// arena; a thread's exit gives its tcache back and puts its arena on the free list for the
// next new thread. And the one single-threaded path into a new arena: a tcache that main_arena
// cannot hold. Expected values from real glibc 2.36 (Debian 2.36-9+deb12u14) runs of C programs
// with lock-step pthreads; offsets from the heap's 64 MiB boundary.
#include <gtest/gtest.h>

#include <cerrno>

#include "allocator/test_support.h"

namespace heaptwin::alloc {
namespace {

constexpr int kTopPad = -2;  // M_TOP_PAD

// Real run: thread 1 mallocs x and eight more 0x50 blocks; the main thread frees seven of them,
// then x. The seven fill the main thread's tcache; x (off 0xb70, size 0x65) goes to the
// fastbin of thread 1's arena (fastbinsY[4] = x - 0x10). The main thread's next malloc(0x50)
// is the last of the seven; thread 1's is x, from its arena's fastbin.
TEST(ThreadsTest, AChunkFreedByAnotherThreadFillsThatThreadsTcacheThenItsOwnArena) {
  TestTwin t;
  Allocator& a = t.start_thread(1);
  const Addr x = a.malloc(0x50).raw();
  Addr fr[8];
  for (Addr& f : fr) f = a.malloc(0x50).raw();
  EXPECT_EQ(x - heap_of(x), 0xb70u);
  EXPECT_EQ(word(x - 8), 0x65u);
  a.set_thread(0);
  for (int i = 0; i < 7; ++i) a.free(UserAddr{fr[i]});
  a.free(UserAddr{x});
  EXPECT_EQ(arena_in(heap_of(x)).fastbinsY[4], x - 0x10);
  EXPECT_EQ(t.av().fastbinsY[4], 0u);
  EXPECT_EQ(a.malloc(0x50).raw(), fr[6]);
  a.set_thread(1);
  EXPECT_EQ(a.malloc(0x50).raw(), x);  // thread 1's tcache is empty: its arena's fastbin
}

// Real run: thread 1 mallocs 0x20 and exits. Its tcache (the 0x290 chunk at 0x8d0) is freed
// into its arena, clearing PREV_INUSE of the 0x30 block after it (size 0x34); the arena has no
// thread (attached 0) and heads the free list (next_free 0: nothing after it); top stays at
// 0xb90, size 0x20471. Thread 2's first malloc(0x20) takes that arena from the free list: its
// tcache is the freed 0x290 chunk again, its block comes from top (off 0xba0, size 0x35).
TEST(ThreadsTest, AnExitedThreadsArenaGoesToTheNextNewThread) {
  TestTwin t;
  Allocator& a = t.start_thread(1);
  const Addr p1 = a.malloc(0x20).raw();
  const Addr tcache1 = a.tcache();
  a.exit_thread();
  const Addr heap = heap_of(p1);
  const MallocState& ar = arena_in(heap);
  EXPECT_EQ(ar.attached_threads, 0u);
  EXPECT_EQ(ar.next_free, 0u);
  EXPECT_EQ(ar.top - heap, 0xb90u);
  EXPECT_EQ(word(ar.top + 8), 0x20471u);
  EXPECT_EQ(word(p1 - 8), 0x34u);
  EXPECT_EQ(a.thread_arena(), 0u);
  a.set_thread(2);
  const Addr p2 = a.malloc(0x20).raw();
  EXPECT_EQ(heap_of(p2), heap);
  EXPECT_EQ(p2 - heap, 0xba0u);
  EXPECT_EQ(word(p2 - 8), 0x35u);
  EXPECT_EQ(ar.attached_threads, 1u);
  EXPECT_EQ(a.tcache(), tcache1);
}

// Real run, single-threaded: M_TOP_PAD -2^31, then malloc(0x20). The tcache cannot come from
// main_arena (its sbrk and mmap requests are huge), so tcache_init retries in a new arena
// (arena_get_retry): a heap of the whole 64 MiB (size + top_pad is clamped), the tcache the
// 0x295 chunk at 0x8d0, top at 0xb60 of size 0x3fff4a1, system_mem 0x4000000; main_arena has
// no thread now (attached 0), the new arena one. malloc(0x20) itself stays in main_arena
// (single-threaded: no retry) and fails with ENOMEM; so does the next.
TEST(ThreadsTest, SingleThreadedATcacheMainArenaCannotHoldGoesToANewArena) {
  TestTwin t;
  Allocator& a = t.twin;
  a.mallopt(kTopPad, -2147483647 - 1);
  EXPECT_EQ(a.malloc(0x20).raw(), 0u);
  EXPECT_EQ(a.last_errno(), ENOMEM);
  const Addr heap = heap_of(a.tcache());
  ASSERT_NE(a.tcache(), 0u);
  EXPECT_EQ(a.tcache() - heap, 0x8e0u);
  EXPECT_EQ(word(heap + 0x8d8), 0x295u);
  EXPECT_EQ(heap_info(heap).size, 0x4000000u);
  const MallocState& ar = arena_in(heap);
  EXPECT_EQ(ar.top - heap, 0xb60u);
  EXPECT_EQ(word(ar.top + 8), 0x3fff4a1u);
  EXPECT_EQ(ar.system_mem, 0x4000000u);
  EXPECT_EQ(ar.attached_threads, 1u);
  EXPECT_EQ(t.av().attached_threads, 0u);
  EXPECT_EQ(a.malloc(0x18).raw(), 0u);
  EXPECT_FALSE(a.multi_threaded());
}

// Real run: seven 0x30 blocks fill the tcache, x goes to the fastbin, its fd is overwritten
// with a misaligned pointer (protected), the tcache is drained, and malloc(0x28) takes x.
// Single-threaded glibc takes x and aborts moving the misaligned next into the tcache
// ("detected 3"); once a thread exists, REMOVE_FB checks the next pointer before taking x.
TEST(ThreadsTest, OnceAThreadExistsTakingAFastChunkChecksItsNext) {
  for (const bool threaded : {false, true}) {
    TestTwin t;
    Allocator& a = t.twin;
    if (threaded) {
      t.start_thread(1);
      a.set_thread(0);
    } else {
      a.malloc(0x20).raw();
    }
    Addr cached[7];
    for (Addr& c : cached) c = a.malloc(0x28).raw();
    const Addr x = a.malloc(0x28).raw();
    a.malloc(0x28).raw();
    for (Addr c : cached) a.free(UserAddr{c});
    a.free(UserAddr{x});
    *reinterpret_cast<uint64_t*>(x) = (x >> 12) ^ 0x4141414141414148;
    for (int i = 0; i < 7; ++i) a.malloc(0x28).raw();
    EXPECT_EQ(t.abort_message([&] { a.malloc(0x28).raw(); }),
              threaded ? "malloc(): unaligned fastbin chunk detected"
                       : "malloc(): unaligned fastbin chunk detected 3");
  }
}

// Real run: thread 1 callocs 4 x 0x20 (off 0xb70), fills it with 'C', reallocs it to 0x200 (it
// grows into top: same place, size 0x215, contents kept), memaligns 0x40 at 0x100 (off 0xe00,
// size 0x55) and mallocs 0x100 (off 0xf00, size 0x115): every chunk carries NON_MAIN_ARENA.
// The main thread's realloc of that block to 0x400 works in the block's arena (off 0x1010,
// size 0x415, same heap) and frees the old chunk into the main thread's tcache: its next
// malloc(0x200) is the old block. Its calloc(1, 0x30) stays in main_arena.
TEST(ThreadsTest, CallocReallocAndMemalignWorkInTheThreadsArena) {
  TestTwin t;
  Allocator& a = t.start_thread(1);
  const Addr c = a.calloc(4, 0x20).raw();
  for (uint64_t i = 0; i < 0x80; ++i) *reinterpret_cast<char*>(c + i) = 'C';
  const Addr r = a.realloc(UserAddr{c}, 0x200).raw();
  const Addr m = a.memalign(0x100, 0x40).raw();
  const Addr v = a.malloc(0x100).raw();
  const Addr heap = heap_of(c);
  EXPECT_EQ(c - heap, 0xb70u);
  EXPECT_EQ(r, c);
  EXPECT_EQ(word(r - 8), 0x215u);
  EXPECT_EQ(*reinterpret_cast<const char*>(r), 'C');
  EXPECT_EQ(m - heap, 0xe00u);
  EXPECT_EQ(word(m - 8), 0x55u);
  EXPECT_EQ(v - heap, 0xf00u);
  EXPECT_EQ(word(v - 8), 0x115u);
  a.set_thread(0);
  const Addr r2 = a.realloc(UserAddr{r}, 0x400).raw();
  EXPECT_EQ(r2 - heap, 0x1010u);
  EXPECT_EQ(word(r2 - 8), 0x415u);
  EXPECT_EQ(a.malloc(0x200).raw(), r);
  EXPECT_EQ(word(a.calloc(1, 0x30).raw() - 8) & kNonMainArena, 0u);
}

// Under one thread, set_thread(0) changes nothing: the same placement as without it.
TEST(ThreadsTest, TheMainThreadAloneStaysSingleThreaded) {
  TestTwin t;
  t.twin.set_thread(0);
  EXPECT_FALSE(t.twin.multi_threaded());
  EXPECT_EQ(t.malloc(0x20), 0x2a0);
}

}  // namespace
}  // namespace heaptwin::alloc
