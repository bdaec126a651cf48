/* Which non-main heaps (threads' arenas) a read8 may name (read_value.h, READ_ARENA_HEAP), found
 * the same way in every process: the twin side and the glibc runner's child (which sends them to
 * its parent in the read's record) each call this over their own memory. Plain C, no libc, no
 * allocation. */
#ifndef HEAPTWIN_ORACLE_READ_ARENA_HEAPS_H_
#define HEAPTWIN_ORACLE_READ_ARENA_HEAPS_H_

#include <stddef.h>
#include <stdint.h>

#include "oracle/arena_chunk_name.h"
#include "oracle/read_value.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A read names at most this many (its value, its position, a revealed target, the heap a copied
 * safe-linked value came from). */
#define READ_ARENA_HEAPS_MAX 4

/* Every heap of every arena on main_arena's list (newest arena first, each arena's heaps from
 * its top's back to its first), kept when the 8 bytes `raw` read at `at` could be named by it:
 * its bytes ever made accessible (heap_info.mprotect_size) hold raw, at or (at >> 12) ^ raw,
 * or reveal raw as a safe-linked pointer copied from one of its positions to one of its places
 * (read_value). Writes at most READ_ARENA_HEAPS_MAX into
 * out and returns how many. `next_offset`, `top_offset`: malloc_state's next and top. A heap is
 * listed only when its heap_info names the arena and its prev chain ends at the arena's own
 * heap (a forged list names nothing). */
size_t read_arena_heaps(ArenaWordReader read, void* ctx, uint64_t main_arena, uint64_t next_offset,
                        uint64_t top_offset, uint64_t raw, uint64_t at, struct ReadArenaHeap* out);

/* A heap of another arena, as a copy of a state holds it: from its start (64 MiB-aligned) the
 * bytes it holds (heap_info.size). */
struct ArenaHeapRange {
  uint64_t start, bytes;
};

/* Every heap of every arena on main_arena's list but main_arena itself (threads'), each arena's
 * from the heap its top lies in back to its first, as long as each heap_info names the arena and
 * its last byte can be read; at most `max` into out (and 64 arenas), how many. For copies of a
 * state: the glibc runner's copied snapshots, heap images. */
size_t arena_heap_ranges(ArenaWordReader read, void* ctx, uint64_t main_arena, uint64_t next_offset,
                         uint64_t top_offset, struct ArenaHeapRange* out, size_t max);

/* A ReadArenaHeap as one word (the runner's record), 0 for none: bits 0..21 its start >> 26
 * (64 MiB aligned, below 2^48), 22..36 its bytes in pages (at most 2^14), 37..46 the arena,
 * 47..62 the heap. */
static inline uint64_t read_arena_heap_pack(const struct ReadArenaHeap* h) {
  return (h->start >> 26) | (h->bytes >> 12) << 22 | (uint64_t)(h->arena & 0x3ffu) << 37 |
         (uint64_t)(h->heap & 0xffffu) << 47;
}
static inline struct ReadArenaHeap read_arena_heap_unpack(uint64_t w) {
  struct ReadArenaHeap h;
  h.start = (w & 0x3fffffu) << 26;
  h.bytes = (w >> 22 & 0x7fffu) << 12;
  h.arena = (uint32_t)(w >> 37) & 0x3ffu;
  h.heap = (uint32_t)(w >> 47) & 0xffffu;
  return h;
}

#ifdef __cplusplus
}
#endif

#endif /* HEAPTWIN_ORACLE_READ_ARENA_HEAPS_H_ */
