// The chunk sizes each tcache bin holds, for naming bins: one size for a small bin (0..63), a
// power of two's range for a large one (64..75, 2.42 "malloc: add tcache support for large chunk
// caching"; large_csize2tidx: bin 64 starts past the small bins, at 0x420). Freestanding: the
// heap checker uses it too.
#ifndef HEAPTWIN_ORACLE_TCACHE_BIN_SIZES_H_
#define HEAPTWIN_ORACLE_TCACHE_BIN_SIZES_H_

#include <stdint.h>

namespace heaptwin {

inline uint64_t tcache_bin_first_size(int i) {
  if (i < 64) return static_cast<uint64_t>(i) * 0x10 + 0x20;
  return i == 64 ? 0x420 : uint64_t{0x400} << (i - 64);
}
inline uint64_t tcache_bin_last_size(int i) {
  return i < 64 ? tcache_bin_first_size(i) : (uint64_t{0x800} << (i - 64)) - 0x10;
}

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_TCACHE_BIN_SIZES_H_
