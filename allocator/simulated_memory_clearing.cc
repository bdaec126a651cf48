// The clearing check (HEAPTWIN_CHECK_CLEARING, docs/judging.md): after a Program, every resident
// byte of simulated memory that no mark covers reads as zero, as in a fresh process. Apart from
// the memory itself: it runs only when asked, and reads every resident page.
#include <sys/mman.h>

#include <algorithm>
#include <vector>

#include "allocator/simulated_memory.h"

namespace heaptwin::alloc {

namespace {
constexpr uint64_t kPage = 4096;
}  // namespace

bool SimulatedMemory::unmarked_pages_read_as_zeros(uint64_t* where) const {
  if (eager()) return true;  // with writes unknown, nothing is promised until the reset
  std::vector<unsigned char> resident;
  for (const WrittenPages* span : {&brk_pages_, &mmap_pages_}) {
    // Only what was ever opened can hold anything.
    const uint64_t lo = span == &brk_pages_ ? span->lo() : std::max(span->lo(), mmap_open_low_);
    const uint64_t hi = span == &brk_pages_ ? std::min(span->hi(), brk_open_end_) : span->hi();
    if (hi <= lo) continue;
    resident.resize((hi - lo) / kPage);
    if (::mincore(reinterpret_cast<void*>(lo), hi - lo, resident.data()) != 0) return false;
    for (uint64_t p = lo; p < hi; p += kPage) {
      if (!(resident[(p - lo) / kPage] & 1)) continue;
      if (!unmarked_lines_read_as_zeros(*span, p, where)) return false;
    }
  }
  // The data block (always resident): reset() clears only its marked lines.
  for (uint64_t p = data_; p < data_ + options_.data_bytes; p += kPage) {
    if (!unmarked_lines_read_as_zeros(data_pages_, p, where)) return false;
  }
  return true;
}

bool SimulatedMemory::unmarked_lines_read_as_zeros(const WrittenPages& span, uint64_t page,
                                                   uint64_t* where) {
  constexpr uint64_t kLine = WrittenPages::kLine;
  const uint64_t marks = span.page_marks(page);
  for (uint64_t i = 0; i < kPage / kLine; ++i) {
    if ((marks >> i) & 1) continue;
    const auto* words = reinterpret_cast<const uint64_t*>(page + i * kLine);
    for (uint64_t w = 0; w < kLine / 8; ++w) {
      if (words[w] == 0) continue;
      if (where) *where = page + i * kLine + w * 8;
      return false;
    }
  }
  return true;
}

}  // namespace heaptwin::alloc
