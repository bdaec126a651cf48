// OffsetMap against std::map: the same random inserts, erases and lookups, at sizes that keep
// one run and at sizes that split runs and merge them again.
#include "oracle/offset_map.h"

#include <gtest/gtest.h>

#include <iterator>
#include <map>
#include <random>

namespace heaptwin {
namespace {

// Every query OffsetMap answers, checked against the std::map it must equal.
void expect_same(const OffsetMap<uint64_t>& m, const std::map<uint64_t, uint64_t>& ref,
                 uint64_t key) {
  ASSERT_EQ(m.size(), ref.size());
  const uint64_t* v = m.find(key);
  auto it = ref.find(key);
  ASSERT_EQ(v != nullptr, it != ref.end()) << "key " << key;
  if (v) {
    EXPECT_EQ(*v, it->second);
  }
  const auto a = m.around(key);
  auto up = ref.lower_bound(key);
  if (up == ref.end()) {
    EXPECT_EQ(a.at_or_above, nullptr) << "key " << key;
  } else {
    ASSERT_NE(a.at_or_above, nullptr) << "key " << key;
    EXPECT_EQ(a.at_or_above->key, up->first);
    EXPECT_EQ(a.at_or_above->value, up->second);
  }
  if (up == ref.begin()) {
    EXPECT_EQ(a.below, nullptr) << "key " << key;
  } else {
    ASSERT_NE(a.below, nullptr) << "key " << key;
    EXPECT_EQ(a.below->key, std::prev(up)->first);
  }
}

void random_walk(size_t max_size, uint64_t key_space, uint64_t seed) {
  std::mt19937_64 rng(seed);
  OffsetMap<uint64_t> m;
  std::map<uint64_t, uint64_t> ref;
  for (int step = 0; step < 60000; ++step) {
    const uint64_t key = (rng() % key_space) * 16;
    const bool grow = ref.size() < max_size && rng() % 2 == 0;
    if (grow && !ref.count(key)) {
      const uint64_t value = rng();
      EXPECT_EQ(m.insert_or_assign(key, value), value);
      ref[key] = value;
    } else if (grow) {
      const uint64_t value = rng();
      EXPECT_EQ(m.insert_or_assign(key, value), value);
      ref[key] = value;
    } else if (rng() % 4 == 0) {
      // insert_at where around() says the key goes, when it is absent.
      const auto near = m.around(key);
      if (!ref.count(key)) {
        const uint64_t value = rng();
        EXPECT_EQ(m.insert_at(near, key, value), value);
        ref[key] = value;
      }
    } else {
      EXPECT_EQ(m.erase(key), ref.erase(key) == 1);
    }
    expect_same(m, ref, (rng() % key_space) * 16);
    expect_same(m, ref, key);
    if (::testing::Test::HasFatalFailure()) return;
  }
  std::vector<uint64_t> keys;
  m.for_each([&keys](uint64_t k, uint64_t) { keys.push_back(k); });
  std::vector<uint64_t> want;
  for (const auto& [k, v] : ref) want.push_back(k);
  EXPECT_EQ(keys, want);
}

TEST(OffsetMapTest, SmallMapsAsOneRun) { random_walk(40, 100, 1); }

TEST(OffsetMapTest, LargeMapsSplitAndMergeRuns) { random_walk(3000, 6000, 2); }

TEST(OffsetMapTest, GrowsThenEmptiesCompletely) {
  OffsetMap<uint64_t> m;
  std::map<uint64_t, uint64_t> ref;
  for (uint64_t k = 0; k < 1000; ++k) {
    m.insert_or_assign(k * 32, k);
    ref[k * 32] = k;
  }
  expect_same(m, ref, 500 * 32 + 16);
  for (uint64_t k = 0; k < 1000; k += 2) {
    ASSERT_TRUE(m.erase(k * 32));
    ref.erase(k * 32);
  }
  expect_same(m, ref, 31 * 32);
  for (uint64_t k = 1; k < 1000; k += 2) {
    ASSERT_TRUE(m.erase(k * 32));
    ref.erase(k * 32);
  }
  EXPECT_TRUE(m.empty());
  expect_same(m, ref, 64);
  m.insert_or_assign(48, 7);
  EXPECT_EQ(*m.find(48), 7u);
}

TEST(OffsetMapTest, ClearKeepsWorking) {
  OffsetMap<uint64_t> m;
  EXPECT_EQ(m.find(16), nullptr);  // before anything was inserted
  EXPECT_FALSE(m.erase(16));
  EXPECT_EQ(m.around(16).below, nullptr);
  for (uint64_t k = 0; k < 500; ++k) m.insert_or_assign(k * 16, k);
  m.clear();
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(m.find(16), nullptr);
  m.insert_or_assign(16, 1);
  EXPECT_EQ(m.around(32).below->key, 16u);
  EXPECT_EQ(m.around(32).at_or_above, nullptr);
}

}  // namespace
}  // namespace heaptwin
