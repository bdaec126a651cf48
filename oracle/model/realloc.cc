// realloc: zero bytes frees; NULL mallocs; a mapping is remapped; a heap chunk
//   - already big enough: stays, its tail split off and freed;
//   - next to top with room: grows into top (no tail split);
//   - next to a free (binned) chunk with enough room together: absorbs it, tail split and freed;
//   - else: int_malloc (never the tcache's fast path), the old chunk freed (or, should the new
//     chunk be the old one's neighbour, the two joined in place).
// Tails of MINSIZE or more are freed through int_free (so they may land in the tcache).
#include <cerrno>

#include "oracle/model/policy.h"

namespace heaptwin::model {

Alloc Policy::realloc(std::optional<Block> old, uint64_t bytes) {
  ptmalloc_init();
  if (old && bytes == 0) {
    free(*old);
    return Alloc::fail(0);
  }
  if (!old) return malloc(bytes);
  if (!old->mmapped && !ensure_tcache()) return given_up();
  if (bytes > kPtrdiffMax) return Alloc::fail(ENOMEM);
  const uint64_t nb = request2size(bytes);
  if (old->mmapped) return mremap_chunk(old->where, nb);
  return int_realloc(old->where, nb);
}

Alloc Policy::mremap_chunk(uint64_t id, uint64_t nb) {
  Mapping m = mapping(id);
  const uint64_t new_size = align_up(nb + m.lead + kSizeSz, kPageSize);
  if (new_size > (1ull << 30)) return give_up("mremap beyond 1 GiB");
  mmapped_mem_ += new_size;
  mmapped_mem_ -= m.map_size;
  if (mmapped_mem_ > max_mmapped_mem_) max_mmapped_mem_ = mmapped_mem_;
  // A mapping that grows may move (the kernel decides, the model has no addresses), so it gets a
  // new identity: another slot still holding the old pointer then has no opinion, whereas
  // glibc faults on it when the mapping moved. Shrinking stays in place.
  uint64_t now = id;
  if (new_size > m.map_size) {
    now = next_mmap_id_++;
    mmaps_.erase(id);
  }
  m.map_size = new_size;
  const Mapping& moved = mmaps_.insert_or_assign(now, m);
  Alloc a;
  a.block = Block{true, now};
  a.chunk_size = moved.chunk_size();
  a.page_offset = (moved.lead + 2 * kSizeSz) & (kPageSize - 1);
  return a;
}

Alloc Policy::int_realloc(uint64_t off, uint64_t nb) {
  const uint64_t oldsize = heap_.at(off).size;
  const uint64_t next = off + oldsize;
  if (oldsize < nb) {
    if (next == heap_.top()) {
      if (oldsize + heap_.top_size() >= nb + kMinSize) {
        const uint64_t grow = nb - oldsize;
        heap_.join(off, heap_.take_from_top(grow));
        return heap_alloc(off);
      }
    } else if (heap_.at(next).state == ChunkState::kBinned && oldsize + heap_.at(next).size >= nb) {
      unlink_binned(next);
      heap_.join(off, next);
    }
    if (heap_.at(off).size < nb) {
      // glibc asks _int_malloc for nb - MALLOC_ALIGN_MASK bytes, which it checks again: a
      // request padded past PTRDIFF_MAX fails there, before any consolidation.
      if (nb - 15 > kPtrdiffMax) return Alloc::fail(ENOMEM);  // MALLOC_ALIGN_MASK = 15
      const Alloc fresh = int_malloc(nb);
      if (fresh.null) return fresh;
      if (!fresh.block.mmapped && fresh.block.where == next) {
        heap_.join(off, next);
      } else {
        int_free(off);
        return fresh;
      }
    }
  }
  if (heap_.at(off).size - nb >= kMinSize) int_free(heap_.split(off, nb));
  return heap_alloc(off);
}

}  // namespace heaptwin::model
