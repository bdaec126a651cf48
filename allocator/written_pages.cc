#include "allocator/written_pages.h"

#include <cstdlib>
#include <cstring>
#include <new>

namespace heaptwin::alloc {

namespace {
constexpr uint64_t kLinesPerPage = WrittenPages::kPage / WrittenPages::kLine;
static_assert(kLinesPerPage == 64, "a page's marks are one word");

uint64_t* zeroed_words(uint64_t n) {
  void* p = std::calloc(n ? n : 1, sizeof(uint64_t));
  if (p == nullptr) throw std::bad_alloc();
  return static_cast<uint64_t*>(p);
}

// Bits [a, b) of a word, 0 <= a < b <= 64.
uint64_t bits(uint64_t a, uint64_t b) {
  const uint64_t upper = b == 64 ? ~uint64_t{0} : (uint64_t{1} << b) - 1;
  return upper & ~((uint64_t{1} << a) - 1);
}
}  // namespace

void WrittenPages::Free::operator()(uint64_t* p) const { std::free(p); }

void WrittenPages::init(uint64_t lo, uint64_t bytes) {
  lo_ = lo;
  pages_ = bytes / kPage;
  lines_.reset(zeroed_words(pages_));
  page_bits_.reset(zeroed_words((pages_ + 63) / 64));
}

void WrittenPages::mark_range(uint64_t addr, uint64_t n) {
  if (n == 0) return;
  uint64_t end = addr + n;
  if (end < addr) end = ~uint64_t{0};
  if (end <= lo_ || addr >= hi()) return;
  const uint64_t first = addr < lo_ ? 0 : (addr - lo_) / kLine;
  const uint64_t last = ((end > hi() ? hi() : end) - lo_ + kLine - 1) / kLine;  // exclusive
  for (uint64_t line = first; line < last;) {
    const uint64_t page = line / kLinesPerPage;
    const uint64_t stop = (page + 1) * kLinesPerPage < last ? (page + 1) * kLinesPerPage : last;
    lines_[page] |= bits(line % kLinesPerPage, stop - page * kLinesPerPage);
    page_bits_[page / 64] |= uint64_t{1} << (page % 64);
    line = stop;
  }
}

bool WrittenPages::marked(uint64_t addr) const {
  if (addr < lo_ || addr >= hi()) return false;
  const uint64_t line = (addr - lo_) / kLine;
  return (lines_[line / kLinesPerPage] >> (line % kLinesPerPage)) & 1;
}

template <typename Fn>
void WrittenPages::take_pages(uint64_t from, uint64_t to, Fn fn) {
  if (to <= lo_ || from >= hi() || to <= from) return;
  uint64_t p = from < lo_ ? 0 : (from - lo_) / kPage;
  const uint64_t end = ((to > hi() ? hi() : to) - lo_) / kPage;
  while (p < end) {
    const uint64_t word = page_bits_[p / 64] >> (p % 64);
    if (word == 0) {
      p = (p / 64 + 1) * 64;  // the rest of this word is unmarked
      continue;
    }
    p += static_cast<uint64_t>(__builtin_ctzll(word));
    if (p >= end) break;
    fn(p, lines_[p]);
    lines_[p] = 0;
    page_bits_[p / 64] &= ~(uint64_t{1} << (p % 64));
    ++p;
  }
}

void WrittenPages::clear(uint64_t from, uint64_t to) {
  // Runs of marked lines, joined across pages, one memset each.
  uint64_t run_lo = 0, run_hi = 0;
  auto flush = [&] {
    if (run_hi > run_lo) std::memset(reinterpret_cast<void*>(run_lo), 0, run_hi - run_lo);
    run_lo = run_hi = 0;
  };
  take_pages(from, to, [&](uint64_t page, uint64_t marks) {
    const uint64_t base = lo_ + page * kPage;
    while (marks != 0) {
      const uint64_t a = static_cast<uint64_t>(__builtin_ctzll(marks));
      const uint64_t rest = ~marks & ~bits(0, a);  // unmarked lines from a on
      const uint64_t b = rest == 0 ? 64 : static_cast<uint64_t>(__builtin_ctzll(rest));
      marks &= ~bits(a, b);
      const uint64_t lo = base + a * kLine, hi = base + b * kLine;
      if (lo != run_hi) flush();
      if (run_hi == 0) run_lo = lo;
      run_hi = hi;
    }
  });
  flush();
}

void WrittenPages::forget(uint64_t from, uint64_t to) {
  take_pages(from, to, [](uint64_t, uint64_t) {});
}

}  // namespace heaptwin::alloc
