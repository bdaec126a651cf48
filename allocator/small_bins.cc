// Small bins: one size each, doubly linked, taken from the back (FIFO). A hit moves the rest of
// the bin into the tcache while it has room.
#include "allocator/abort_messages.h"
#include "allocator/allocator.h"
#include "allocator/bins.h"
#include "allocator/dcheck.h"

namespace heaptwin::alloc {

UserAddr Allocator::smallbin_take(uint64_t nb) {
  HEAPTWIN_TWIN_DCHECK(in_smallbin_range(nb));
  uint32_t idx = smallbin_index(nb);
  ChunkAddr bin = bin_at(idx);
  ChunkAddr victim = bk(bin);  // last (bin)
  if (victim == bin) return 0;
  ChunkAddr bck = bk(victim);
  if (fd(bck) != victim) malloc_printerr(msg::kSmallbinCorrupted, chunk2mem(victim));
  set_inuse_bit_at_offset(victim, nb);
  set_non_main_arena(victim);
  set_bk(bin, bck);
  set_fd(bck, bin);
  uint64_t tc_idx = csize2tidx(nb);
  if (profile_.tcache_lazy && tc_idx < mp().tcache_bins) tcache_init_if_inactive();  // 2.43
  if (tcache_ != 0 && tc_idx < mp().tcache_bins) {
    ChunkAddr tc_victim;
    uint64_t steps = 0;
    // No list check here (glibc has none): a corrupted bk is followed as is.
    while (tcache_room(tc_idx) && (tc_victim = bk(bin)) != bin) {
      guard_endless_loop(&steps);
      if (tc_victim != 0) {
        bck = bk(tc_victim);
        set_inuse_bit_at_offset(tc_victim, nb);
        set_non_main_arena(tc_victim);
        set_bk(bin, bck);
        set_fd(bck, bin);
        tcache_put(tc_victim, tc_idx);
      }
    }
  }
  return chunk2mem(victim);
}

}  // namespace heaptwin::alloc
