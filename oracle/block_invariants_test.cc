// Each block rule, broken on purpose over a plain buffer standing in for an allocator's memory.
#include "oracle/block_invariants.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace heaptwin {
namespace {

class BlockInvariantsTest : public ::testing::Test {
 protected:
  BlockInvariantsTest()
      : memory_(0x10000 + 16),
        base_((reinterpret_cast<uint64_t>(memory_.data()) + 15) & ~uint64_t{15}),
        blocks_([this](uint64_t a, uint64_t n) { return a >= base_ && a + n <= base_ + 0x10000; }) {}

  uint64_t at(uint64_t offset) const { return base_ + offset; }
  unsigned char* byte(uint64_t offset) { return reinterpret_cast<unsigned char*>(at(offset)); }
  static std::string rule(const std::string& finding) { return finding.substr(0, finding.find(':')); }

  std::vector<unsigned char> memory_;
  uint64_t base_;
  BlockInvariants blocks_;
};

TEST_F(BlockInvariantsTest, SoundBlocksPassAndKeepTheirContents) {
  EXPECT_EQ(blocks_.on_allocated(0, at(0x10), 0x18, 16, 0x18, false), "");
  EXPECT_EQ(blocks_.on_allocated(1, at(0x30), 0x2000, 16, 0x2008, false), "");
  EXPECT_EQ(blocks_.live(), 2u);
  EXPECT_EQ(blocks_.before_free(at(0x10)), "");
  EXPECT_EQ(blocks_.before_free(at(0x30)), "");
  EXPECT_EQ(blocks_.live(), 0u);
}

TEST_F(BlockInvariantsTest, Misaligned) {
  EXPECT_EQ(rule(blocks_.on_allocated(0, at(0x18), 0x10, 16, 0x18, false)), "block.misaligned");
  EXPECT_EQ(rule(blocks_.on_allocated(1, at(0x1010), 0x10, 0x1000, 0x18, false)), "block.misaligned");
}

TEST_F(BlockInvariantsTest, TooSmall) {
  EXPECT_EQ(rule(blocks_.on_allocated(0, at(0x10), 0x20, 16, 0x18, false)), "block.too_small");
}

TEST_F(BlockInvariantsTest, NotOwned) {
  EXPECT_EQ(rule(blocks_.on_allocated(0, at(0xfff0), 0x20, 16, 0x28, false)), "block.not_owned");
}

TEST_F(BlockInvariantsTest, OverlapEitherWay) {
  ASSERT_EQ(blocks_.on_allocated(0, at(0x100), 0x40, 16, 0x48, false), "");
  EXPECT_EQ(rule(blocks_.on_allocated(1, at(0xe0), 0x30, 16, 0x38, false)), "block.overlap");
  EXPECT_EQ(rule(blocks_.on_allocated(2, at(0x120), 0x10, 16, 0x18, false)), "block.overlap");
  EXPECT_EQ(blocks_.on_allocated(3, at(0x140), 0x10, 16, 0x18, false), "");  // just after
}

TEST_F(BlockInvariantsTest, CallocNotZero) {
  std::memset(byte(0x200), 0, 0x40);
  *byte(0x233) = 1;
  EXPECT_EQ(rule(blocks_.on_allocated(0, at(0x200), 0x40, 16, 0x48, true)), "block.calloc_not_zero");
  std::memset(byte(0x400), 0, 0x40);
  EXPECT_EQ(blocks_.on_allocated(1, at(0x400), 0x40, 16, 0x48, true), "");
}

TEST_F(BlockInvariantsTest, ContentsChangedWhileLive) {
  ASSERT_EQ(blocks_.on_allocated(0, at(0x100), 0x40, 16, 0x48, false), "");
  *byte(0x120) ^= 0xff;  // the allocator scribbled into a live block
  EXPECT_EQ(rule(blocks_.before_free(at(0x100))), "block.contents_changed");
}

TEST_F(BlockInvariantsTest, ChangesAtTheEndOfABigBlockAreSeen) {
  ASSERT_EQ(blocks_.on_allocated(0, at(0x1000), 0x4000, 16, 0x4008, false), "");
  *byte(0x1000 + 0x3fff) ^= 1;
  EXPECT_EQ(rule(blocks_.before_free(at(0x1000))), "block.contents_changed");
}

TEST_F(BlockInvariantsTest, ReallocCarriesTheContentsOver) {
  ASSERT_EQ(blocks_.on_allocated(0, at(0x100), 0x40, 16, 0x48, false), "");
  ASSERT_EQ(blocks_.before_realloc(at(0x100)), "");
  std::memcpy(byte(0x800), byte(0x100), 0x40);  // a correct move
  EXPECT_EQ(blocks_.after_realloc(1, at(0x100), at(0x800), 0x80, 0x88), "");
  ASSERT_EQ(blocks_.before_realloc(at(0x800)), "");
  std::memcpy(byte(0xa00), byte(0x800), 0x20);  // a move that loses bytes 0x20..0x40
  EXPECT_EQ(rule(blocks_.after_realloc(2, at(0x800), at(0xa00), 0x80, 0x88)),
            "block.realloc_lost_contents");
}

TEST_F(BlockInvariantsTest, FailedReallocKeepsTheOldBlockLive) {
  ASSERT_EQ(blocks_.on_allocated(0, at(0x100), 0x40, 16, 0x48, false), "");
  ASSERT_EQ(blocks_.before_realloc(at(0x100)), "");
  EXPECT_EQ(blocks_.after_realloc(1, at(0x100), 0, 0x7fffffffffffffff, 0), "");
  EXPECT_EQ(blocks_.live(), 1u);
  EXPECT_EQ(blocks_.before_free(at(0x100)), "");
}

TEST_F(BlockInvariantsTest, WithoutContentsNothingIsWrittenButOverlapsAreSeen) {
  blocks_.reset(/*contents=*/false);
  std::memset(byte(0x100), 0xee, 0x40);
  ASSERT_EQ(blocks_.on_allocated(0, at(0x100), 0x40, 16, 0x48, false), "");
  EXPECT_EQ(*byte(0x100), 0xee);  // untouched
  *byte(0x120) ^= 0xff;
  EXPECT_EQ(rule(blocks_.on_allocated(1, at(0x120), 0x10, 16, 0x18, false)), "block.overlap");
  EXPECT_EQ(blocks_.before_free(at(0x100)), "");  // contents are not checked
}

TEST_F(BlockInvariantsTest, ADoubleFreeStopsTheChecks) {
  ASSERT_EQ(blocks_.on_allocated(0, at(0x100), 0x40, 16, 0x48, false), "");
  ASSERT_EQ(blocks_.before_free(at(0x100)), "");
  EXPECT_EQ(blocks_.before_free(at(0x100)), "");
  EXPECT_FALSE(blocks_.active());
  // Nothing is checked any more, not even an overlap.
  EXPECT_EQ(blocks_.on_allocated(1, at(0x18), 0x40, 16, 0x8, false), "");
}

}  // namespace
}  // namespace heaptwin
