// Fastbins: LIFO singly linked lists of small chunks (up to global_max_fast) that stay "in use"
// and are only merged by malloc_consolidate. `fd` is safe-linked from 2.32, the heads are not.
#include "allocator/abort_messages.h"
#include "allocator/allocator.h"
#include "allocator/bins.h"

namespace heaptwin::alloc {

UserAddr Allocator::fastbin_take(uint64_t nb) {
  uint32_t idx = fastbin_index(nb);
  uint64_t& fb = fastbin(idx);
  ChunkAddr victim{fb};
  if (victim == 0) return 0;
  if (list_misaligned(victim)) malloc_printerr(msg::kUnalignedFastbin2);
  // REMOVE_FB, once a thread exists, checks the next pointer's alignment (2.32+); under
  // SINGLE_THREAD_P nothing does until it is taken.
  const ChunkAddr next = fastbin_next(victim);
  if (__builtin_expect(!single_thread_, 0) && next != 0 && list_misaligned(next)) {
    malloc_printerr(msg::kUnalignedFastbin);
  }
  fb = next.raw();
  if (fastbin_index(chunksize(victim)) != idx) {
    malloc_printerr(msg::kFastbinCorruption, chunk2mem(victim));
  }
  // While the tcache bin has room, move the rest of this fastbin into it.
  uint64_t tc_idx = csize2tidx(nb);
  if (tcache_ != 0 && tc_idx < mp().tcache_bins) {
    ChunkAddr tc_victim;
    while (tcache_count(tc_idx) < mp().tcache_count && (tc_victim = ChunkAddr{fb}) != 0) {
      if (list_misaligned(tc_victim)) {
        malloc_printerr(msg::kUnalignedFastbin3);
      }
      const ChunkAddr after = fastbin_next(tc_victim);
      if (__builtin_expect(!single_thread_, 0) && after != 0 && list_misaligned(after)) {
        malloc_printerr(msg::kUnalignedFastbin);
      }
      fb = after.raw();
      tcache_put(tc_victim, tc_idx);
    }
  }
  return chunk2mem(victim);
}

}  // namespace heaptwin::alloc
