// The trace writer's live-pointer table and slot pool, at sizes the old fixed table (4M entries)
// and the .heap format's old 4,095 slots did not allow.
#include "allocator/preload/pointer_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace heaptwin::preload {
namespace {

// Heap-like addresses: 16-byte aligned and dense, plus mmapped-chunk-like ones that all share
// the page offset 0x10 (the low bits alone would pile them into a few buckets).
std::vector<uint64_t> addresses(size_t n) {
  std::vector<uint64_t> v;
  for (size_t i = 0; i < n; ++i) {
    v.push_back(i % 4 == 3 ? 0x7ffff0000010 - (i << 12) : 0x555555559000 + i * 0x20);
  }
  return v;
}

TEST(PointerTable, GrowsFromNothingAndFindsEveryPointer) {
  PointerTable table;
  EXPECT_FALSE(table.lookup(0x1000, nullptr, false));
  const std::vector<uint64_t> addrs = addresses(300000);
  for (size_t i = 0; i < addrs.size(); ++i) ASSERT_TRUE(table.insert(addrs[i], i + 1));
  EXPECT_EQ(table.live(), addrs.size());
  EXPECT_GE(table.capacity(), 2 * addrs.size());  // at most half full
  EXPECT_LE(table.capacity(), 4 * addrs.size());  // and no bigger than that needs
  for (size_t i = 0; i < addrs.size(); ++i) {
    uint64_t slot = 0;
    ASSERT_TRUE(table.lookup(addrs[i], &slot, false)) << i;
    ASSERT_EQ(slot, i + 1);
  }
  EXPECT_FALSE(table.lookup(0x555555559008, nullptr, false));
}

// Deletion shifts entries back into the hole: after any order of removals, every pointer still
// present is found (a table that left holes in its probe runs would lose some).
TEST(PointerTable, RemovalsInAnyOrderLoseNothing) {
  PointerTable table;
  std::vector<uint64_t> addrs = addresses(200000);
  for (size_t i = 0; i < addrs.size(); ++i) ASSERT_TRUE(table.insert(addrs[i], addrs[i] ^ 1));
  std::mt19937_64 rng(14);
  std::shuffle(addrs.begin(), addrs.end(), rng);
  const size_t half = addrs.size() / 2;
  for (size_t i = 0; i < half; ++i) {
    uint64_t slot = 0;
    ASSERT_TRUE(table.lookup(addrs[i], &slot, true)) << i;
    ASSERT_EQ(slot, addrs[i] ^ 1);
  }
  EXPECT_EQ(table.live(), addrs.size() - half);
  for (size_t i = 0; i < addrs.size(); ++i) {
    uint64_t slot = 0;
    ASSERT_EQ(table.lookup(addrs[i], &slot, false), i >= half) << i;
    if (i >= half) {
      ASSERT_EQ(slot, addrs[i] ^ 1);
    }
  }
}

TEST(SlotPool, ReusesTheLastFreedSlotFirstAndGrows) {
  SlotPool pool;
  EXPECT_EQ(pool.take(), 1u);
  EXPECT_EQ(pool.take(), 2u);
  EXPECT_EQ(pool.take(), 3u);
  ASSERT_TRUE(pool.release(2));
  ASSERT_TRUE(pool.release(1));
  EXPECT_EQ(pool.take(), 1u);
  EXPECT_EQ(pool.take(), 2u);
  EXPECT_EQ(pool.take(), 4u);
  // A hundred thousand slots freed at once: the stack outgrows its first mapping.
  std::vector<uint64_t> taken;
  for (int i = 0; i < 100000; ++i) taken.push_back(pool.take());
  for (uint64_t s : taken) ASSERT_TRUE(pool.release(s));
  for (auto it = taken.rbegin(); it != taken.rend(); ++it) ASSERT_EQ(pool.take(), *it);
  EXPECT_EQ(pool.slots_used(), 100004u);
}

}  // namespace
}  // namespace heaptwin::preload
