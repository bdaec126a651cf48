// The binmap scan: best fit from the next larger bin upwards, using the binmap to skip empty
// blocks of 32 bins, and clearing the bit of a bin found empty (a lazily maintained hint).
#include "allocator/abort_messages.h"
#include "allocator/allocator.h"
#include "allocator/bins.h"
#include "allocator/dcheck.h"

namespace heaptwin::alloc {

UserAddr Allocator::binmap_search(uint64_t nb, uint32_t idx, bool* found) {
  *found = false;
  HEAPTWIN_TWIN_DCHECK(idx == bin_index(nb));
  ++idx;
  ChunkAddr bin = bin_at(idx);
  uint32_t block = idx2block(idx);
  uint32_t map = av().binmap[block];
  uint32_t bit = idx2bit(idx);
  for (;;) {
    if (bit > map || bit == 0) {
      do {
        if (++block >= kBinmapSize) return 0;  // out of bins: use top
      } while ((map = av().binmap[block]) == 0);
      bin = bin_at(block << 5);
      bit = 1;
    }
    while ((bit & map) == 0) {
      bin = next_bin(bin);
      bit <<= 1;
    }
    ChunkAddr victim = bk(bin);  // last (bin)
    if (victim == bin) {
      av().binmap[block] = map &= ~bit;
      bin = next_bin(bin);
      bit <<= 1;
      continue;
    }
    uint64_t size = chunksize(victim);
    if (size < nb) assert_failed(Assertion::kBinmapSize);
    unlink_chunk(victim);
    *found = true;
    return split_to_unsorted(victim, size, nb, msg::kUnsortedCorrupted2, in_smallbin_range(nb));
  }
}

}  // namespace heaptwin::alloc
