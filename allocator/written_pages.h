// Which pages of a span of memory may hold bytes other than zero: the pages a caller said it
// wrote, until they are cleared. SimulatedMemory keeps released pages resident (a page fault
// costs ~10 us in a virtual machine, clearing a page ~0.1 us) and clears, when they are handed
// out again, only the pages a Program really wrote: a Program writes a few headers across a heap
// of hundreds of KiB, and clearing all of it after every Program was most of its cost.
#ifndef HEAPTWIN_ALLOCATOR_WRITTEN_PAGES_H_
#define HEAPTWIN_ALLOCATOR_WRITTEN_PAGES_H_

#include <cstdint>
#include <vector>

namespace heaptwin::alloc {

class WrittenPages {
 public:
  static constexpr uint64_t kPage = 4096;

  // The span [lo, lo + bytes), page-aligned.
  void init(uint64_t lo, uint64_t bytes);
  uint64_t lo() const { return lo_; }
  uint64_t hi() const { return lo_ + pages_ * kPage; }

  // The pages of [addr, addr + n) inside the span may hold bytes now.
  void mark(uint64_t addr, uint64_t n);
  // Zeroes every marked page of [from, to) inside the span and forgets it.
  void clear(uint64_t from, uint64_t to);
  // Forgets the marks of [from, to) (its pages were replaced or given back: they read as zeros).
  void forget(uint64_t from, uint64_t to);
  bool marked(uint64_t addr) const;

 private:
  // Calls fn(first_page, end_page) for each run of marked pages of [from, to), unmarking them.
  template <typename Fn>
  void take_runs(uint64_t from, uint64_t to, Fn fn);

  uint64_t lo_ = 0, pages_ = 0;
  std::vector<uint64_t> bits_;
};

}  // namespace heaptwin::alloc

#endif  // HEAPTWIN_ALLOCATOR_WRITTEN_PAGES_H_
