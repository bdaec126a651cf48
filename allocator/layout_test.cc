// Chunk arithmetic and bin indices (x86_64 glibc 2.36).
#include <gtest/gtest.h>

#include "allocator/bins.h"
#include "allocator/chunk.h"
#include "allocator/layout.h"

namespace heaptwin::alloc {
namespace {

TEST(ChunkTest, RequestToChunkSize) {
  EXPECT_EQ(request2size(0), 0x20u);
  EXPECT_EQ(request2size(0x18), 0x20u);
  EXPECT_EQ(request2size(0x19), 0x30u);
  EXPECT_EQ(request2size(0x408), 0x410u);
  EXPECT_EQ(checked_request2size(uint64_t{1} << 63), 0u);  // > PTRDIFF_MAX: ENOMEM
}

TEST(ChunkTest, SafeLinkingIsAnInvolution) {
  const Addr pos = 0x55555555a2c0;
  EXPECT_EQ(protect_ptr(pos, 0), pos >> 12);
  EXPECT_EQ(protect_ptr(pos, protect_ptr(pos, 0x55555555a300)), 0x55555555a300u);
}

TEST(BinsTest, Indices) {
  EXPECT_EQ(fastbin_index(0x20), 0u);
  EXPECT_EQ(fastbin_index(0x80), 6u);
  EXPECT_EQ(fastbin_index(0x100000030), 1u);  // truncated to unsigned int, as glibc does
  EXPECT_EQ(csize2tidx(0x20), 0u);
  EXPECT_EQ(csize2tidx(0x410), 63u);
  EXPECT_EQ(tidx2usize(63), 0x408u);
  EXPECT_EQ(smallbin_index(0x3f0), 63u);
  EXPECT_EQ(largebin_index(0x400), 64u);
  EXPECT_EQ(largebin_index(0xc30), 96u);  // 48 + (0xc30 >> 6)
  EXPECT_EQ(largebin_index(0xc40), 97u);  // 91 + (0xc40 >> 9)
  EXPECT_EQ(largebin_index(uint64_t{1} << 30), 126u);
  EXPECT_EQ(max_fast_for(128), 0x80u);
  EXPECT_EQ(max_fast_for(0), 0x10u);
  EXPECT_EQ(max_fast_for(7), 0x10u);  // anything <= 7 (seen: M_MXFAST 2 gives 0x10)
  EXPECT_EQ(max_fast_for(8), 0x10u);
}

TEST(LayoutTest, Sizes) {
  EXPECT_EQ(sizeof(MallocState), 0x898u);
  EXPECT_EQ(sizeof(MallocPar), 0x88u);
  EXPECT_EQ(sizeof(TcachePerthread), 0x280u);
}

}  // namespace
}  // namespace heaptwin::alloc
