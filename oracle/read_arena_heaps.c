/* read_arena_heaps.h. Facts from glibc 2.36 arena.c: the arena list runs from main_arena.next,
 * newest first (_int_new_arena pushes at the head); an arena's top lies in its newest heap, whose
 * heap_info.prev chain leads back to its first heap, the one holding the malloc_state right after
 * its heap_info; heap_info starts with ar_ptr, then prev. */
#include "oracle/read_arena_heaps.h"

enum { kMaxArenas = 64, kMaxHeaps = 4096 };

static uint64_t block_of(uint64_t address) { return address & ~(READ_ARENA_HEAP_BYTES - 1); }

static int inside(uint64_t address, uint64_t start, uint64_t bytes) {
  return address >= start && address - start < bytes;
}

/* Whether heap [start, start + bytes) can name something of the read (see read_arena_heaps.h). */
static int relevant(uint64_t start, uint64_t bytes, uint64_t raw, uint64_t at) {
  if (inside(raw, start, bytes) || inside(at, start, bytes) ||
      inside((at >> 12) ^ raw, start, bytes))
    return 1;
  if (raw < ((uint64_t)1 << 52) && inside(raw << 12, start, bytes))
    return 1; /* a copied safe-linked NULL */
  return read_least_xor_in(start >> 12, (start + bytes + 4095) >> 12, raw, start, start + bytes) !=
         ~(uint64_t)0;
}

/* The heaps of `arena` (number `number`) that are relevant, appended to out[*n]. */
static void arena_heaps(ArenaWordReader read, void* ctx, uint64_t arena, uint32_t number,
                        uint64_t top_offset, uint64_t raw, uint64_t at, struct ReadArenaHeap* out,
                        size_t* n) {
  uint64_t top, prev, owner;
  if (!read(ctx, arena + top_offset, &top)) return;
  const uint64_t first = block_of(arena);
  /* The chain's length first: a heap's number counts from the first heap. */
  uint32_t length = 0;
  uint64_t h = block_of(top);
  for (;; ++length) {
    if (length == kMaxHeaps || !read(ctx, h, &owner) || owner != arena) return;
    if (h == first) break;
    if (!read(ctx, h + 8, &prev) || prev == 0 || prev != block_of(prev)) return;
    h = prev;
  }
  h = block_of(top);
  for (uint32_t i = 0; i <= length && *n < READ_ARENA_HEAPS_MAX; ++i) {
    uint64_t bytes; /* heap_info.mprotect_size */
    if (!read(ctx, h + 0x18, &bytes) || bytes > READ_ARENA_HEAP_BYTES) return;
    if (relevant(h, bytes, raw, at)) {
      out[*n].start = h;
      out[*n].bytes = bytes;
      out[*n].arena = number;
      out[*n].heap = length - i;
      ++*n;
    }
    if (i < length && !read(ctx, h + 8, &h)) return;
  }
}

size_t read_arena_heaps(ArenaWordReader read, void* ctx, uint64_t main_arena, uint64_t next_offset,
                        uint64_t top_offset, uint64_t raw, uint64_t at, struct ReadArenaHeap* out) {
  if (main_arena == 0) return 0;
  uint64_t list[kMaxArenas];
  uint32_t count = 0;
  uint64_t a;
  if (!read(ctx, main_arena + next_offset, &a)) return 0;
  while (a != main_arena) {
    if (count == kMaxArenas) return 0;
    list[count++] = a;
    if (!read(ctx, a + next_offset, &a)) return 0;
  }
  size_t n = 0;
  for (uint32_t i = 0; i < count && n < READ_ARENA_HEAPS_MAX; ++i) {
    arena_heaps(read, ctx, list[i], count - i, top_offset, raw, at, out, &n);
  }
  return n;
}

size_t arena_heap_ranges(ArenaWordReader read, void* ctx, uint64_t main_arena, uint64_t next_offset,
                         uint64_t top_offset, struct ArenaHeapRange* out, size_t max) {
  size_t n = 0;
  uint64_t a, top, owner, size, last;
  if (main_arena == 0 || !read(ctx, main_arena + next_offset, &a)) return 0;
  for (int arenas = 0; a != main_arena && arenas < kMaxArenas; ++arenas) {
    if (!read(ctx, a + top_offset, &top)) break;
    uint64_t h = block_of(top);
    if (!read(ctx, h, &owner) || owner != a) h = block_of(a);
    for (int k = 0; k < kMaxHeaps && n < max; ++k) {
      if (!read(ctx, h, &owner) || owner != a || !read(ctx, h + 0x10, &size) || size < 0x10 ||
          size > READ_ARENA_HEAP_BYTES || !read(ctx, h + size - 8, &last)) {
        break;
      }
      out[n].start = h;
      out[n++].bytes = size;
      if (h == block_of(a) || !read(ctx, h + 8, &h)) break;
    }
    if (!read(ctx, a + next_offset, &a)) break;
  }
  return n;
}
