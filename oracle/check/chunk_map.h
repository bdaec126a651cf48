// Where the chunks of the brk heap start, as the incremental check last saw them: one bit per
// 16 bytes of heap. Kept in step with the heap from the headers each op writes, so "which chunk
// holds this address" and "is this a chunk" are answered without walking the heap. Two levels of
// summary let the searches and the reset skip what is empty: a summary bit per word (set
// whenever the word may hold a start) skips 64 KiB of heap per summary word, and a top bit per
// summary word skips 4 MiB per top word. Fuzzed Programs grow the break by gigabytes; with one
// level, a search across such a gap and the reset after it scanned megabytes of summary (40% of
// the main fuzz job's time).
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
  bool covers(uint64_t base, uint64_t end) const {
    return end >= base && ((end - base) >> 4) < max_bits_;
  }

  bool test(uint64_t a) const {
    const uint64_t k = (a - base_) >> 4;
    return (words_[k >> 6] >> (k & 63)) & 1;
  }
  void set(uint64_t a) {
    const uint64_t k = (a - base_) >> 4;
    const uint64_t w = k >> 6;
    words_[w] |= uint64_t{1} << (k & 63);
    summary_[w >> 6] |= uint64_t{1} << (w & 63);
    top_[w >> 12] |= uint64_t{1} << ((w >> 6) & 63);
    if (w >= used_words_) used_words_ = w + 1;
  }
  void clear(uint64_t a) {
    const uint64_t k = (a - base_) >> 4;
    words_[k >> 6] &= ~(uint64_t{1} << (k & 63));
  }
  // test(a) for any address: false outside [base, base + covered) and off the 16-byte grid.
  bool test_any(uint64_t a) const {
    return a >= base_ && (a & 15) == 0 && ((a - base_) >> 4) < max_bits_ && test(a);
  }
  // The greatest start <= a, or 0 when there is none. Inline when a start lies in a's own
  // word (most chunks are under 1 KiB); else the search through the summaries.
  uint64_t start_at_or_before(uint64_t a) const {
    if (a >= base_) {
      const uint64_t k = (a - base_) >> 4;
      if ((k >> 6) < used_words_) {
        const uint64_t bits = words_[k >> 6] & bits_upto(k);
        if (bits != 0)
          return base_ +
                 ((((k >> 6) << 6) + 63 - static_cast<uint64_t>(__builtin_clzll(bits))) << 4);
      }
    }
    return start_before_word(a);
  }
  // Clears every start in (lo, hi) (16-aligned lo and hi), calling cleared(addr) for each that
  // was set.
  template <typename F>
  void clear_between(uint64_t lo, uint64_t hi, F cleared) {
    if (hi <= lo + 16) return;
    const uint64_t first = ((lo - base_) >> 4) + 1;
    const uint64_t end = (hi - base_) >> 4;  // exclusive
    if ((first >> 6) == ((end - 1) >> 6)) {
      // Within one word (a chunk under 1 KiB, most of them): no search through the summary.
      const uint64_t w = first >> 6;
      if (w >= used_words_) return;
      const uint64_t mask = bits_from(first) & bits_upto(end - 1);
      if ((words_[w] & mask) != 0) clear_in_word(w, mask, cleared);
      return;
    }
    // The words that may hold a start, found through the summary.
    for (uint64_t w = next_word_from(first >> 6); w < used_words_ && (w << 6) < end;
         w = next_word_from(w + 1)) {
      const uint64_t from = w == (first >> 6) ? (first & 63) : 0;
      const uint64_t to = end - (w << 6) >= 64 ? 64 : end - (w << 6);  // exclusive
      const uint64_t mask =
          (to == 64 ? ~uint64_t{0} : ((uint64_t{1} << to) - 1)) & ~((uint64_t{1} << from) - 1);
      clear_in_word(w, mask, cleared);
    }
  }

 private:
  static constexpr uint64_t kNone = ~uint64_t{0};
  static uint64_t bits_from(uint64_t i) { return ~uint64_t{0} << (i & 63); }
  static uint64_t bits_upto(uint64_t i) {  // bits 0..i of a word, i inclusive
    return (i & 63) == 63 ? ~uint64_t{0} : (uint64_t{2} << (i & 63)) - 1;
  }
  // Clears the starts `mask` selects in word w, calling cleared(addr) for each that was set.
  template <typename F>
  void clear_in_word(uint64_t w, uint64_t mask, F& cleared) {
    uint64_t hits = words_[w] & mask;
    words_[w] &= ~mask;
    if (words_[w] == 0) forget_word(w);
    for (; hits != 0; hits &= hits - 1) {
      cleared(base_ + (((w << 6) + static_cast<uint64_t>(__builtin_ctzll(hits))) << 4));
    }
  }
  // Word w is zero now: its summary bit goes, and the top bit when its summary word empties.
  void forget_word(uint64_t w) {
    summary_[w >> 6] &= ~(uint64_t{1} << (w & 63));
    if (summary_[w >> 6] == 0) top_[w >> 12] &= ~(uint64_t{1} << ((w >> 6) & 63));
  }
  // The first word >= w whose summary bit is set, or used_words_.
  uint64_t next_word_from(uint64_t w) const {
    while (w < used_words_) {
      const uint64_t bits = summary_[w >> 6] & bits_from(w);
      if (bits != 0) return ((w >> 6) << 6) + static_cast<uint64_t>(__builtin_ctzll(bits));
      const uint64_t s = next_summary_from((w >> 6) + 1);
      if (s == kNone) break;
      w = s << 6;
    }
    return used_words_;
  }
  // start_at_or_before() when a's own word holds no start at or below a.
  uint64_t start_before_word(uint64_t a) const;
  // The first summary word >= s whose top bit is set, or kNone.
  uint64_t next_summary_from(uint64_t s) const;
  // The greatest word < w whose summary bit is set, or kNone.
  uint64_t word_before(uint64_t w) const;

  uint64_t* words_ = nullptr;
  uint64_t* summary_ = nullptr;  // bit w: words_[w] may be non-zero
  uint64_t* top_ = nullptr;      // bit s: summary_[s] may be non-zero
  uint64_t max_bits_ = 0;
  uint64_t base_ = 0;
  uint64_t used_words_ = 0;  // words past this are all zero
};

}  // namespace heaptwin::check

#endif  // HEAPTWIN_ORACLE_CHECK_CHUNK_MAP_H_
