#include "allocator/simulated_memory.h"

#include "allocator/write_log.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>

namespace heaptwin::alloc {
namespace {

TEST(SimulatedMemoryTest, BreakGrowsShrinksAndFails) {
  SimulatedMemoryOptions o;
  o.brk_capacity = 0x100000;
  SimulatedMemory m(o);
  ASSERT_TRUE(m.ok());
  const uint64_t base = m.heap_base();
  EXPECT_EQ(base & 0xffffff, 0u);                    // 16 MiB-aligned, like the glibc runner's heap
  EXPECT_NE(base & ((uint64_t{64} << 20) - 1), 0u);  // not 64 MiB-aligned
  EXPECT_EQ(m.sbrk(0), base);
  EXPECT_FALSE(m.owns(base, 8));
  EXPECT_EQ(m.sbrk(0x21000), base);
  EXPECT_TRUE(m.owns(base + 0x20ff8, 8));
  EXPECT_FALSE(m.owns(base + 0x20ffc, 8));
  EXPECT_EQ(m.sbrk(0x100000), Memory::kFailure);  // past capacity: nothing moves
  EXPECT_EQ(m.sbrk(0), base + 0x21000);
  std::memset(reinterpret_cast<void*>(base + 0x20000), 0xab, 0x1000);
  EXPECT_EQ(m.sbrk(-0x1000), base + 0x21000);
  EXPECT_FALSE(m.owns(base + 0x20000, 1));
  m.sbrk(0x1000);
  EXPECT_EQ(*reinterpret_cast<unsigned char*>(base + 0x20000), 0);  // fresh pages are zero
  EXPECT_EQ(m.sbrk(-0x30000), Memory::kFailure);                    // below the start
}

// Released memory is kept and cleared lazily: what a shrink leaves above the break must read as
// zeros when the break grows over it again, across big ranges (cleared page by page where
// touched), several shrinks, and a reset.
TEST(SimulatedMemoryTest, MemoryReleasedAndTakenAgainReadsAsZeros) {
  SimulatedMemory m;
  const uint64_t base = m.heap_base();
  auto scribble = [](uint64_t from, uint64_t len) {
    for (uint64_t at = from; at < from + len; at += 0x3000)
      *reinterpret_cast<uint64_t*>(at) = ~0ull;
  };
  auto all_zero = [](uint64_t from, uint64_t len) {
    for (uint64_t at = from; at + 8 <= from + len; at += 0x1000) {
      if (*reinterpret_cast<uint64_t*>(at) != 0) return false;
    }
    return true;
  };
  m.sbrk(0x200000);
  scribble(base, 0x200000);
  m.sbrk(-0x180000);  // keeps 0x80000
  scribble(base, 0x80000);
  m.sbrk(-0x40000);  // keeps 0x40000; the dirty span above now reaches 0x200000
  m.sbrk(0x10000);
  EXPECT_TRUE(all_zero(base + 0x40000, 0x10000));
  m.sbrk(0x1b0000);
  EXPECT_TRUE(all_zero(base + 0x50000, 0x1b0000));
  scribble(base, 0x200000);
  m.reset();
  m.sbrk(0x300000);
  EXPECT_TRUE(all_zero(base, 0x300000));
  // malloc_trim's MADV_DONTNEED: the range reads as zeros at once.
  scribble(base, 0x300000);
  ASSERT_TRUE(m.discard(base + 0x1000, 0x2ff000));
  EXPECT_TRUE(all_zero(base + 0x1000, 0x2ff000));
  EXPECT_EQ(*reinterpret_cast<uint64_t*>(base), ~0ull);
  // A mapping's pages are kept too: the next mapping at its place reads as zeros.
  const uint64_t a = m.mmap(0x100000);
  scribble(a, 0x100000);
  ASSERT_TRUE(m.munmap(a, 0x100000));
  const uint64_t b = m.mmap(0x100000);
  EXPECT_EQ(a, b);
  EXPECT_TRUE(all_zero(b, 0x100000));
}

// With tracked writes, released memory is cleared where it was written, when owned again; a
// write reported as unknown makes the next releases and reset clear whatever is resident.
TEST(SimulatedMemoryTest, TrackedWritesAreClearedWhenTheMemoryIsOwnedAgain) {
  SimulatedMemory m;
  m.track_writes();
  const uint64_t base = m.heap_base();
  auto write = [&](uint64_t at, bool report) {
    *reinterpret_cast<uint64_t*>(at) = ~0ull;
    if (report) m.note_written(at, 8);
  };
  auto zero = [](uint64_t at) { return *reinterpret_cast<uint64_t*>(at) == 0; };
  m.sbrk(0x100000);
  for (uint64_t off = 0; off < 0x100000; off += 0x7000) write(base + off, true);
  m.sbrk(-0x80000);
  m.sbrk(0x80000);
  for (uint64_t off = 0x80000 + 0x7000 - 0x80000 % 0x7000; off < 0x100000; off += 0x7000) {
    EXPECT_TRUE(zero(base + off)) << off;
  }
  m.reset();
  m.sbrk(0x100000);
  for (uint64_t off = 0; off < 0x100000; off += 0x7000) EXPECT_TRUE(zero(base + off)) << off;
  // A mapping reused at the same address, and malloc_trim's discard.
  const uint64_t a = m.mmap(0x40000);
  write(a + 0x10, true);
  write(a + 0x3f000, true);
  ASSERT_TRUE(m.discard(a + 0x3f000, 0x1000));
  EXPECT_TRUE(zero(a + 0x3f000));
  EXPECT_FALSE(zero(a + 0x10));
  ASSERT_TRUE(m.munmap(a, 0x40000));
  ASSERT_EQ(m.mmap(0x40000), a);
  EXPECT_TRUE(zero(a + 0x10));
  // Unreported writes: the next reset clears everything resident.
  write(base + 0x5008, false);
  write(a + 0x2000, false);
  m.note_unknown_writes();
  m.reset();
  m.sbrk(0x10000);
  EXPECT_TRUE(zero(base + 0x5008));
  ASSERT_EQ(m.mmap(0x40000), a);
  EXPECT_TRUE(zero(a + 0x2000));
}

// Marks are 64-byte lines: calloc's zero() clears the marked lines of its range (and only its
// range), skips unmarked ones, which read as zeros; reset() clears the marked lines of the data
// block and leaves its other bytes alone (they are zero unless an unnoted write put them there,
// which unmarked_pages_read_as_zeros reports).
TEST(SimulatedMemoryTest, ZeroAndResetClearMarkedLines) {
  SimulatedMemory m;
  m.track_writes();
  const uint64_t base = m.heap_base();
  ASSERT_NE(m.sbrk(0x4000), SimulatedMemory::kFailure);
  auto byte = [](uint64_t at) { return *reinterpret_cast<const uint8_t*>(at); };
  std::memset(reinterpret_cast<void*>(base + 0x1000), 0x5a, 0x200);  // lines 0 .. 7 of a page
  m.note_written(base + 0x1000, 0x200);
  uint64_t where = 0;
  EXPECT_TRUE(m.unmarked_pages_read_as_zeros(&where));
  // A range starting and ending inside marked lines.
  const WriteLog nothing_pending;
  m.zero(base + 0x1010, 0x1e0, &nothing_pending);
  for (uint64_t i = 0x10; i < 0x1f0; ++i) ASSERT_EQ(byte(base + 0x1000 + i), 0) << i;
  EXPECT_EQ(byte(base + 0x100f), 0x5a) << "below the range";
  EXPECT_EQ(byte(base + 0x11f0), 0x5a) << "above the range";
  // A write the memory was not told of is found by the check, to the byte.
  *reinterpret_cast<uint8_t*>(base + 0x1203) = 1;
  EXPECT_FALSE(m.unmarked_pages_read_as_zeros(&where));
  EXPECT_EQ(where, base + 0x1200);
  *reinterpret_cast<uint8_t*>(base + 0x1203) = 0;
  // The data block: noted lines are cleared by reset, and an unnoted byte is reported.
  const uint64_t data = reinterpret_cast<uint64_t>(m.data());
  std::memset(reinterpret_cast<void*>(data + 0x2040), 0x77, 0x48);
  m.note_written(data + 0x2040, 0x48);
  EXPECT_TRUE(m.unmarked_pages_read_as_zeros(&where));
  *reinterpret_cast<uint8_t*>(data + 0x3000) = 9;
  EXPECT_FALSE(m.unmarked_pages_read_as_zeros(&where));
  EXPECT_EQ(where, data + 0x3000);
  *reinterpret_cast<uint8_t*>(data + 0x3000) = 0;
  m.reset();
  for (uint64_t i = 0; i < 0x48; ++i) ASSERT_EQ(byte(data + 0x2040 + i), 0) << i;
  EXPECT_TRUE(m.unmarked_pages_read_as_zeros(&where));
}

TEST(SimulatedMemoryTest, MappingsAndPartialUnmap) {
  SimulatedMemory m;
  uint64_t a = m.mmap(0x3000);
  ASSERT_NE(a, Memory::kFailure);
  EXPECT_TRUE(m.owns(a, 0x3000));
  EXPECT_FALSE(m.owns(a + 0x3000, 1));  // guard page
  EXPECT_TRUE(m.munmap(a + 0x1000, 0x1000));
  EXPECT_TRUE(m.owns(a, 0x1000));
  EXPECT_FALSE(m.owns(a + 0x1000, 1));
  EXPECT_TRUE(m.owns(a + 0x2000, 0x1000));
  EXPECT_FALSE(m.munmap(a + 1, 0x1000));        // unaligned: EINVAL
  EXPECT_TRUE(m.munmap(a + 0x100000, 0x1000));  // nothing there: still fine, as on Linux
  EXPECT_FALSE(m.owns_heap_or_mapping(reinterpret_cast<uint64_t>(m.data()), 8));
  EXPECT_TRUE(m.owns(reinterpret_cast<uint64_t>(m.data()), 8));
}

// A fuzz finding (twin_vs_model): a mapping grown in place was kept as two regions, so the next
// mremap of the whole range found no single mapping and failed; Linux extends the one VMA.
TEST(SimulatedMemoryTest, MremapGrowsInPlaceAndShrinksAgainAsOneMapping) {
  SimulatedMemory m;
  uint64_t a = m.mmap(0xbd000);
  ASSERT_NE(a, Memory::kFailure);
  EXPECT_EQ(m.mremap(a, 0xbd000, 0x1000), a);  // shrinking stays
  EXPECT_EQ(m.mremap(a, 0x1000, 0xbd000), a);  // the pages after it are free: in place
  EXPECT_TRUE(m.owns(a, 0xbd000));
  EXPECT_EQ(m.mremap(a, 0xbd000, 0x1000), a);  // one mapping again
  EXPECT_FALSE(m.owns(a + 0x1000, 1));
  uint64_t above = m.mmap(0xbc000);  // the highest gap that fits: right after a
  EXPECT_EQ(above, a + 0x1000);
  uint64_t moved = m.mremap(a, 0x1000, 0x3000);  // now in the way: a moves
  EXPECT_NE(moved, a);
  EXPECT_TRUE(m.owns(moved, 0x3000));
}

size_t kernel_mappings() {
  std::FILE* f = std::fopen("/proc/self/maps", "r");
  size_t lines = 0;
  for (int c; f && (c = std::fgetc(f)) != EOF;) lines += c == '\n';
  if (f) std::fclose(f);
  return lines;
}

// A mapping that cannot grow in place moves with its contents; the kernel mappings the moves
// split off merge back once unmapped (each process may hold only vm.max_map_count of them).
TEST(SimulatedMemoryTest, MremapMovesContentsAndLeavesNoKernelMappingsBehind) {
  SimulatedMemory m;
  ASSERT_TRUE(m.ok());
  const size_t before = kernel_mappings();
  // Eight buffers growing side by side, as a realloc-heavy program's, round after round.
  for (int round = 0; round < 300; ++round) {
    uint64_t at[8], size[8];
    for (int k = 0; k < 8; ++k) {
      size[k] = 0x20000;
      at[k] = m.mmap(size[k]);
      ASSERT_NE(at[k], SimulatedMemory::kFailure);
      std::memset(reinterpret_cast<void*>(at[k]), 0x5a, size[k]);
    }
    for (int step = 0; step < 3; ++step) {
      for (int k = 0; k < 8; ++k) {
        uint64_t b = m.mremap(at[k], size[k], size[k] * 2);
        ASSERT_NE(b, SimulatedMemory::kFailure);
        ASSERT_TRUE(m.owns(b, size[k] * 2));
        EXPECT_EQ(*reinterpret_cast<unsigned char*>(b + size[k] - 1), 0x5a);
        EXPECT_EQ(*reinterpret_cast<unsigned char*>(b + size[k]), 0);
        std::memset(reinterpret_cast<void*>(b + size[k]), 0x5a, size[k]);
        at[k] = b;
        size[k] *= 2;
      }
    }
    for (int k = 0; k < 8; ++k) ASSERT_TRUE(m.munmap(at[k], size[k]));
  }
  EXPECT_LT(kernel_mappings(), before + 8);  // without merging: +21 here
}

TEST(SimulatedMemoryTest, ResetIsPristineAndInstancesAreIndependent) {
  SimulatedMemory m1, m2;
  uint64_t b1 = m1.heap_base();
  m1.sbrk(0x5000);
  m2.sbrk(0x1000);
  std::memset(reinterpret_cast<void*>(b1), 0x41, 0x5000);
  std::memset(m1.data(), 0x42, 64);
  uint64_t a = m1.mmap(0x1000);
  m1.reset();
  EXPECT_EQ(m1.sbrk(0), b1);
  EXPECT_FALSE(m1.owns(a, 1));
  EXPECT_EQ(*static_cast<unsigned char*>(m1.data()), 0);
  m1.sbrk(0x5000);
  EXPECT_EQ(*reinterpret_cast<unsigned char*>(b1 + 0x4fff), 0);
  EXPECT_EQ(m2.sbrk(0), m2.heap_base() + 0x1000);
}

}  // namespace
}  // namespace heaptwin::alloc

namespace heaptwin::alloc {
namespace {

TEST(SimulatedMemoryTest, MunmapPunchesHolesIntoTheBreakArea) {
  SimulatedMemory m;
  const uint64_t base = m.heap_base();
  m.sbrk(0x5000);
  EXPECT_TRUE(m.munmap(base + 0x1000, 0x1000));
  EXPECT_FALSE(m.owns(base + 0x1800, 8));
  EXPECT_FALSE(m.owns(base, 0x2000));
  EXPECT_TRUE(m.owns(base + 0x2000, 0x3000));
  m.sbrk(-0x4000);  // the break drops below the hole: it is gone
  m.sbrk(0x4000);
  EXPECT_TRUE(m.owns(base, 0x5000));
}

}  // namespace
}  // namespace heaptwin::alloc
