// arena_for_chunk: free of a chunk whose size has NON_MAIN_ARENA follows the arena named by the
// heap_info at the 64 MiB boundary below it. Expected values from real glibc 2.36 (the same ops
// as tests/techniques/house_of_mind_fastbin.heap, run by `heaptwin run --on glibc`): the heap's
// first 64 MiB boundary is heap+0x3000000 (its base lies 16 MiB above one), the chunk lands in
// the fake arena's fastbin, and a fake arena at 0x10 faults at its system_mem (0x898).
#include <gtest/gtest.h>

#include "allocator/test_support.h"

namespace heaptwin::alloc {
namespace {

constexpr int kMmapMax = -4;  // M_MMAP_MAX
constexpr int64_t kFirstHeapInfo = 0x3000000;

// A heap past its first 64 MiB boundary, a 0x60 chunk above it with NON_MAIN_ARENA set, and a
// heap_info at the boundary naming `arena`.
struct ForgedArena {
  explicit ForgedArena(TestTwin& t) : t(t) {}
  int64_t victim_above_boundary(uint64_t arena) {
    t.twin.mallopt(kMmapMax, 0);
    t.malloc(0x3000000);
    const int64_t victim = t.malloc(0x50);
    EXPECT_GT(victim, kFirstHeapInfo);
    t.write8(kFirstHeapInfo, arena);
    t.write8(victim - 8, 0x64);  // 0x60 | NON_MAIN_ARENA
    return victim;
  }
  void fill_tcache_0x60() {
    int64_t c[7];
    for (int64_t& x : c) x = t.malloc(0x50);
    for (int64_t x : c) t.free_at(x);
  }
  TestTwin& t;
};

TEST(ArenaForChunkTest, AFastChunkGoesToTheFastbinOfTheArenaItsHeapInfoNames) {
  TestTwin t;
  const int64_t fake = t.malloc(0x1000);
  t.write8(fake + 0x888, 0xffffff);  // the fake arena's system_mem
  ForgedArena f(t);
  const int64_t victim = f.victim_above_boundary(t.base() + static_cast<uint64_t>(fake));
  f.fill_tcache_0x60();
  t.free_at(victim);
  EXPECT_EQ(t.read8(fake + 0x30), t.base() + static_cast<uint64_t>(victim) - 0x10);  // fastbinsY[4]
  EXPECT_EQ(t.read8(fake + 0x8), 1u);  // its have_fastchunks
  EXPECT_EQ(t.av().fastbinsY[4], 0u);  // main_arena untouched
  // The next malloc works on main_arena again.
  EXPECT_NE(t.malloc(0x50), victim);
}

TEST(ArenaForChunkTest, TheTcacheTakesTheChunkBeforeTheArenaIsRead) {
  TestTwin t;
  ForgedArena f(t);
  const int64_t victim = f.victim_above_boundary(0x10);
  t.free_at(victim);  // tcache has room: glibc never reads the arena
  EXPECT_EQ(t.malloc(0x50), victim);
}

TEST(ArenaForChunkTest, AnArenaOutsideMemoryFaultsAtTheFirstFieldRead) {
  TestTwin t;
  ForgedArena f(t);
  const int64_t victim = f.victim_above_boundary(0x10);
  f.fill_tcache_0x60();
  try {
    t.free_at(victim);
    FAIL();
  } catch (const FaultError& e) {
    EXPECT_EQ(e.address, 0x10u + 0x888);  // av->system_mem
  }
}

TEST(ArenaForChunkTest, NoHeapInfoBelowTheFirstBoundaryFaults) {
  TestTwin t;
  const int64_t a = t.malloc(0x18);
  t.write8(a - 8, 0x25);
  EXPECT_THROW(t.free_at(a), FaultError);  // heap_for_ptr lands 16 MiB below the heap
}

// Real run (glibc 2.36, a C program doing these steps): a chunk freed to its fastbin, then given
// NON_MAIN_ARENA and a heap_info naming another arena, comes back from calloc (which skips the
// tcache), and calloc's check that the block belongs to the arena it came from aborts with
// "Fatal glibc error: malloc assertion failure in __libc_calloc: !mem || chunk_is_mmapped
// (mem2chunk (mem)) || av == arena_for_chunk (mem2chunk (mem))".
TEST(ArenaForChunkTest, CallocChecksTheArenaOfWhatItHandsOut) {
  TestTwin t;
  t.twin.mallopt(kMmapMax, 0);
  t.malloc(0x3000000);
  const int64_t victim = t.malloc(0x50);
  ASSERT_GT(victim, kFirstHeapInfo);
  ForgedArena(t).fill_tcache_0x60();
  t.free_at(victim);           // fastbin
  t.write8(victim - 8, 0x65);  // 0x60 | NON_MAIN_ARENA | PREV_INUSE
  t.write8(kFirstHeapInfo, 0x4141414141414140);
  EXPECT_EQ(t.abort_message([&] { t.twin.calloc(1, 0x50).raw(); }),
            "Fatal glibc error: malloc assertion failure in __libc_calloc: !mem || "
            "chunk_is_mmapped (mem2chunk (mem)) || av == arena_for_chunk (mem2chunk (mem))");
}

}  // namespace
}  // namespace heaptwin::alloc
