#include "program/minimize.h"

#include <gtest/gtest.h>

#include "program/heap_format.h"
#include "program/parse_for_tests.h"

namespace heaptwin {
namespace {

int count(const Program& p, OpKind kind) {
  int n = 0;
  for (const Op& op : p.ops) n += op.kind == kind;
  return n;
}

TEST(Minimize, KeepsOnlyWhatTheFailureNeeds) {
  // The "failure": some slot is freed twice. Everything else is noise.
  Program p = parse_script(
      "a = malloc 0x100\nb = malloc 0x2000\nc = calloc 3 0x40\nfree b\nd = malloc 0x30\n"
      "free a\ne = realloc c 0x500\nfree a\nf = malloc 0x18\n");
  auto double_free = [](const Program& q) {
    std::vector<int> frees(q.slot_count(), 0);
    for (const Op& op : q.ops) {
      if (op.allocates()) frees[op.dst] = 0;
      if (op.kind == OpKind::kFree && op.src != kNullSlot && ++frees[op.src] == 2) return true;
    }
    return false;
  };
  MinimizeStats stats;
  Program m = minimize(p, double_free, &stats);
  EXPECT_EQ(print_heap(m), "a = malloc 0x0\nfree a\nfree a\n");
  EXPECT_EQ(stats.ops_before, 9u);
  EXPECT_EQ(stats.ops_after, 3u);
  EXPECT_GT(stats.tries, 0u);
}

TEST(Minimize, NeverOffersAProgramThatNamesAMissingSlot) {
  Program p = parse_script("a = malloc 0x10\nb = malloc 0x20\nwrite8 b 0 a+8\nfree b\n");
  MinimizeStats stats;
  minimize(
      p,
      [](const Program& q) {
        EXPECT_TRUE(is_well_formed(q)) << print_heap(q);
        return count(q, OpKind::kWrite8) == 1;
      },
      &stats);
}

TEST(Minimize, ShrinksSizesToTheSmallestThatStillFails) {
  Program p = parse_script("a = malloc 0x12345\n");
  MinimizeStats stats;
  Program m = minimize(
      p, [](const Program& q) { return q.ops.size() == 1 && q.ops[0].a >= 0x400; }, &stats);
  EXPECT_EQ(m.ops[0].a, 0x400u);
}

TEST(Minimize, CompactSlotsDropsUnassignedNames) {
  Program p = parse_script("a = malloc 1\nb = malloc 2\nfree b\n");
  p.ops.erase(p.ops.begin());
  Program c = compact_slots(p);
  ASSERT_EQ(c.slot_count(), 2u);
  EXPECT_EQ(c.slot_names[0], "null");
  EXPECT_EQ(c.slot_names[1], "b");
  EXPECT_EQ(print_heap(c), "b = malloc 0x2\nfree b\n");
}

}  // namespace
}  // namespace heaptwin
