// The per-thread cache: 64 stacks of at most tcache_count chunks each, sizes 0x20..0x410.
// Chunks in it stay "in use" as far as coalescing is concerned.
#include "oracle/model/policy.h"

namespace heaptwin::model {

bool Policy::tcache_has_room(uint64_t size) const {
  const uint64_t tc = tcache_index(size);
  return tcache_present_ && tc < par_.tcache_bins && bins_.tcache[tc].size() < par_.tcache_count;
}

void Policy::tcache_put(uint64_t off) {
  Chunk& c = heap_.at(off);
  c.state = ChunkState::kTcache;
  bins_.tcache[tcache_index(c.size)].push_front(Rec{off, c.size});
}

uint64_t Policy::tcache_get(uint64_t tc) {
  const uint64_t off = bins_.tcache[tc].front().off;
  bins_.tcache[tc].pop_front();
  heap_.at(off).state = ChunkState::kInUse;
  return off;
}

}  // namespace heaptwin::model
