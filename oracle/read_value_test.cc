// Naming what a read8 read (oracle/read_value.h) and following the mappings a Program holds
// (oracle/read_namer.h), over made-up places of one process.
#include "oracle/read_value.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "oracle/made_up_places.h"
#include "oracle/read_namer.h"
#include "oracle/trace.h"

namespace heaptwin {
namespace {

constexpr uint64_t kArena = kMainArena;

// The main heap and arena, mp_ and global_max_fast.
ReadPlaces places() {
  ReadPlaces p = main_places();
  p.mp = kArena - 0x920;
  p.mp_bytes = 0x88;
  p.global_max_fast = kArena + 0x6840;
  return p;
}

TEST(ReadValue, NamesAddressesByWhatTheyPointInto) {
  const ReadPlaces p = places();
  const uint64_t at = kHeap + 0x2a0;
  EXPECT_EQ(text(p, kArena + 0x60, at), "main_arena+0x60");  // an unsorted chunk's fd
  EXPECT_EQ(text(p, kHeap + 0x10, at), "heap+0x10");         // tcache key before 2.34
  EXPECT_EQ(text(p, kHeap - 0x10, at), "heap-0x10");
  EXPECT_EQ(text(p, p.mp + 0x10, at), "mp_+0x10");
  EXPECT_EQ(text(p, p.global_max_fast, at), "global_max_fast+0x0");
  EXPECT_EQ(text(p, 0x421, at), "0x421");
  EXPECT_EQ(text(p, 0, at), "0x0");
  EXPECT_EQ(text(p, 0x9e3779b97f4a7c15ull, at), "0x9e3779b97f4a7c15");  // the pinned key
  // Past main_arena's end is not main_arena.
  EXPECT_EQ(text(p, kArena + 0x898, at), "0x7ffff7e1a518");
}

TEST(ReadValue, RevealsSafeLinkedPointersFromNamedPositions) {
  const ReadPlaces p = places();
  const uint64_t at = kHeap + 0x2c0;
  // A tcache entry's next pointing at the chunk below it, and the list's last entry.
  EXPECT_EQ(text(p, (at >> 12) ^ (kHeap + 0x2a0), at),
            "heap+0x2a0 (safe-linked: protect(heap+0x2c0, heap+0x2a0))");
  EXPECT_EQ(text(p, at >> 12, at), "0x0 (safe-linked: protect(heap+0x2c0, 0x0))");
  // Forged entries: protect(b, 0x4141), protect(b, 0x10).
  EXPECT_EQ(text(p, (at >> 12) ^ 0x4141, at), "0x4141 (safe-linked: protect(heap+0x2c0, 0x4141))");
  EXPECT_EQ(text(p, (at >> 12) ^ 0x10, at), "0x10 (safe-linked: protect(heap+0x2c0, 0x10))");
  // From a position no name covers, nothing can be revealed: the number stays.
  const uint64_t nowhere = 0x100000000000;
  EXPECT_EQ(text(p, nowhere >> 12, nowhere), "0x100000000");
  // A size is no safe-linked pointer.
  EXPECT_EQ(text(p, 0x31, at), "0x31");
  // Forged below NULL (protect(b, NULL - 0xa8), found by ./heaptwin fuzz --target attack): the
  // target is a number near 2^64, every side's the same, but the raw value carries the page.
  EXPECT_EQ(text(p, (at >> 12) ^ ~uint64_t{0xa7}, at),
            "0xffffffffffffff58 (safe-linked: protect(heap+0x2c0, 0xffffffffffffff58))");
  // A number near 2^64 itself (a write8 of -8) reveals to none: it stays a number.
  EXPECT_EQ(text(p, ~uint64_t{7}, at), "0xfffffffffffffff8");
}

TEST(ReadValue, SafeLinkedValuesCompareAsTheirTargets) {
  // Two processes with heaps elsewhere read the same list: the raw values differ, the outcomes
  // do not.
  ReadPlaces other = places();
  other.heap_base = 0x7f0001000000;
  other.heap_end = other.heap_base + 0x21000;
  const uint64_t at_here = kHeap + 0x2c0, at_there = other.heap_base + 0x2c0;
  const ReadPlaces mine = places();
  const Outcome a = Outcome::read(read_value(&mine, (at_here >> 12) ^ (kHeap + 0x2a0), at_here));
  const Outcome b =
      Outcome::read(read_value(&other, (at_there >> 12) ^ (other.heap_base + 0x2a0), at_there));
  EXPECT_EQ(a, b);
  EXPECT_EQ(to_string(a), "read heap+0x2a0 (safe-linked: protect(heap+0x2c0, heap+0x2a0))");
  // A different target is a different outcome.
  const Outcome c =
      Outcome::read(read_value(&other, (at_there >> 12) ^ (other.heap_base + 0x2b0), at_there));
  EXPECT_NE(a, c);
}

// A safe-linked value's raw form can land within 4 GiB of the heap base (here: a heap base whose
// page number moves the target by less than 4 GiB): it is still revealed, since only the heap
// itself, not its window, counts before revealing.
TEST(ReadValue, ARawFormNearTheHeapIsStillRevealed) {
  ReadPlaces p = places();
  p.heap_base = 0x701315000000;
  p.heap_end = p.heap_base + 0x21000;
  const uint64_t at = p.heap_base + 0x8c0, target = p.heap_base + 0x7b0;
  const uint64_t raw = (at >> 12) ^ target;
  ASSERT_LT(raw - p.heap_base + READ_HEAP_WINDOW, 2 * READ_HEAP_WINDOW) << "within the window";
  EXPECT_EQ(text(p, raw, at), "heap+0x7b0 (safe-linked: protect(heap+0x8c0, heap+0x7b0))");
  // A forged pointer near the heap, not revealing to anything, keeps its window name.
  EXPECT_EQ(text(p, p.heap_base - 0x10, at), "heap-0x10");
  EXPECT_EQ(text(p, p.heap_end + 0x100, at), "heap+0x21100");
}

// The closed-form search for a copied safe-linked value's page equals the linear scan it
// replaced, on random ranges of every scale (and finds nothing where the scan finds nothing).
TEST(ReadValue, LeastXorInEqualsTheScan) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 4000; ++round) {
    const int scale = 4 + static_cast<int>(rng() % 10);
    const uint64_t lo = rng() >> (64 - 2 * scale), hi = lo + rng() % (uint64_t{1} << scale);
    const uint64_t dlo = rng() >> (64 - 2 * scale), dhi = dlo + rng() % (uint64_t{1} << scale);
    const uint64_t c = rng() >> (64 - 2 * scale);
    uint64_t want = ~uint64_t{0};
    for (uint64_t x = lo; x < hi; ++x) {
      if ((x ^ c) >= dlo && (x ^ c) < dhi) {
        want = x;
        break;
      }
    }
    ASSERT_EQ(read_least_xor_in(lo, hi, c, dlo, dhi), want)
        << std::hex << lo << " " << hi << " " << c << " " << dlo << " " << dhi;
  }
}

// A heap that has grown to 4 GiB: a safe-linked pointer written at heap+0x5000 and copied to
// heap+0x29705d0 is named as in a heap of 64 MiB (the lowest page that reveals it into the heap),
// not as a number, each process's own (the page scan stopped at 256 MiB).
TEST(ReadValue, CopiedSafeLinkedValuesRevealInHeapsOfGigabytes) {
  ReadPlaces small = places(), big = places();
  small.heap_end = kHeap + (uint64_t{64} << 20);
  big.heap_end = kHeap + (uint64_t{4} << 30) + 0x1000;
  const uint64_t raw = ((kHeap + 0x5000) >> 12) ^ (kHeap + 0x1770);
  const std::string named = text(small, raw, kHeap + 0x29705d0);
  EXPECT_NE(named.find("safe-linked"), std::string::npos) << named;
  EXPECT_EQ(text(big, raw, kHeap + 0x29705d0), named);
}

TEST(ReadValue, CutsTextAtTheBuffer) {
  const ReadPlaces p = places();
  const ReadValue v = read_value(&p, kArena + 0x60, kHeap);
  char out[8];
  EXPECT_EQ(read_value_text(&v, out, sizeof out), std::string("main_arena+0x60").size());
  EXPECT_EQ(std::string(out), "main_ar");
}

TEST(ReadNamer, FollowsTheMappingsOfMmappedChunksTheProgramHolds) {
  Program program;
  const SlotId m = program.intern("m"), v = program.intern("v");
  Op alloc;
  alloc.kind = OpKind::kMalloc;
  alloc.dst = m;
  alloc.a = 0x20000;
  Op read;
  read.kind = OpKind::kRead8;
  read.dst = v;
  read.src = m;
  Op release;
  release.kind = OpKind::kFree;
  release.src = m;
  program.ops = {alloc, read, release, read};

  const uint64_t user = 0x7ffff7fb0010;  // a mapping's first chunk: its header at the page start
  ReadNamer namer;
  namer.start(program);
  namer.after(alloc, Outcome::mmapped(0x21000, user & 0xfff), user);
  const Outcome inside = namer.read(places(), user + 0x20, kHeap + 0x2a0, 0);
  EXPECT_EQ(to_string(inside), "read mapping+0x30");
  namer.after(read, inside, 0);
  namer.after(release, Outcome::done(), 0);
  // Given back: its addresses are numbers again.
  EXPECT_EQ(to_string(namer.read(places(), user + 0x20, kHeap + 0x2a0, 0)), "read 0x7ffff7fb0030");
}

// The tcache struct, mmapped (M_MMAP_THRESHOLD below its size): before 2.34 every cached
// chunk's key is its address, and a read of it names the struct's mapping on every side
// (found by ./heaptwin fuzz --glibc 2.31). In the heap it is the heap's.
TEST(ReadNamer, NamesTheTcacheStructsMappingOutsideTheHeap) {
  Program program;
  program.intern("v");
  ReadNamer namer;
  namer.start(program);
  const uint64_t tcache = 0x7ffff7ffb010;
  EXPECT_EQ(to_string(namer.read(places(), tcache, kHeap + 0x2b8, tcache)), "read mapping+0x10");
  EXPECT_EQ(to_string(namer.read(places(), tcache, kHeap + 0x2b8, 0)), "read 0x7ffff7ffb010");
  EXPECT_EQ(to_string(namer.read(places(), kHeap + 0x10, kHeap + 0x2b8, kHeap + 0x10)),
            "read heap+0x10");
}

TEST(ReadNamer, MemalignLeadersStayInTheMappingsFirstPage) {
  // memalign 0x1000 of an mmapped chunk: the user pointer is a page in, the chunk's header
  // 0x10 below it, the leader (prev_size) 0xff0 long.
  const ReadMapping m = read_mapping_of_chunk(0x7ffff7fb1000, 0x22000);
  EXPECT_EQ(m.start, 0x7ffff7fb0000u);
  EXPECT_EQ(m.length, 0x22000u);
}

}  // namespace
}  // namespace heaptwin
