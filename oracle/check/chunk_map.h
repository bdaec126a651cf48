// Where the chunks of the brk heap start, as the incremental check last saw them: one bit per
// 16 bytes of heap. Kept in step with the heap from the headers each op writes, so "which chunk
// holds this address" and "is this a chunk" are answered without walking the heap.
#ifndef HEAPTWIN_ORACLE_CHECK_CHUNK_MAP_H_
#define HEAPTWIN_ORACLE_CHECK_CHUNK_MAP_H_

#include <cstdint>

#include "oracle/check/region.h"

namespace heaptwin::check {

class ChunkMap {
 public:
  // Room for a heap of up to max_heap_bytes; address space from `region`, touched as the heap
  // grows.
  bool init(Region* region, uint64_t max_heap_bytes);
  // No chunks; the heap starts at `base`.
  void reset(uint64_t base);
  // Whether a heap [base, end) fits the map.
  bool covers(uint64_t base, uint64_t end) const { return end >= base && ((end - base) >> 4) < max_bits_; }

  bool test(uint64_t a) const {
    const uint64_t k = (a - base_) >> 4;
    return (words_[k >> 6] >> (k & 63)) & 1;
  }
  void set(uint64_t a) {
    const uint64_t k = (a - base_) >> 4;
    words_[k >> 6] |= uint64_t{1} << (k & 63);
    if ((k >> 6) >= used_words_) used_words_ = (k >> 6) + 1;
  }
  void clear(uint64_t a) {
    const uint64_t k = (a - base_) >> 4;
    words_[k >> 6] &= ~(uint64_t{1} << (k & 63));
  }
  // test(a) for any address: false outside [base, base + covered) and off the 16-byte grid.
  bool test_any(uint64_t a) const {
    return a >= base_ && (a & 15) == 0 && ((a - base_) >> 4) < max_bits_ && test(a);
  }
  // The greatest start <= a, or 0 when there is none.
  uint64_t start_at_or_before(uint64_t a) const;
  // Clears every start in (lo, hi) (16-aligned lo and hi), calling cleared(addr) for each that
  // was set.
  template <typename F>
  void clear_between(uint64_t lo, uint64_t hi, F cleared) {
    if (hi <= lo + 16) return;
    uint64_t k = ((lo - base_) >> 4) + 1;
    const uint64_t end = (hi - base_) >> 4;  // exclusive
    while (k < end) {
      const uint64_t w = k >> 6;
      if (w >= used_words_) return;  // nothing set beyond
      const uint64_t first = k & 63;
      const uint64_t last = (end - (w << 6)) >= 64 ? 64 : end - (w << 6);  // exclusive
      uint64_t mask = (last == 64 ? ~uint64_t{0} : ((uint64_t{1} << last) - 1)) & ~((uint64_t{1} << first) - 1);
      uint64_t hits = words_[w] & mask;
      words_[w] &= ~mask;
      while (hits != 0) {
        const int b = __builtin_ctzll(hits);
        hits &= hits - 1;
        cleared(base_ + (((w << 6) + static_cast<uint64_t>(b)) << 4));
      }
      k = (w + 1) << 6;
    }
  }

 private:
  uint64_t* words_ = nullptr;
  uint64_t max_bits_ = 0;
  uint64_t base_ = 0;
  uint64_t used_words_ = 0;  // words past this are all zero
};

}  // namespace heaptwin::check

#endif  // HEAPTWIN_ORACLE_CHECK_CHUNK_MAP_H_
