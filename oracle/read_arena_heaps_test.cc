// Naming read8 values in threads' heaps (oracle/read_value.h, READ_ARENA_HEAP) and finding
// those heaps in a process's memory (oracle/read_arena_heaps.h), over made-up memory.
#include "oracle/read_arena_heaps.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "oracle/made_up_places.h"

namespace heaptwin {
namespace {

constexpr uint64_t kNext = 0x868;  // malloc_state.next (2.36)
constexpr uint64_t kTop = 0x60;    // malloc_state.top
// Arena 1 (the first made): heaps A1 (its malloc_state) and A1b (its second heap, holding top);
// arena 2: one heap A2. As real 2.36 places them: 64 MiB aligned, 128 MiB apart.
constexpr uint64_t kA1 = 0x7ffff0000000, kA1b = 0x7fffe8000000, kA2 = 0x7fffec000000;

TEST(ReadArenaHeap, NamesValuesAndPositionsInAThreadsHeap) {
  ReadPlaces p = main_places();
  const ReadArenaHeap heaps[] = {{kA1b, 0x21000, 1, 1}, {kA1, 0x21000, 1, 0}};
  p.arena_heaps = heaps;
  p.arena_heap_count = 2;
  const uint64_t at = kA1 + 0xb90;
  EXPECT_EQ(text(p, kA1 + 0xb70, kHeap + 0x2a0), "arena1+0xb70");
  EXPECT_EQ(text(p, kA1b + 0x40, kHeap + 0x2a0), "arena1.heap1+0x40");
  // A thread's tcache next: masked with its heap's page, revealed from a named position.
  EXPECT_EQ(text(p, (at >> 12) ^ (kA1 + 0xb70), at),
            "arena1+0xb70 (safe-linked: protect(arena1+0xb90, arena1+0xb70))");
  EXPECT_EQ(text(p, at >> 12, at), "0x0 (safe-linked: protect(arena1+0xb90, 0x0))");
  // A chunk of the main heap freed by the thread, pointing at one of the thread's heap.
  EXPECT_EQ(text(p, ((kHeap + 0x2a0) >> 12) ^ (kA1 + 0xb70), kHeap + 0x2a0),
            "arena1+0xb70 (safe-linked: protect(heap+0x2a0, arena1+0xb70))");
  // Copied out of its position (realloc moved the block): found by its heap's pages, the lowest
  // that reveals a place in it first (as in the main heap: every side finds the same one).
  const uint64_t copied = ((kA1 + 0x5b90) >> 12) ^ (kA1 + 0xb70);
  EXPECT_EQ(text(p, copied, kHeap + 0x400),
            "arena1+0xb75 (safe-linked: protect(arena1+0x0, arena1+0xb75))");
  EXPECT_EQ(text(p, (kA1 + 0x3000) >> 12, kHeap + 0x400),
            "0x0 (safe-linked: protect(arena1+0x3000, 0x0))");
  // Past the bytes a heap ever made accessible, its reservation names nothing: a safe-linked
  // value lands there by chance, where each process's heaps lie (found by the threads target).
  EXPECT_EQ(text(p, kA1 + 0x2c00ba0, kHeap + 0x2a0), "0x7ffff2c00ba0");
  // Without the heaps, the same values are numbers of one process.
  ReadPlaces none = main_places();
  EXPECT_EQ(text(none, kA1 + 0xb70, kHeap + 0x2a0), "0x7ffff0000b70");
}

// Memory of one made-up process: main_arena's list holds arena 2 (newest) then arena 1.
struct FakeMemory {
  std::map<uint64_t, uint64_t> words;
  static int read(void* ctx, uint64_t address, uint64_t* out) {
    const auto& w = static_cast<FakeMemory*>(ctx)->words;
    auto it = w.find(address);
    if (it == w.end()) return 0;
    *out = it->second;
    return 1;
  }
};

FakeMemory process() {
  FakeMemory m;
  const uint64_t arena1 = kA1 + 0x30, arena2 = kA2 + 0x30;
  m.words[kMainArena + kNext] = arena2;
  m.words[arena2 + kNext] = arena1;
  m.words[arena1 + kNext] = kMainArena;
  m.words[arena1 + kTop] = kA1b + 0x1000;  // arena 1's top: in its second heap
  m.words[arena2 + kTop] = kA2 + 0x8d0;
  m.words[kA1] = arena1;  // heap_info.ar_ptr
  m.words[kA1 + 8] = 0;   // heap_info.prev
  m.words[kA1b] = arena1;
  m.words[kA1b + 8] = kA1;
  m.words[kA2] = arena2;
  m.words[kA2 + 8] = 0;
  for (uint64_t h : {kA1, kA1b, kA2}) m.words[h + 0x18] = 0x21000;  // heap_info.mprotect_size
  return m;
}

std::string found(FakeMemory& m, uint64_t raw, uint64_t at) {
  ReadArenaHeap out[READ_ARENA_HEAPS_MAX];
  const size_t n = read_arena_heaps(FakeMemory::read, &m, kMainArena, kNext, kTop, raw, at, out);
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    char line[80];
    snprintf(line, sizeof line, "%s%#llx=%u.%u", i ? " " : "", (unsigned long long)out[i].start,
             out[i].arena, out[i].heap);
    s += line;
    const ReadArenaHeap back = read_arena_heap_unpack(read_arena_heap_pack(&out[i]));
    EXPECT_EQ(back.start, out[i].start);
    EXPECT_EQ(back.bytes, out[i].bytes);
    EXPECT_EQ(back.arena, out[i].arena);
    EXPECT_EQ(back.heap, out[i].heap);
  }
  return s;
}

TEST(ReadArenaHeaps, FindsTheHeapsARead8CanBeNamedBy) {
  FakeMemory m = process();
  // A value and a position in arena 1's heaps, numbered from its first heap.
  EXPECT_EQ(found(m, kA1b + 0x40, kA1 + 0xb90), "0x7fffe8000000=1.1 0x7ffff0000000=1.0");
  // Arena 2 by creation order, whatever the list's order.
  EXPECT_EQ(found(m, 0x421, kA2 + 0xb90), "0x7fffec000000=2.0");
  // A safe-linked next in arena 2: the target's heap, by the position's page.
  const uint64_t at = kA2 + 0xb90;
  EXPECT_EQ(found(m, (at >> 12) ^ (kA2 + 0xb70), kHeap + 0x2a0), "0x7fffec000000=2.0");
  // Copied out of its position: the heap whose pages reveal it.
  EXPECT_EQ(found(m, ((kA1 + 0x5b90) >> 12) ^ (kA1 + 0xb70), kHeap + 0x400), "0x7ffff0000000=1.0");
  // Nothing of the threads' heaps (past arena 1's accessible bytes is nothing of it).
  EXPECT_EQ(found(m, 0x421, kHeap + 0x2a0), "");
  EXPECT_EQ(found(m, kA1 + 0x21000, kHeap + 0x2a0), "");
  EXPECT_EQ(found(m, kHeap + 0x2a0, kHeap + 0x2c0), "");
}

TEST(ReadArenaHeaps, AForgedListNamesNothing) {
  FakeMemory m = process();
  m.words[kA1b] = kA2 + 0x30;  // arena 1's newest heap claims arena 2
  EXPECT_EQ(found(m, kA1 + 0x40, kA1 + 0xb90), "");
  m = process();
  m.words[kA1b + 8] = kA2;  // its prev chain ends in another arena's heap
  EXPECT_EQ(found(m, kA1 + 0x40, kA1 + 0xb90), "");
  m = process();
  m.words[kA1 + 0x30 + kNext] = kA1 + 0x30;  // a list that never comes back
  EXPECT_EQ(found(m, kA1 + 0x40, kA1 + 0xb90), "");
  m = process();
  m.words.erase(kA2 + 0x30 + kTop);  // unreadable: arena 2 names nothing, arena 1 still does
  EXPECT_EQ(found(m, kA2 + 0x40, kA1 + 0xb90), "0x7ffff0000000=1.0");
}

}  // namespace
}  // namespace heaptwin
