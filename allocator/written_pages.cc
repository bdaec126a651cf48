#include "allocator/written_pages.h"

#include <cstring>

namespace heaptwin::alloc {

void WrittenPages::init(uint64_t lo, uint64_t bytes) {
  lo_ = lo;
  pages_ = bytes / kPage;
  bits_.assign((pages_ + 63) / 64, 0);
}

void WrittenPages::mark(uint64_t addr, uint64_t n) {
  if (n == 0) return;
  uint64_t end = addr + n;
  if (end < addr) end = ~uint64_t{0};
  if (end <= lo_ || addr >= hi()) return;
  const uint64_t first = (addr < lo_ ? 0 : (addr - lo_) / kPage);
  const uint64_t last = ((end > hi() ? hi() : end) - lo_ + kPage - 1) / kPage;  // exclusive
  for (uint64_t p = first; p < last;) {
    // Whole words at once where the run covers them.
    if (p % 64 == 0 && p + 64 <= last) {
      bits_[p / 64] = ~uint64_t{0};
      p += 64;
    } else {
      bits_[p / 64] |= uint64_t{1} << (p % 64);
      ++p;
    }
  }
}

bool WrittenPages::marked(uint64_t addr) const {
  if (addr < lo_ || addr >= hi()) return false;
  const uint64_t p = (addr - lo_) / kPage;
  return (bits_[p / 64] >> (p % 64)) & 1;
}

template <typename Fn>
void WrittenPages::take_runs(uint64_t from, uint64_t to, Fn fn) {
  if (to <= lo_ || from >= hi() || to <= from) return;
  uint64_t p = from < lo_ ? 0 : (from - lo_) / kPage;
  const uint64_t end = ((to > hi() ? hi() : to) - lo_) / kPage;
  while (p < end) {
    uint64_t word = bits_[p / 64] >> (p % 64);
    if (word == 0) {
      p = (p / 64 + 1) * 64;  // the rest of this word is unmarked
      continue;
    }
    p += static_cast<uint64_t>(__builtin_ctzll(word));
    if (p >= end) break;
    uint64_t run_end = p;
    while (run_end < end && ((bits_[run_end / 64] >> (run_end % 64)) & 1)) {
      bits_[run_end / 64] &= ~(uint64_t{1} << (run_end % 64));
      ++run_end;
    }
    fn(p, run_end);
    p = run_end;
  }
}

void WrittenPages::clear(uint64_t from, uint64_t to) {
  take_runs(from, to, [this](uint64_t first, uint64_t end) {
    std::memset(reinterpret_cast<void*>(lo_ + first * kPage), 0, (end - first) * kPage);
  });
}

void WrittenPages::forget(uint64_t from, uint64_t to) {
  take_runs(from, to, [](uint64_t, uint64_t) {});
}

}  // namespace heaptwin::alloc
