// WrittenPages: which 64-byte lines of a span may hold bytes other than zero, and the clearing
// that SimulatedMemory relies on to hand out zeroed pages without zeroing the whole heap.
#include "allocator/written_pages.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstdint>
#include <cstring>

namespace heaptwin::alloc {
namespace {

constexpr uint64_t kPage = WrittenPages::kPage;
constexpr uint64_t kLine = WrittenPages::kLine;
constexpr uint64_t kPages = 200;  // more than three words of marks

// A real span of memory, so that clear() has pages to zero.
class WrittenPagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    void* p =
        mmap(nullptr, kPages * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(p, MAP_FAILED);
    lo_ = reinterpret_cast<uint64_t>(p);
    pages_.init(lo_, kPages * kPage);
  }
  void TearDown() override { munmap(reinterpret_cast<void*>(lo_), kPages * kPage); }

  uint64_t page(uint64_t i) const { return lo_ + i * kPage; }
  void fill(uint64_t i, uint8_t byte) {
    std::memset(reinterpret_cast<void*>(page(i)), byte, kPage);
  }
  bool zero(uint64_t i) const { return zero_bytes(page(i), kPage); }
  static bool zero_bytes(uint64_t at, uint64_t n) {
    const auto* b = reinterpret_cast<const uint8_t*>(at);
    for (uint64_t k = 0; k < n; ++k) {
      if (b[k] != 0) return false;
    }
    return true;
  }
  static uint8_t byte(uint64_t at) { return *reinterpret_cast<const uint8_t*>(at); }

  uint64_t lo_ = 0;
  WrittenPages pages_;
};

TEST_F(WrittenPagesTest, MarksEveryPageARangeTouches) {
  pages_.mark(page(3) + kPage - 8, 16);  // the last 8 bytes of page 3, the first 8 of page 4
  EXPECT_FALSE(pages_.marked(page(2)));
  EXPECT_TRUE(pages_.marked(page(3) + kPage - 1));
  EXPECT_TRUE(pages_.marked(page(4)));
  EXPECT_FALSE(pages_.marked(page(4) + 100)) << "a line, not the page";
  EXPECT_FALSE(pages_.marked(page(5)));
  pages_.mark(page(7), 0);  // nothing written
  EXPECT_FALSE(pages_.marked(page(7)));
}

TEST_F(WrittenPagesTest, ClearZeroesOnlyMarkedPagesAndForgetsThem) {
  for (uint64_t i = 0; i < 10; ++i) fill(i, 0xab);
  pages_.mark(page(2), 3 * kPage);  // pages 2, 3, 4
  pages_.mark(page(8), 1);
  pages_.clear(page(0), page(10));
  EXPECT_FALSE(zero(1)) << "an unmarked page is left alone";
  for (uint64_t i : {2, 3, 4}) EXPECT_TRUE(zero(i)) << "page " << i;
  EXPECT_TRUE(zero_bytes(page(8), kLine)) << "the marked line of page 8";
  EXPECT_EQ(byte(page(8) + kLine), 0xab) << "its unmarked lines are left alone";
  EXPECT_FALSE(zero(5));
  for (uint64_t i = 0; i < 10; ++i) EXPECT_FALSE(pages_.marked(page(i))) << "page " << i;
}

TEST_F(WrittenPagesTest, ClearStopsAtTheRangeEnd) {
  fill(10, 1);
  fill(11, 1);
  pages_.mark(page(10), 2 * kPage);
  pages_.clear(page(0), page(11));  // page 11 is outside [from, to)
  EXPECT_TRUE(zero(10));
  EXPECT_FALSE(zero(11));
  EXPECT_TRUE(pages_.marked(page(11)));
}

TEST_F(WrittenPagesTest, RunsAcrossWordsOfMarks) {
  // Pages 60 .. 140 span three 64-bit words, two of them only partly.
  for (uint64_t i = 59; i <= 141; ++i) fill(i, 7);
  pages_.mark(page(60), 81 * kPage);
  EXPECT_TRUE(pages_.marked(page(64)));
  EXPECT_TRUE(pages_.marked(page(127)));
  EXPECT_TRUE(pages_.marked(page(140)));
  EXPECT_FALSE(pages_.marked(page(141)));
  pages_.clear(page(0), page(kPages));
  EXPECT_FALSE(zero(59));
  for (uint64_t i = 60; i <= 140; ++i) ASSERT_TRUE(zero(i)) << "page " << i;
  EXPECT_FALSE(zero(141));
}

TEST_F(WrittenPagesTest, ForgetDropsMarksWithoutWriting) {
  fill(20, 9);
  pages_.mark(page(20), kPage);
  pages_.forget(page(20), page(21));
  EXPECT_FALSE(pages_.marked(page(20)));
  EXPECT_FALSE(zero(20)) << "forget leaves the bytes (the caller replaced the page)";
  pages_.clear(page(0), page(kPages));
  EXPECT_FALSE(zero(20));
}

// The grain is a 64-byte line: a word stored is one line, a range its lines and no more, and
// clear() zeroes those lines only (whole pages were most of the judge's memset).
TEST_F(WrittenPagesTest, MarksAndClearsLinesNotPages) {
  fill(30, 0x11);
  fill(31, 0x11);
  fill(32, 0x11);
  pages_.mark(page(30) + 3 * kLine + 8, 8);      // one word: line 3
  pages_.mark(page(30) + 10 * kLine - 4, 8);     // straddles lines 9 and 10
  pages_.mark(page(31) - kLine / 2, 2 * kLine);  // page 30's last line, page 31's first two
  pages_.mark(page(32) + 5 * kLine, 3 * kLine);  // lines 5, 6, 7 exactly
  EXPECT_TRUE(pages_.marked(page(30) + 3 * kLine));
  EXPECT_FALSE(pages_.marked(page(30) + 2 * kLine));
  EXPECT_FALSE(pages_.marked(page(30) + 4 * kLine));
  EXPECT_EQ(pages_.page_marks(page(30)),
            (uint64_t{1} << 3) | (uint64_t{3} << 9) | (uint64_t{1} << 63));
  EXPECT_EQ(pages_.page_marks(page(31)), uint64_t{3});
  EXPECT_EQ(pages_.page_marks(page(32)), uint64_t{7} << 5);
  pages_.clear(page(0), page(kPages));
  for (uint64_t p = 30; p <= 32; ++p) {
    const uint64_t marks = p == 30   ? (uint64_t{1} << 3) | (uint64_t{3} << 9) | (uint64_t{1} << 63)
                           : p == 31 ? uint64_t{3}
                                     : uint64_t{7} << 5;
    for (uint64_t i = 0; i < kPage / kLine; ++i) {
      const uint64_t at = page(p) + i * kLine;
      if ((marks >> i) & 1) {
        EXPECT_TRUE(zero_bytes(at, kLine)) << "page " << p << " line " << i;
      } else {
        EXPECT_EQ(byte(at), 0x11) << "page " << p << " line " << i;
        EXPECT_EQ(byte(at + kLine - 1), 0x11) << "page " << p << " line " << i;
      }
    }
    EXPECT_EQ(pages_.page_marks(page(p)), 0u);
  }
}

// mark_word (the write log's words): the word's line, cleared like any other mark; a word that
// straddles two lines or lies outside the span is left to mark().
TEST_F(WrittenPagesTest, MarkWordMarksItsLineForClear) {
  fill(40, 0x22);
  ASSERT_TRUE(pages_.mark_word(page(40) + 5 * kLine + 16));
  EXPECT_FALSE(pages_.mark_word(page(40) + 6 * kLine - 4)) << "straddles lines 5 and 6";
  EXPECT_FALSE(pages_.mark_word(lo_ - 8)) << "outside the span";
  EXPECT_EQ(pages_.page_marks(page(40)), uint64_t{1} << 5);
  pages_.clear(page(40), page(41));
  EXPECT_TRUE(zero_bytes(page(40) + 5 * kLine, kLine));
  EXPECT_EQ(byte(page(40) + 4 * kLine), 0x22);
  EXPECT_EQ(byte(page(40) + 6 * kLine), 0x22);
  EXPECT_EQ(pages_.page_marks(page(40)), 0u);
}

TEST_F(WrittenPagesTest, RangesOutsideTheSpanAreIgnored) {
  pages_.mark(lo_ - 2 * kPage, kPage);  // wholly below
  pages_.mark(page(kPages), kPage);     // wholly above
  pages_.mark(~uint64_t{0} - 10, 100);  // wraps the address space
  EXPECT_FALSE(pages_.marked(lo_ - 2 * kPage));
  EXPECT_FALSE(pages_.marked(page(kPages)));
  pages_.mark(lo_ - kPage, 2 * kPage);  // straddles the span's start: its first page only
  EXPECT_TRUE(pages_.marked(page(0)));
  EXPECT_FALSE(pages_.marked(page(1)));
  pages_.mark(page(kPages - 1), 3 * kPage);  // straddles its end
  EXPECT_TRUE(pages_.marked(page(kPages - 1)));
}

}  // namespace
}  // namespace heaptwin::alloc
