// The heaps of a non-main arena (heap.cc): grown page by page up to 64 MiB, then chained to a
// new heap after a fencepost; placed as new_heap places them; trimmed and deleted by free.
// Expected values from real glibc 2.36 (Debian 2.36-9+deb12u14): one thread (after the main
// thread's pthread_create, which initialises malloc in main_arena) calling malloc(0x20), then
// malloc(0x10000) until three heaps, then frees; offsets from each heap's 64 MiB boundary.
#include <gtest/gtest.h>

#include <vector>

#include "allocator/test_support.h"

namespace heaptwin::alloc {
namespace {

struct ThreeHeaps {
  explicit ThreeHeaps(TestTwin& t) : a(t.start_thread(1)) {
    heap1 = heap_of(a.malloc(0x20).raw());
    arena = &arena_in(heap1);
  }
  // malloc(0x10000) until a chunk lands outside `heap`; its index.
  size_t fill(Addr heap) {
    for (;;) {
      chunks.push_back(a.malloc(0x10000).raw());
      if (heap_of(chunks.back()) != heap) return chunks.size() - 1;
    }
  }
  Allocator& a;
  Addr heap1 = 0;
  const MallocState* arena = nullptr;
  std::vector<Addr> chunks;
};

// Real run: the third malloc(0x10000) grows the first heap to 0x31000 (sysmem 0x31000).
TEST(HeapTest, TopGrowsItsHeapAPageRoundedStepAtATime) {
  TestTwin t;
  ThreeHeaps h(t);
  for (int i = 0; i < 2; ++i) h.chunks.push_back(h.a.malloc(0x10000).raw());
  EXPECT_EQ(heap_info(h.heap1).size, 0x21000u);
  h.chunks.push_back(h.a.malloc(0x10000).raw());
  EXPECT_EQ(heap_info(h.heap1).size, 0x31000u);
  EXPECT_EQ(heap_info(h.heap1).mprotect_size, 0x31000u);
  EXPECT_EQ(h.arena->system_mem, 0x31000u);
}

// Real run: the 1024th malloc(0x10000) opens a heap 128 MiB below the first: chunk at +0x30
// (user +0x40), size 0x10015; the new heap's prev is the first, its size 0x31000. The first
// heap stopped at 0x3ff5000 (one more page would pass 64 MiB); sysmem 0x4026000; top at
// +0x10040 of size 0x20fc1. The old top, less MINSIZE, was freed (0x460 at +0x3ff4b80, into the
// unsorted bin at arena+0x60), and the fencepost after it reads prev_size 0x460, size 0x10, then
// prev_size 0x10, size 0x1.
TEST(HeapTest, AFullHeapChainsANewOneAfterAFencepost) {
  TestTwin t;
  ThreeHeaps h(t);
  const size_t i = h.fill(h.heap1);
  EXPECT_EQ(i, 1023u);
  const Addr heap2 = heap_of(h.chunks[i]);
  EXPECT_EQ(static_cast<int64_t>(heap2 - h.heap1), -(int64_t{128} << 20));
  EXPECT_EQ(h.chunks[i] - heap2, 0x40u);
  EXPECT_EQ(word(h.chunks[i] - 8), 0x10015u);
  EXPECT_EQ(heap_info(heap2).ar_ptr, h.heap1 + 0x30);
  EXPECT_EQ(heap_info(heap2).prev, h.heap1);
  EXPECT_EQ(heap_info(heap2).size, 0x31000u);
  EXPECT_EQ(heap_info(heap2).mprotect_size, 0x31000u);
  EXPECT_EQ(heap_info(h.heap1).size, 0x3ff5000u);
  EXPECT_EQ(heap_info(h.heap1).mprotect_size, 0x3ff5000u);
  EXPECT_EQ(h.arena->system_mem, 0x4026000u);
  EXPECT_EQ(h.arena->top - heap2, 0x10040u);
  EXPECT_EQ(word(h.arena->top + 8), 0x20fc1u);
  const Addr old_top = h.heap1 + 0x3ff4b80;
  EXPECT_EQ(word(old_top + 8), 0x461u);
  EXPECT_EQ(word(old_top + 0x10), h.heap1 + 0x90);  // fd: the arena's unsorted bin
  EXPECT_EQ(word(old_top + 0x460), 0x460u);
  EXPECT_EQ(word(old_top + 0x468), 0x10u);
  EXPECT_EQ(word(old_top + 0x470), 0x10u);
  EXPECT_EQ(word(old_top + 0x478), 0x1u);
}

// Real run: the third heap goes 64 MiB below the first, into the aligned half new_heap kept
// from the second heap's reservation. Freeing its only chunk leaves it (the second heap's end
// cannot take top back) but trims its top: sysmem 0x801b000 -> 0x800b000, top at +0x30 of size
// 0x20fd1. Freeing the second heap's last 40 chunks then deletes the third heap and trims the
// second: sysmem 0x7d89000, its size 0x3d94000 (mprotect_size stays 0x3ff5000), top at
// +0x3d73da0 of size 0x20261.
TEST(HeapTest, FreeTrimsTheLastHeapAndDeletesItWhenThePreviousCanTakeTop) {
  TestTwin t;
  ThreeHeaps h(t);
  const size_t i = h.fill(h.heap1);
  const Addr heap2 = heap_of(h.chunks[i]);
  const size_t j = h.fill(heap2);
  const Addr heap3 = heap_of(h.chunks[j]);
  EXPECT_EQ(static_cast<int64_t>(heap3 - h.heap1), -(int64_t{64} << 20));
  EXPECT_EQ(heap_info(heap3).prev, heap2);
  EXPECT_EQ(h.arena->system_mem, 0x801b000u);
  h.a.free(UserAddr{h.chunks[j]});
  EXPECT_EQ(h.arena->system_mem, 0x800b000u);
  EXPECT_EQ(h.arena->top, heap3 + 0x30);
  EXPECT_EQ(word(heap3 + 0x38), 0x20fd1u);
  for (size_t k = 1; k <= 40; ++k) h.a.free(UserAddr{h.chunks[j - k]});
  EXPECT_EQ(h.arena->system_mem, 0x7d89000u);
  EXPECT_EQ(heap_info(heap2).size, 0x3d94000u);
  EXPECT_EQ(heap_info(heap2).mprotect_size, 0x3ff5000u);
  EXPECT_EQ(h.arena->top - heap2, 0x3d73da0u);
  EXPECT_EQ(word(h.arena->top + 8), 0x20261u);
  EXPECT_FALSE(t.memory.owns(heap3, 8));  // unmapped
}

}  // namespace
}  // namespace heaptwin::alloc

namespace heaptwin::alloc {
namespace {

// Real run (heaptwin run --on glibc): on a thread, malloc(PTRDIFF_MAX) and
// malloc(PTRDIFF_MAX - 0x1f) pass checked_request2size, fail to map, and grow_heap refuses a size
// that wraps past 2^63: NULL, and the next malloc(0x18) is the chunk after the first. The sum
// in grow_heap is glibc's (long) h->size + diff, which wraps; signed in C++ it was undefined
// (fuzz target threads, UBSan: run this test with --config=ubsan).
TEST(HeapTest, ARequestNearTwoToThe63RefusesToGrowTheHeap) {
  TestTwin t;
  Allocator& a = t.start_thread(1);
  const Addr first = a.malloc(0x18).raw();
  EXPECT_EQ(a.malloc(0x7fffffffffffffffull).raw(), 0u);
  EXPECT_EQ(a.malloc(0x7fffffffffffffe0ull).raw(), 0u);
  EXPECT_EQ(a.malloc(0x18).raw(), first + 0x20);
}

}  // namespace
}  // namespace heaptwin::alloc
