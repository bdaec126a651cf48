// Which bin a chunk size belongs to (x86_64): fastbins, tcache bins, small and large bins and the
// binmap that marks possibly non-empty bins. Pure arithmetic, glibc's names.
#ifndef HEAPTWIN_ALLOCATOR_BINS_H_
#define HEAPTWIN_ALLOCATOR_BINS_H_

#include <cstdint>

#include "allocator/chunk.h"

namespace heaptwin::alloc {

inline constexpr uint64_t kMinLargeSize = 0x400;  // MIN_LARGE_SIZE
inline constexpr uint64_t kMaxFastSize = 0xa0;    // MAX_FAST_SIZE (80 * 8 / 4)
inline constexpr uint64_t kFastbinConsolidationThreshold = 65536;
inline constexpr int kMaxIters = 10000;  // MAX_ITERS of the unsorted scan
inline constexpr uint64_t kDefaultMmapThresholdMax = 32ull << 20;
inline constexpr uint64_t kHeapMaxSize = 2 * kDefaultMmapThresholdMax;  // HEAP_MAX_SIZE

// fastbin_index: glibc truncates the size to unsigned int first (a huge forged size can map to
// a small index).
constexpr uint32_t fastbin_index(uint64_t sz) { return (static_cast<uint32_t>(sz) >> 4) - 2; }
// csize2tidx: chunk size -> tcache bin.
constexpr uint64_t csize2tidx(uint64_t sz) {
  return (sz - kMinSize + kMallocAlignment - 1) / kMallocAlignment;
}
// tidx2csize: the chunk size of tcache bin `idx` (2.42's name).
constexpr uint64_t tidx2csize(uint64_t idx) { return idx * kMallocAlignment + kMinSize; }
// tidx2usize: the largest user size of tcache bin `idx`.
constexpr uint64_t tidx2usize(uint64_t idx) { return idx * kMallocAlignment + kMinSize - kSizeSz; }
// large_csize2tidx (2.42+): the large tcache bin of chunk size nb, one per power of two past the
// small bins (64: 0x420..0x7ff, 65: 0x800..0xfff, ..., 75: up to 4 MiB). glibc computes
// TCACHE_SMALL_BINS + __builtin_clz (MAX_TCACHE_SMALL_SIZE) - __builtin_clz (nb), clz of an
// unsigned int: of nb's low 32 bits (every cached size is below 4 MiB).
constexpr uint64_t large_csize2tidx(uint64_t nb) {
  return 64 + __builtin_clz(static_cast<uint32_t>(tidx2csize(63))) -
         __builtin_clz(static_cast<uint32_t>(nb));
}

constexpr bool in_smallbin_range(uint64_t sz) { return sz < kMinLargeSize; }
constexpr uint32_t smallbin_index(uint64_t sz) { return static_cast<uint32_t>(sz >> 4); }
constexpr uint32_t largebin_index(uint64_t sz) {
  return (sz >> 6) <= 48    ? 48 + static_cast<uint32_t>(sz >> 6)
         : (sz >> 9) <= 20  ? 91 + static_cast<uint32_t>(sz >> 9)
         : (sz >> 12) <= 10 ? 110 + static_cast<uint32_t>(sz >> 12)
         : (sz >> 15) <= 4  ? 119 + static_cast<uint32_t>(sz >> 15)
         : (sz >> 18) <= 2  ? 124 + static_cast<uint32_t>(sz >> 18)
                            : 126;
}
constexpr uint32_t bin_index(uint64_t sz) {
  return in_smallbin_range(sz) ? smallbin_index(sz) : largebin_index(sz);
}

// binmap
constexpr uint32_t idx2block(uint32_t i) { return i >> 5; }
constexpr uint32_t idx2bit(uint32_t i) { return 1u << (i & 31); }

// set_max_fast: the global_max_fast value for an M_MXFAST request.
// set_max_fast(s). From 2.32 ("ensure set_max_fast never stores zero") a request under one
// word gives MIN_CHUNK_SIZE / 2; before, only 0 did, and 1..7 stored 0.
constexpr uint64_t max_fast_for(uint64_t s, bool never_zero = true) {
  const bool tiny = never_zero ? s <= kMallocAlignMask - kSizeSz : s == 0;
  return tiny ? kMinSize / 2 : (s + kSizeSz) & ~kMallocAlignMask;
}

}  // namespace heaptwin::alloc

#endif  // HEAPTWIN_ALLOCATOR_BINS_H_
