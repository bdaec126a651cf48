#include "program/slot_names.h"

#include <gtest/gtest.h>

#include <string>

namespace heaptwin {
namespace {

TEST(SlotNames, NullIsSlotZero) {
  SlotNames names;
  EXPECT_EQ(names.size(), 1u);
  EXPECT_EQ(names[kNullSlot], "null");
  EXPECT_EQ(names.find("null"), 0);
  EXPECT_EQ(names.intern("null"), kNullSlot);
}

TEST(SlotNames, InternNumbersNamesInOrderAndFindsThemAgain) {
  SlotNames names;
  EXPECT_EQ(names.intern("a"), 1u);
  EXPECT_EQ(names.intern("bb"), 2u);
  EXPECT_EQ(names.intern("a"), 1u);
  EXPECT_EQ(names.find("bb"), 2);
  EXPECT_EQ(names.find("b"), -1);
  EXPECT_EQ(names.find(""), -1);
  EXPECT_EQ(names[1], "a");
  EXPECT_EQ(names[2], "bb");
  EXPECT_EQ(names.size(), 3u);
}

// Past many index growths every name still maps to its own id, and names that share prefixes
// or hash alike are told apart.
TEST(SlotNames, AMillionNamesStayDistinctAndCompact) {
  constexpr uint32_t kCount = 1000000;
  SlotNames names;
  for (uint32_t i = 1; i <= kCount; ++i) ASSERT_EQ(names.intern("a" + std::to_string(i)), i);
  ASSERT_EQ(names.size(), kCount + 1);
  for (uint32_t i = 1; i <= kCount; i += 997) {
    std::string n = "a" + std::to_string(i);
    EXPECT_EQ(names.find(n), static_cast<int64_t>(i));
    EXPECT_EQ(names[i], n);
  }
  EXPECT_EQ(names.find("a0"), -1);
  EXPECT_EQ(names.find("a1000001"), -1);
  // Names "a1".."a1000000" are 6.9 bytes on average: with the end offsets and the index, well
  // under the 32 bytes a std::string alone takes per slot.
  EXPECT_LT(names.memory_bytes() / kCount, 32u) << names.memory_bytes();
}

TEST(SlotNames, EqualityIsSameNamesInSameOrder) {
  SlotNames x, y;
  x.intern("a");
  x.intern("b");
  y.intern("b");
  y.intern("a");
  EXPECT_NE(x, y);
  SlotNames z;
  z.intern("a");
  z.intern("b");
  EXPECT_EQ(x, z);
}

}  // namespace
}  // namespace heaptwin
