// The tcache's two hot paths, inline (tcache.cc holds the rest). Part of allocator.h, which
// includes it after the class: nearly every malloc and free takes one, and as calls they spent a
// third of their instructions saving and restoring registers (callgrind, the bench's
// tcache-heavy and fastbin-heavy rows).
#ifndef HEAPTWIN_ALLOCATOR_TCACHE_HOT_PATHS_H_
#define HEAPTWIN_ALLOCATOR_TCACHE_HOT_PATHS_H_

#include "allocator/allocator.h"

namespace heaptwin::alloc {

inline void Allocator::tcache_put(ChunkAddr chunk, uint64_t tc_idx) {
  HEAPTWIN_TWIN_DCHECK(tcache_ != 0);  // callers cache only once the tcache exists
  UserAddr e = chunk2mem(chunk);
  set_tcache_key_of(e, tcache_mark());
  set_tcache_next(e, tcache_head(tc_idx));
  set_tcache_head(tc_idx, e);
  add_tcache_count(tc_idx, 1);
}

// Always inlined: with the typed addresses gcc 12 stopped inlining it into malloc on its own (a
// call's register saves: +4% instructions in bench:tcache_loop 20000).
__attribute__((always_inline)) inline UserAddr Allocator::tcache_get(uint64_t tc_idx) {
  UserAddr e = tcache_head(tc_idx);
  if (list_misaligned(e)) malloc_printerr(msg::kUnalignedTcacheChunk);
  set_tcache_head(tc_idx, tcache_next(e));
  add_tcache_count(tc_idx, -1);
  set_tcache_key_of(e, 0);
  return e;
}

// A hot path's store: store(), or store_unlogged() where the caller knows no write log is set.
template <bool kLogged>
__attribute__((always_inline)) inline void Allocator::hot_store(Addr a, uint64_t v) const {
  if constexpr (kLogged) {
    store(a, v);
  } else {
    HEAPTWIN_TWIN_DCHECK(!logs_writes());
    store_unlogged(a, v);
  }
}

// Requests up to the largest tcache bin's size: every release's checked_request2size is then
// request2size, and the bin's count lies inside the struct whatever mp_.tcache_bins says.
inline constexpr uint64_t kTcacheHotRequestMax = 1032;  // tidx2usize (63)

// __libc_malloc up to its tcache hit, when it has one (2.30 .. 2.41): the same reads in the same
// order, the same stores (the hook cleared, then tcache_get). Nothing is read that could fault
// before tcache_get. A miss past the tcache (*past_tcache) has cleared the hook as malloc does
// first; any other has changed nothing.
template <bool kLogged>
__attribute__((always_inline)) inline UserAddr Allocator::malloc_hot_path(uint64_t bytes,
                                                                          bool* past_tcache) {
  if (!tcache_hot_ || bytes > kTcacheHotRequestMax || !malloc_initialized() || tcache_ == 0) {
    return 0;
  }
  malloc_hook_pending_ = false;  // malloc_hook_ini's first call clears the hook
  const uint64_t tc_idx = csize2tidx(request2size(bytes));
  if (tc_idx >= mp().tcache_bins || wide_tcache_count(tc_idx) == 0) {
    *past_tcache = true;
    return 0;
  }
  // tcache_get, with the count's form known.
  const UserAddr e = tcache_head(tc_idx);
  if (list_misaligned(e)) malloc_printerr(msg::kUnalignedTcacheChunk);
  set_tcache_head(tc_idx, tcache_next(e));
  --wide_tcache_count(tc_idx);
  hot_store<kLogged>(e.raw() + kTcacheEntryKey, 0);  // set_tcache_key_of (e, 0)
  return e;
}

// __libc_free and _int_free as far as the tcache or a fastbin, when the chunk goes there (2.30 ..
// 2.41): a chunk of main_arena's, not mmapped, that passes _int_free's pointer and size checks,
// not marked with the tcache key (else the double-free scan), into its tcache bin while that has
// room, else into its fastbin (no perturb byte, a sane next size, not the bin's top); a larger
// chunk is for _int_free_merge_chunk (kMerge). The loads are free's, in its order (size, key,
// the next chunk's size); a check that fails is left to free, which fails it the same way.
template <bool kLogged>
__attribute__((always_inline)) inline Allocator::FreeHot Allocator::free_hot_path(UserAddr mem) {
  if (!tcache_hot_ || mem == 0 || tcache_ == 0) return FreeHot::kWhole;
  const ChunkAddr p = mem2chunk(mem);
  const uint64_t head = chunksize_nomask(p);
  const uint64_t size = head & ~kSizeBits;
  if ((head & (kIsMmapped | kNonMainArena)) != 0) return FreeHot::kWhole;
  if (p.raw() > static_cast<uint64_t>(0) - size || misaligned_chunk(p)) return FreeHot::kWhole;
  if (size < kMinSize || !aligned_ok(size)) return FreeHot::kWhole;
  const uint64_t tc_idx = csize2tidx(size);
  if (tc_idx < mp().tcache_bins) {
    const uint64_t mark = tcache_mark();
    if (tcache_key_of(mem) == mark) return FreeHot::kWhole;
    uint16_t& count = wide_tcache_count(tc_idx);
    if (count < mp().tcache_count) {
      // tcache_put, with the count's form known.
      uint64_t& bin = *tcache_entry(tc_idx);
      hot_store<kLogged>(mem.raw() + kTcacheEntryKey, mark);  // set_tcache_key_of
      const Addr next = mem.raw() + kTcacheEntryNext;         // set_tcache_next
      hot_store<kLogged>(next, protect(next, bin));
      bin = mem.raw();
      ++count;
      return FreeHot::kDone;
    }
  }
  if (arena_ == nullptr) return FreeHot::kWhole;
  if (size > global_max_fast()) return FreeHot::kMerge;  // not mmapped: merged
  // _int_free's fastbin put (TRIM_FASTBINS 0: a chunk bordering top qualifies too).
  if (perturb_byte() != 0) return FreeHot::kWhole;
  const uint64_t next_head = chunksize_nomask(chunk_at_offset(p, size));
  if (next_head <= kChunkHdrSz || (next_head & ~kSizeBits) >= av().system_mem) {
    return FreeHot::kWhole;
  }
  uint64_t& fb = fastbin(fastbin_index(size));
  const ChunkAddr old{fb};
  if (old == p) return FreeHot::kWhole;  // double free (fasttop)
  set_have_fastchunks(true);
  hot_store<kLogged>(fd_field(p), protect(fd_field(p), old.raw()));  // set_fastbin_next
  fb = p.raw();
  return FreeHot::kDone;
}

}  // namespace heaptwin::alloc

#endif  // HEAPTWIN_ALLOCATOR_TCACHE_HOT_PATHS_H_
