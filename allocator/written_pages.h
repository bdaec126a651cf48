// Which bytes of a span of memory may hold something other than zero: the 64-byte lines a caller
// said it wrote, until they are cleared. SimulatedMemory keeps released pages resident (a page
// fault costs ~10 us in a virtual machine, clearing a page ~0.1 us) and clears, when they are
// handed out again, only the lines a Program really wrote: a Program writes a few headers across
// a heap of hundreds of KiB, and clearing all of it after every Program was most of its cost;
// clearing whole pages where it wrote a header or two was still the judge's largest memset.
// A page's 64 lines are one word of marks; a bit per page says which words are non-zero.
#ifndef HEAPTWIN_ALLOCATOR_WRITTEN_PAGES_H_
#define HEAPTWIN_ALLOCATOR_WRITTEN_PAGES_H_

#include <cstdint>
#include <memory>

namespace heaptwin::alloc {

class WrittenPages {
 public:
  static constexpr uint64_t kPage = 4096;
  static constexpr uint64_t kLine = 64;  // the grain of the marks: kPage / kLine == 64 bits

  // The span [lo, lo + bytes), page-aligned.
  void init(uint64_t lo, uint64_t bytes);
  uint64_t lo() const { return lo_; }
  uint64_t hi() const { return lo_ + pages_ * kPage; }

  // The lines of [addr, addr + n) inside the span may hold bytes now.
  void mark(uint64_t addr, uint64_t n) {
    // Most marks are one word the allocator stored: one line, one bit.
    if (n - 1 < 8 && addr - lo_ < pages_ * kPage && (addr ^ (addr + n - 1)) < kLine) {
      const uint64_t line = (addr - lo_) / kLine;
      lines_[line / 64] |= uint64_t{1} << (line % 64);
      page_bits_[line / 4096] |= uint64_t{1} << (line / 64 % 64);
      return;
    }
    mark_range(addr, n);
  }
  // The word [addr, addr + 8) marked when it lies in one line of the span; false (nothing done)
  // otherwise.
  bool mark_word(uint64_t addr) {
    if (addr - lo_ >= pages_ * kPage || (addr & (kLine - 1)) > kLine - 8) return false;
    const uint64_t line = (addr - lo_) / kLine;
    lines_[line / 64] |= uint64_t{1} << (line % 64);
    page_bits_[line / 4096] |= uint64_t{1} << (line / 64 % 64);
    return true;
  }
  // Zeroes every marked line of the pages of [from, to) inside the span and forgets it.
  void clear(uint64_t from, uint64_t to);
  // Forgets the marks of the pages of [from, to) (replaced or given back: they read as zeros).
  void forget(uint64_t from, uint64_t to);
  // Whether the line holding addr is marked.
  bool marked(uint64_t addr) const;
  // The marks of the page holding addr (bit i: its line i), 0 outside the span. Only a page whose
  // bit says it has marks has any: clear() finds marked lines by those bits, so a line marked
  // without its page's bit would never be cleared, and must count as unmarked.
  uint64_t page_marks(uint64_t addr) const {
    if (addr < lo_ || addr >= hi()) return 0;
    const uint64_t p = (addr - lo_) / kPage;
    return (page_bits_[p / 64] >> (p % 64)) & 1 ? lines_[p] : 0;
  }

 private:
  void mark_range(uint64_t addr, uint64_t n);
  // Calls fn(page, marks) for each page of [from, to) with marks, forgetting them.
  template <typename Fn>
  void take_pages(uint64_t from, uint64_t to, Fn fn);

  struct Free {
    void operator()(uint64_t* p) const;
  };
  uint64_t lo_ = 0, pages_ = 0;
  // Allocated zeroed by the kernel (calloc of a fresh mapping): only the words of pages ever
  // marked are ever touched.
  std::unique_ptr<uint64_t[], Free> lines_;      // a word per page: its marked lines
  std::unique_ptr<uint64_t[], Free> page_bits_;  // a bit per page: its word is not zero
};

}  // namespace heaptwin::alloc

#endif  // HEAPTWIN_ALLOCATOR_WRITTEN_PAGES_H_
