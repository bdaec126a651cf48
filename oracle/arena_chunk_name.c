/* arena_chunk_name.h. Facts from glibc 2.36 arena.c: _int_new_arena pushes each new arena at the
 * head of main_arena.next (so the oldest is last before the list comes back to main_arena);
 * heap_info starts with ar_ptr, then prev (the heap before it, 0 for the first); a non-main
 * arena's malloc_state lies in its first heap, right after that heap's heap_info. */
#include "oracle/arena_chunk_name.h"

enum { kMaxArenas = 64, kMaxHeaps = 4096 };

/* The arena's number by creation order; 0 when it is not on the list. */
static uint32_t arena_number(ArenaWordReader read, void* ctx, uint64_t main_arena,
                             uint64_t next_offset, uint64_t arena) {
  uint64_t list[kMaxArenas];
  uint32_t n = 0;
  uint64_t a;
  if (!read(ctx, main_arena + next_offset, &a)) return 0;
  while (a != main_arena) {
    uint64_t next;
    if (n == kMaxArenas || !read(ctx, a + next_offset, &next)) return 0;
    list[n++] = a;
    a = next;
  }
  for (uint32_t i = 0; i < n; ++i) {
    if (list[i] == arena) return n - i;
  }
  return 0;
}

int arena_chunk_name(ArenaWordReader read, void* ctx, uint64_t main_arena, uint64_t next_offset,
                     uint64_t pointer, struct ArenaChunkName* out) {
  const uint64_t heap = pointer & ~(ARENA_HEAP_ALIGNMENT - 1);
  uint64_t arena;
  if (main_arena == 0 || !read(ctx, heap, &arena)) return 0; /* heap_info.ar_ptr */
  const uint32_t number = arena_number(read, ctx, main_arena, next_offset, arena);
  if (number == 0) return 0;
  uint64_t first = heap;
  uint32_t index = 0;
  for (uint64_t prev; index < kMaxHeaps && read(ctx, first + 8, &prev) && prev != 0; ++index) {
    first = prev; /* heap_info.prev */
  }
  if (first != (arena & ~(ARENA_HEAP_ALIGNMENT - 1))) return 0;
  out->arena = number;
  out->heap = index;
  out->offset = pointer - heap;
  return 1;
}
