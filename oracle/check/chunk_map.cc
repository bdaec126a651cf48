#include "oracle/check/chunk_map.h"

#include <cstring>

namespace heaptwin::check {

bool ChunkMap::init(Region* region, uint64_t max_heap_bytes) {
  max_bits_ = max_heap_bytes >> 4;
  const uint64_t words = max_bits_ / 64 + 1;
  const uint64_t summaries = words / 64 + 1;
  words_ = static_cast<uint64_t*>(region->take(words * 8));
  summary_ = static_cast<uint64_t*>(region->take(summaries * 8));
  top_ = static_cast<uint64_t*>(region->take((summaries / 64 + 1) * 8));
  used_words_ = 0;
  return words_ != nullptr && summary_ != nullptr && top_ != nullptr;
}

// Zeroes only the words the summaries say may be set: after a Program whose break grew by
// gigabytes, the map spans megabytes that were never touched.
void ChunkMap::reset(uint64_t base) {
  const uint64_t tops = (used_words_ + 4095) / 4096;
  for (uint64_t t = 0; t < tops; ++t) {
    for (uint64_t tb = top_[t]; tb != 0; tb &= tb - 1) {
      const uint64_t s = (t << 6) + static_cast<uint64_t>(__builtin_ctzll(tb));
      for (uint64_t sb = summary_[s]; sb != 0; sb &= sb - 1) {
        words_[(s << 6) + static_cast<uint64_t>(__builtin_ctzll(sb))] = 0;
      }
      summary_[s] = 0;
    }
    top_[t] = 0;
  }
  used_words_ = 0;
  base_ = base;
}

uint64_t ChunkMap::next_summary_from(uint64_t s) const {
  const uint64_t summaries = (used_words_ + 63) / 64;
  while (s < summaries) {
    const uint64_t bits = top_[s >> 6] & bits_from(s);
    if (bits != 0) return ((s >> 6) << 6) + static_cast<uint64_t>(__builtin_ctzll(bits));
    s = ((s >> 6) + 1) << 6;
  }
  return kNone;
}

uint64_t ChunkMap::word_before(uint64_t w) const {
  if (w == 0) return kNone;
  --w;
  uint64_t s = w >> 6;
  uint64_t bits = summary_[s] & bits_upto(w);
  while (bits == 0) {
    // The previous summary word that may be non-zero, through the top level.
    if (s == 0) return kNone;
    --s;
    uint64_t top = top_[s >> 6] & bits_upto(s);
    while (top == 0) {
      if ((s >> 6) == 0) return kNone;
      s = ((s >> 6) << 6) - 1;
      top = top_[s >> 6];
    }
    s = ((s >> 6) << 6) + 63 - static_cast<uint64_t>(__builtin_clzll(top));
    bits = summary_[s];
  }
  return (s << 6) + 63 - static_cast<uint64_t>(__builtin_clzll(bits));
}

uint64_t ChunkMap::start_before_word(uint64_t a) const {
  if (a < base_) return 0;
  uint64_t k = (a - base_) >> 4;
  uint64_t w = k >> 6;
  if (w >= used_words_) {
    if (used_words_ == 0) return 0;
    w = used_words_ - 1;
    k = (w << 6) + 63;
  }
  uint64_t bits = words_[w] & bits_upto(k);
  while (bits == 0) {
    w = word_before(w);
    if (w == kNone) return 0;
    bits = words_[w];
  }
  const uint64_t b = 63 - static_cast<uint64_t>(__builtin_clzll(bits));
  return base_ + (((w << 6) + b) << 4);
}

}  // namespace heaptwin::check
