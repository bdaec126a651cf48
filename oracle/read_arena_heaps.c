/* read_arena_heaps.h. Facts from glibc 2.36 arena.c: the arena list runs from main_arena.next,
 * newest first (_int_new_arena pushes at the head); an arena's top lies in its newest heap, whose
 * heap_info.prev chain leads back to its first heap, the one holding the malloc_state right after
 * its heap_info; heap_info starts with ar_ptr, then prev. */
#include "oracle/read_arena_heaps.h"

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
  uint64_t h;
  const uint32_t heaps = arena_top_heap(read, ctx, arena, top_offset, &h);
  /* A heap's number counts from the first heap. */
  for (uint32_t i = 0; i < heaps && *n < READ_ARENA_HEAPS_MAX; ++i) {
    uint64_t bytes; /* heap_info.mprotect_size */
    if (!read(ctx, h + 0x18, &bytes) || bytes > READ_ARENA_HEAP_BYTES) return;
    if (relevant(h, bytes, raw, at)) {
      out[*n].start = h;
      out[*n].bytes = bytes;
      out[*n].arena = number;
      out[*n].heap = heaps - 1 - i;
      ++*n;
    }
    if (i + 1 < heaps && !read(ctx, h + 8, &h)) return;
  }
}

size_t read_arena_heaps(ArenaWordReader read, void* ctx, uint64_t main_arena, uint64_t next_offset,
                        uint64_t top_offset, uint64_t raw, uint64_t at, struct ReadArenaHeap* out) {
  uint64_t list[ARENA_LIST_MAX];
  const int count = arena_list(read, ctx, main_arena, next_offset, list);
  size_t n = 0;
  for (int i = 0; i < count && n < READ_ARENA_HEAPS_MAX; ++i) {
    arena_heaps(read, ctx, list[i], (uint32_t)(count - i), top_offset, raw, at, out, &n);
  }
  return n;
}

size_t arena_heap_ranges(ArenaWordReader read, void* ctx, uint64_t main_arena, uint64_t next_offset,
                         uint64_t top_offset, struct ArenaHeapRange* out, size_t max) {
  uint64_t list[ARENA_LIST_MAX];
  const int count = arena_list(read, ctx, main_arena, next_offset, list);
  size_t n = 0;
  for (int i = 0; i < count; ++i) {
    uint64_t h, size, last;
    const uint32_t heaps = arena_top_heap(read, ctx, list[i], top_offset, &h);
    for (uint32_t k = 0; k < heaps && n < max; ++k) {
      if (!read(ctx, h + 0x10, &size) || size < 0x10 || size > READ_ARENA_HEAP_BYTES ||
          !read(ctx, h + size - 8, &last)) {
        break;
      }
      out[n].start = h;
      out[n++].bytes = size;
      if (k + 1 < heaps && !read(ctx, h + 8, &h)) break;
    }
  }
  return n;
}
