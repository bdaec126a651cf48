// The large tcache bins (2.42 "malloc: add tcache support for large chunk caching"): with
// glibc.malloc.tcache_max above 0x408, chunks from 0x420 up to mp_.tcache_max_bytes - 1 (at most
// 4 MiB) are cached in 12 more bins, one per power of two of the chunk size (bin 64: 0x420 to
// 0x7ff, 65: 0x800 to 0xfff, ..., 75: 2 to 4 MiB). Each list is kept sorted by chunk size,
// smallest first, so its `next` links are walked and written in the middle of the list (each a
// safe-linked pointer, where the bin's head in the struct is a plain one). Read in Debian's
// glibc-source 2.43-7, malloc/malloc.c: tcache_location_large,
// tcache_put_large, tcache_get_large, tcache_put_n and tcache_get_n (2.44-3's are the same);
// large_csize2tidx is in bins.h.
#include "allocator/abort_messages.h"
#include "allocator/allocator.h"
#include "allocator/bins.h"
#include "allocator/list_cycle.h"

namespace heaptwin::alloc {

// tcache_location_large: the first entry of the bin whose chunk size is at least nb, and the
// link that points at it (0: the head in the struct). The walk has no check of its own: a
// misaligned or wild entry faults reading its size, and a cycle of smaller chunks never ends
// (glibc hangs; it writes nothing, so the first repeated entry proves it).
UserAddr Allocator::tcache_location_large(uint64_t nb, uint64_t tc_idx, Addr* link) {
  *link = 0;
  UserAddr entry = tcache_head(tc_idx);
  ListCycle cycle;
  while (entry != 0 && chunksize(mem2chunk(entry)) < nb) {
    if (cycle.repeats(entry.raw())) report_proven_hang(fatal_);
    *link = entry.raw() + kTcacheEntryNext;
    entry = UserAddr{protect(*link, load(*link))};
  }
  return entry;
}

void Allocator::tcache_put_large(ChunkAddr chunk, uint64_t tc_idx) {
  Addr link;
  tcache_location_large(chunksize(chunk), tc_idx, &link);
  tcache_put_n(chunk, tc_idx, link);
}

UserAddr Allocator::tcache_get_large(uint64_t tc_idx, uint64_t nb) {
  Addr link;
  const UserAddr entry = tcache_location_large(nb, tc_idx, &link);
  // Only an exact fit: the first chunk at least nb long, taken when it is exactly nb.
  if (entry == 0 || chunksize(mem2chunk(entry)) != nb) return 0;
  return tcache_get_n(tc_idx, link);
}

// tcache_put_n: the chunk goes before the entry `link` points at (0: at the head). A link inside
// the list is a safe-linked next pointer, revealed and protected again at its own position.
void Allocator::tcache_put_n(ChunkAddr chunk, uint64_t tc_idx, Addr link) {
  if (link == 0) return tcache_put(chunk, tc_idx);
  const UserAddr e = chunk2mem(chunk);
  set_tcache_key_of(e, tcache_mark());
  const UserAddr following{protect(link, load(link))};
  set_tcache_next(e, following);
  store(link, protect(link, e.raw()));
  add_tcache_count(tc_idx, 1);
}

}  // namespace heaptwin::alloc
