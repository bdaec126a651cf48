// OffsetTable against std::map: random inserts, erases and lookups (the erase that shifts entries
// back is where open addressing goes wrong), through growth and many clears.
#include "oracle/model/offset_table.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace heaptwin::model {
namespace {

void expect_same(OffsetTable<uint64_t>& t, const std::map<uint64_t, uint64_t>& ref, uint64_t key) {
  ASSERT_EQ(t.size(), ref.size());
  const uint64_t* v = t.find(key);
  auto it = ref.find(key);
  ASSERT_EQ(v != nullptr, it != ref.end()) << "key " << key;
  if (v) {
    EXPECT_EQ(*v, it->second) << "key " << key;
  }
}

void random_walk(size_t max_size, uint64_t key_space, int programs, uint64_t seed) {
  std::mt19937_64 rng(seed);
  OffsetTable<uint64_t> t;
  for (int program = 0; program < programs; ++program) {
    std::map<uint64_t, uint64_t> ref;
    t.clear();
    for (int step = 0; step < 5000; ++step) {
      const uint64_t key = (rng() % key_space) * 16;
      if (ref.size() < max_size && rng() % 2 == 0) {
        const uint64_t value = rng();
        EXPECT_EQ(t.insert_or_assign(key, value), value);
        ref[key] = value;
      } else {
        EXPECT_EQ(t.erase(key), ref.erase(key) == 1) << "key " << key;
      }
      expect_same(t, ref, key);
      expect_same(t, ref, (rng() % key_space) * 16);
      if (::testing::Test::HasFatalFailure()) return;
    }
    for (const auto& [k, v] : ref) expect_same(t, ref, k);
  }
}

TEST(OffsetTableTest, SmallTablesFullOfCollisions) { random_walk(31, 64, 20, 1); }

TEST(OffsetTableTest, GrowsAndStaysRightAfterManyErases) { random_walk(3000, 5000, 3, 2); }

TEST(OffsetTableTest, ClearForgetsEverything) {
  OffsetTable<uint64_t> t;
  EXPECT_EQ(t.find(16), nullptr);
  EXPECT_FALSE(t.erase(16));
  for (uint64_t k = 0; k < 100; ++k) t.insert_or_assign(k * 16, k);
  t.clear();
  EXPECT_EQ(t.size(), 0u);
  for (uint64_t k = 0; k < 100; ++k) EXPECT_EQ(t.find(k * 16), nullptr);
  t.insert_or_assign(32, 5);
  EXPECT_EQ(*t.find(32), 5u);
}

}  // namespace
}  // namespace heaptwin::model
