// The tcache's two hot paths, inline (tcache.cc holds the rest). Part of allocator.h, which
// includes it after the class: nearly every malloc and free takes one, and as calls they spent a
// third of their instructions saving and restoring registers (callgrind, the bench's
// tcache-heavy and fastbin-heavy rows).
#ifndef HEAPTWIN_ALLOCATOR_TCACHE_HOT_PATHS_H_
#define HEAPTWIN_ALLOCATOR_TCACHE_HOT_PATHS_H_

#include "allocator/allocator.h"

namespace heaptwin::alloc {

inline void Allocator::tcache_put(Addr chunk, uint64_t tc_idx) {
  HEAPTWIN_TWIN_DCHECK(tcache_ != 0);  // callers cache only once the tcache exists
  Addr e = chunk2mem(chunk);
  store(e + kTcacheEntryKey, tcache_mark());
  store(e + kTcacheEntryNext, protect(e + kTcacheEntryNext, tcache_head(tc_idx)));
  set_tcache_head(tc_idx, e);
  add_tcache_count(tc_idx, 1);
}

inline Addr Allocator::tcache_get(uint64_t tc_idx) {
  Addr e = tcache_head(tc_idx);
  if (list_misaligned(e)) malloc_printerr(msg::kUnalignedTcacheChunk);
  set_tcache_head(tc_idx, protect(e + kTcacheEntryNext, load(e + kTcacheEntryNext)));
  add_tcache_count(tc_idx, -1);
  store(e + kTcacheEntryKey, 0);
  return e;
}

}  // namespace heaptwin::alloc

#endif  // HEAPTWIN_ALLOCATOR_TCACHE_HOT_PATHS_H_
