#include "oracle/check/chunk_map.h"

#include <cstring>

namespace heaptwin::check {

bool ChunkMap::init(Region* region, uint64_t max_heap_bytes) {
  max_bits_ = max_heap_bytes >> 4;
  words_ = static_cast<uint64_t*>(region->take((max_bits_ / 64 + 1) * 8));
  summary_ = static_cast<uint64_t*>(region->take((max_bits_ / 64 / 64 + 1) * 8));
  used_words_ = 0;
  return words_ != nullptr && summary_ != nullptr;
}

void ChunkMap::reset(uint64_t base) {
  std::memset(words_, 0, used_words_ * 8);
  std::memset(summary_, 0, (used_words_ + 63) / 64 * 8);
  used_words_ = 0;
  base_ = base;
}

uint64_t ChunkMap::start_at_or_before(uint64_t a) const {
  if (a < base_) return 0;
  uint64_t k = (a - base_) >> 4;
  uint64_t w = k >> 6;
  if (w >= used_words_) {
    if (used_words_ == 0) return 0;
    w = used_words_ - 1;
    k = (w << 6) + 63;
  }
  uint64_t bits = words_[w] & (((k & 63) == 63) ? ~uint64_t{0} : ((uint64_t{2} << (k & 63)) - 1));
  for (;;) {
    if (bits != 0) {
      const uint64_t b = 63 - static_cast<uint64_t>(__builtin_clzll(bits));
      return base_ + (((w << 6) + b) << 4);
    }
    if (w == 0) return 0;
    // The previous word that may hold a start, through the summary.
    --w;
    uint64_t s = summary_[w >> 6] & ((w & 63) == 63 ? ~uint64_t{0} : ((uint64_t{2} << (w & 63)) - 1));
    while (s == 0) {
      if ((w >> 6) == 0) return 0;
      w = ((w >> 6) << 6) - 1;
      s = summary_[w >> 6];
    }
    w = ((w >> 6) << 6) + 63 - static_cast<uint64_t>(__builtin_clzll(s));
    bits = words_[w];
  }
}

}  // namespace heaptwin::check
