// Each block rule, broken on purpose over a plain buffer standing in for an allocator's memory.
#include "oracle/block_invariants.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "program/hex.h"

namespace heaptwin {
namespace {

class BlockInvariantsTest : public ::testing::Test {
 protected:
  BlockInvariantsTest()
      : memory_(0x10000 + 16),
        base_((reinterpret_cast<uint64_t>(memory_.data()) + 15) & ~uint64_t{15}),
        blocks_([this](uint64_t a, uint64_t n) { return a >= base_ && a + n <= base_ + 0x10000; }) {
  }

  uint64_t at(uint64_t offset) const { return base_ + offset; }
  unsigned char* byte(uint64_t offset) { return reinterpret_cast<unsigned char*>(at(offset)); }
  static std::string rule(const std::string& finding) {
    return finding.substr(0, finding.find(':'));
  }
  std::string hex_at(uint64_t offset) const { return hex(at(offset)); }
  // The pattern of op `op` at byte `offset` of a block, as block_invariants.cc documents it.
  static unsigned char pattern(size_t op, uint64_t offset) {
    return static_cast<unsigned char>((offset * 0x9d) ^ (op * 0x3b) ^ 0x5a ^ (offset >> 8));
  }

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
  EXPECT_EQ(rule(blocks_.on_allocated(1, at(0x1010), 0x10, 0x1000, 0x18, false)),
            "block.misaligned");
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
  EXPECT_EQ(rule(blocks_.on_allocated(0, at(0x200), 0x40, 16, 0x48, true)),
            "block.calloc_not_zero");
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

// The pattern is written eight bytes at a time where it can: every sampled byte must still be
// the documented function of op and offset, at the ragged ends of odd sizes too, and nothing
// outside the sampled ranges may be touched.
TEST_F(BlockInvariantsTest, ThePatternIsTheDocumentedOneByteForByte) {
  for (uint64_t n : {uint64_t{1}, uint64_t{7}, uint64_t{0x3b7}, uint64_t{0x400}, uint64_t{0x401},
                     uint64_t{0x1235}, uint64_t{0x2fff}}) {
    blocks_.reset();
    std::memset(byte(0x1000), 0xee, 0x4000);
    const size_t op = 300 + n;
    ASSERT_EQ(blocks_.on_allocated(op, at(0x1000), n, 16, n + 8, false), "");
    for (uint64_t off = 0; off < 0x4000; ++off) {
      const bool sampled = n <= 0x400 ? off < n : off < 0x200 || (off >= n - 0x200 && off < n);
      ASSERT_EQ(*byte(0x1000 + off), sampled ? pattern(op, off) : 0xee)
          << "n " << n << " offset " << off;
    }
    EXPECT_EQ(blocks_.before_free(at(0x1000)), "");
  }
}

// The findings word for word (commands and reports quote them).
TEST_F(BlockInvariantsTest, TheMessagesNameTheByteTheBlockAndTheOp) {
  ASSERT_EQ(blocks_.on_allocated(5, at(0x100), 0x43, 16, 0x48, false), "");
  *byte(0x100 + 0x3a) ^= 0x10;
  EXPECT_EQ(blocks_.before_free(at(0x100)),
            "block.contents_changed: byte 0x3a of the block at " + hex_at(0x100) +
                " (written by op 5) changed before free: " + hex(pattern(5, 0x3a) ^ 0x10) +
                " instead of " + hex(pattern(5, 0x3a)) + ".");
  std::memset(byte(0x200), 0, 0x40);
  *byte(0x200 + 0x21) = 0x80;
  EXPECT_EQ(
      blocks_.on_allocated(6, at(0x200), 0x40, 16, 0x48, true),
      "block.calloc_not_zero: byte 0x21 of the calloc block at " + hex_at(0x200) + " is 0x80.");
  ASSERT_EQ(blocks_.on_allocated(7, at(0x300), 0x40, 16, 0x48, false), "");
  EXPECT_EQ(blocks_.on_allocated(8, at(0x2f0), 0x20, 16, 0x28, false),
            "block.overlap: the new block [" + hex_at(0x2f0) + ", " + hex_at(0x310) +
                ") overlaps the live block at " + hex_at(0x300) + " (op 7).");
  EXPECT_EQ(blocks_.on_allocated(9, at(0x330), 0x20, 16, 0x28, false),
            "block.overlap: the new block at " + hex_at(0x330) + " lies inside the live block [" +
                hex_at(0x300) + ", " + hex_at(0x340) + ") (op 7).");
  ASSERT_EQ(blocks_.before_realloc(at(0x300)), "");
  std::memcpy(byte(0x800), byte(0x300), 0x40);
  *byte(0x800 + 0x2f) ^= 1;
  EXPECT_EQ(blocks_.after_realloc(10, at(0x300), at(0x800), 0x80, 0x88),
            "block.realloc_lost_contents: byte 0x2f of the block realloc moved from " +
                hex_at(0x300) + " to " + hex_at(0x800) + " is " + hex(pattern(7, 0x2f) ^ 1) +
                " instead of " + hex(pattern(7, 0x2f)) + ".");
  EXPECT_EQ(blocks_.on_allocated(11, at(0x908), 0x10, 16, 0x18, false),
            "block.misaligned: " + hex_at(0x908) + " is not a multiple of 0x10.");
  EXPECT_EQ(blocks_.on_allocated(12, at(0x900), 0x20, 16, 0x18, false),
            "block.too_small: the block at " + hex_at(0x900) +
                " offers 0x18 usable bytes for a request of 0x20.");
  EXPECT_EQ(blocks_.on_allocated(13, at(0xfff0), 0x20, 16, 0x28, false),
            "block.not_owned: [" + hex_at(0xfff0) + ", " + hex_at(0x10010) +
                ") is not in the heap or a mapping.");
}

// Changes in the last sampled bytes of a big block of odd size (its tail range starts at an
// offset that is no multiple of 8) are seen, byte by byte.
TEST_F(BlockInvariantsTest, EveryTailByteOfAnOddBigBlockIsChecked) {
  const uint64_t n = 0x1235;
  for (uint64_t off : {n - 0x200, n - 0x1ff, n - 0x1f9, n - 9, n - 1}) {
    blocks_.reset();
    ASSERT_EQ(blocks_.on_allocated(1, at(0x1000), n, 16, n + 8, false), "");
    *byte(0x1000 + off) ^= 4;
    const std::string found = blocks_.before_free(at(0x1000));
    EXPECT_NE(found.find("byte " + hex(off) + " "), std::string::npos) << found;
  }
}

}  // namespace
}  // namespace heaptwin
