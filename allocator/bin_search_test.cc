// The binmap search (bin_search.cc): when neither the request's own bin nor the unsorted scan
// serves it, the smallest chunk of the next non-empty bin above is split, the binmap skipping
// empty blocks of 32 bins; a bin found empty has its (stale) bit cleared. Expected values are
// real glibc 2.36's, recorded in tests/golden/concepts/binmap_search.heap and
// binmap_stale_bit.heap, tests/golden/binmap_scan.heap and
// tests/golden/aborts/assert_binmap_victim_size.heap (ops numbered as in their .expected).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "allocator/bins.h"
#include "allocator/test_support.h"

namespace heaptwin::alloc {
namespace {

using Offsets = std::vector<int64_t>;

TEST(BinSearchTest, TheSearchStartsAtTheBinAfterTheRequestsOwn) {
  // binmap_search.heap: a (0x540) sits in the request's own bin, [0x540, 0x580), but is too
  // small for 0x570; the search starts one bin up (malloc.c:4252, ++idx) and finds b (0x600).
  TestTwin t;
  int64_t a = t.malloc_guarded(0x538);
  int64_t b = t.malloc_guarded(0x5f8);
  t.free_each({a, b});
  t.malloc(0x1000);  // op 6 sorts both
  EXPECT_EQ(t.bin_chunks(largebin_index(0x570)), Offsets{0x290});
  EXPECT_EQ(t.bin_chunks(largebin_index(0x600)), Offsets{0x7f0});

  EXPECT_EQ(t.malloc(0x568), b);  // op 7
  EXPECT_EQ(b, 0x800);
  EXPECT_EQ(t.bin_chunks(largebin_index(0x570)), Offsets{0x290});
  EXPECT_EQ(t.bin_chunks(largebin_index(0x600)), Offsets{});
  // The 0x90 remainder goes to the unsorted bin; a large request sets no last_remainder.
  EXPECT_EQ(t.bin_chunks(1), Offsets{0xd60});
  EXPECT_EQ(t.read8(0xd68), 0x91u);
  EXPECT_EQ(t.av().last_remainder, 0u);
}

TEST(BinSearchTest, TheSearchSkipsEmptyBlocksOfTheBinmap) {
  // tests/golden/binmap_scan.heap: a request in block 2 (bin 72) finds the chunk of bin 107,
  // in block 3; then a small request (block 0) finds the remainder, filed into bin 104, and
  // being small, keeps the rest as last_remainder.
  TestTwin t;
  t.free_at(t.malloc_guarded(0x2000));
  EXPECT_EQ(largebin_index(0x610), 72u);
  EXPECT_EQ(t.malloc(0x600), 0x2a0);  // op 3
  EXPECT_EQ(t.bin_chunks(1), Offsets{0x8a0});
  EXPECT_EQ(t.binmap(3), 0x800u);     // bin 107 (0x2010), marked when sorted, now empty: stale
  EXPECT_EQ(t.malloc(0x100), 0x8b0);  // op 4
  EXPECT_EQ(t.off(t.av().last_remainder), 0x9b0);
  EXPECT_EQ(t.binmap(3), 0x900u);  // bin 104 too (0x1a00): filed, then emptied by the search
}

TEST(BinSearchTest, ABinFoundEmptyHasItsBinmapBitCleared) {
  // binmap_stale_bit.heap: the small-bin hit of op 25 empties bin 0x90 but leaves its bit
  // (malloc.c:3901 clears nothing); op 26's search finds the bin empty and clears the bit
  // (malloc.c:4288), then takes top.
  TestTwin t;
  const int64_t s = t.free_past_full_tcache(1, 0x88)[0];
  t.malloc(0x500);  // op 17: s filed into small bin 0x90
  EXPECT_EQ(t.binmap(0), 0x200u);
  t.drain_tcache(0x88);
  EXPECT_EQ(t.malloc(0x88), s);  // op 25
  EXPECT_EQ(t.bin_chunks(smallbin_index(0x90)), Offsets{});
  EXPECT_EQ(t.binmap(0), 0x200u);
  EXPECT_EQ(t.malloc(0x18), 0xc50);  // op 26
  EXPECT_EQ(t.binmap(0), 0u);
}

TEST(BinSearchTest, TheChunkFoundMustBeBigEnough) {
  // tests/golden/aborts/assert_binmap_victim_size.heap: a small-bin chunk's size shrunk to 0x20;
  // the search for 0x30 reaches its bin and asserts (malloc.c:4298).
  TestTwin t;
  const auto a = t.malloc_guarded_each(8, 0x88);
  t.free_each(a);
  t.malloc(0x600);
  t.write8(a[7] - 8, 0x21);
  const std::string message = t.abort_message([&] { t.malloc(0x28); });
  EXPECT_EQ(message,
            "Fatal glibc error: malloc assertion failure in _int_malloc: (unsigned long) (size) >= "
            "(unsigned long) (nb)");
}

}  // namespace
}  // namespace heaptwin::alloc
