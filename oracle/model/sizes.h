// Size classes of glibc 2.36 on x86_64, stated as arithmetic on chunk sizes: how a request
// becomes a chunk size, and which tcache bin, fastbin, small bin or large bin a size belongs to.
// Nothing here knows about memory; every value is a plain number.
#ifndef HEAPTWIN_ORACLE_MODEL_SIZES_H_
#define HEAPTWIN_ORACLE_MODEL_SIZES_H_

#include <cstdint>

namespace heaptwin::model {

inline constexpr uint64_t kSizeSz = 8;      // one header word
inline constexpr uint64_t kAlignment = 16;  // MALLOC_ALIGNMENT
inline constexpr uint64_t kMinSize = 0x20;  // MINSIZE: the smallest chunk
inline constexpr uint64_t kPageSize = 0x1000;
inline constexpr uint64_t kMinLargeSize = 0x400;  // chunks below this are "small"
inline constexpr uint64_t kPtrdiffMax = 0x7fffffffffffffffull;
inline constexpr uint64_t kFastbinConsolidationThreshold = 0x10000;  // 64 KiB
inline constexpr int kMaxIters = 10000;           // unsorted chunks sorted per malloc, at most
inline constexpr uint64_t kMaxFastRequest = 160;  // MAX_FAST_SIZE, M_MXFAST's ceiling
inline constexpr uint64_t kDynMmapThresholdMax = 0x2000000;  // 32 MiB
inline constexpr int kNumBins = 128;  // 1 unsorted, 2..63 small, 64..126 large
inline constexpr int kNumFastbins = 10;
inline constexpr int kNumTcacheBins = 64;

inline constexpr uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }
inline constexpr uint64_t align_down(uint64_t v, uint64_t a) { return v & ~(a - 1); }

// request2size: the user's bytes plus one header word, rounded up to 16, at least MINSIZE.
// Callers reject requests above PTRDIFF_MAX first (checked_request2size), so this cannot wrap.
inline constexpr uint64_t request2size(uint64_t bytes) {
  return bytes + kSizeSz + kAlignment - 1 < kMinSize
             ? kMinSize
             : align_down(bytes + kSizeSz + kAlignment - 1, kAlignment);
}

inline constexpr bool in_smallbin_range(uint64_t size) { return size < kMinLargeSize; }

// Small bins are 16 bytes apart: bin 2 holds 0x20, bin 63 holds 0x3f0.
inline constexpr int smallbin_index(uint64_t size) { return static_cast<int>(size >> 4); }

// Large bins widen geometrically (64-bit table): 32 bins 64 bytes wide starting at bin 64,
// 16 of 512, 8 of 4096, 4 of 32 KiB, 2 of 256 KiB, and bin 126 for everything bigger.
inline constexpr int largebin_index(uint64_t size) {
  if ((size >> 6) <= 48) return 48 + static_cast<int>(size >> 6);
  if ((size >> 9) <= 20) return 91 + static_cast<int>(size >> 9);
  if ((size >> 12) <= 10) return 110 + static_cast<int>(size >> 12);
  if ((size >> 15) <= 4) return 119 + static_cast<int>(size >> 15);
  if ((size >> 18) <= 2) return 124 + static_cast<int>(size >> 18);
  return 126;
}

inline constexpr int bin_index(uint64_t size) {
  return in_smallbin_range(size) ? smallbin_index(size) : largebin_index(size);
}

// Tcache bin of a chunk size (csize2tidx): 0x20 -> 0, 0x30 -> 1, ..., 0x410 -> 63.
inline constexpr uint64_t tcache_index(uint64_t size) {
  return (size - kMinSize + kAlignment - 1) / kAlignment;
}

// Fastbin of a chunk size: 0x20 -> 0, 0x30 -> 1, ...
inline constexpr int fastbin_index(uint64_t size) { return static_cast<int>(size >> 4) - 2; }

// global_max_fast for an M_MXFAST value (set_max_fast): 0..8 disables fastbins.
inline constexpr uint64_t max_fast_for(uint64_t request) {
  return request <= kAlignment - 1 - kSizeSz ? kMinSize / 2
                                             : ((request + kSizeSz) & ~(kAlignment - 1));
}

}  // namespace heaptwin::model

#endif  // HEAPTWIN_ORACLE_MODEL_SIZES_H_
