// The records --check keeps per chunk: found after the table doubles, kept after free, reset on
// reuse; each distinct stack stored once.
#include "allocator/preload/allocation_sites.h"

#include <gtest/gtest.h>

namespace heaptwin::preload {
namespace {

CallStack stack_of(uint64_t a, uint64_t b) {
  CallStack s;
  s.depth = 2;
  s.pcs[0] = a;
  s.pcs[1] = b;
  return s;
}

TEST(StackDepot, StoresEachStackOnceAndGivesItBack) {
  static StackDepot depot;
  ASSERT_TRUE(depot.start(0));
  const uint32_t one = depot.put(stack_of(0x1000, 0x2000));
  const uint32_t two = depot.put(stack_of(0x1000, 0x2008));
  EXPECT_NE(one, 0u);
  EXPECT_NE(two, one);
  EXPECT_EQ(depot.put(stack_of(0x1000, 0x2000)), one);
  ASSERT_NE(depot.get(two), nullptr);
  EXPECT_EQ(depot.get(two)->pcs[1], 0x2008u);
  EXPECT_EQ(depot.put(CallStack()), 0u);  // no frame: unknown
  EXPECT_EQ(depot.get(0), nullptr);
}

TEST(AllocationSites, KeepsEveryChunkThroughGrowthFreeAndReuse) {
  static AllocationSites sites;
  ASSERT_TRUE(sites.start());
  constexpr uint64_t kBase = 0x555555559000, kChunks = 200000;  // past three doublings
  for (uint64_t i = 0; i < kChunks; ++i)
    sites.allocated(kBase + 32 * i, i + 1, stack_of(0x1000 + i % 5, 0x2000));
  for (uint64_t i = 0; i < kChunks; i += 997) {
    const Site* s = sites.find(kBase + 32 * i);
    ASSERT_NE(s, nullptr) << i;
    EXPECT_EQ(s->alloc_call, i + 1);
    ASSERT_NE(sites.stack(s->alloc_stack), nullptr);
    EXPECT_EQ(sites.stack(s->alloc_stack)->pcs[0], 0x1000 + i % 5);
  }
  EXPECT_EQ(sites.find(kBase + 16), nullptr);

  sites.freed(kBase, 300000, stack_of(0x3000, 0x4000));
  const Site* freed = sites.find(kBase);
  ASSERT_NE(freed, nullptr);
  EXPECT_EQ(freed->alloc_call, 1u);  // kept after free: a double free's report needs it
  EXPECT_EQ(freed->free_call, 300000u);
  EXPECT_EQ(sites.stack(freed->free_stack)->pcs[0], 0x3000u);

  sites.allocated(kBase, 300001, stack_of(0x5000, 0x6000));  // the address handed out again
  EXPECT_EQ(sites.find(kBase)->alloc_call, 300001u);
  EXPECT_EQ(sites.find(kBase)->free_call, 0u);
}

}  // namespace
}  // namespace heaptwin::preload
