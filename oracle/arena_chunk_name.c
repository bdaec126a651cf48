/* arena_chunk_name.h. Facts from glibc 2.36 arena.c: _int_new_arena pushes each new arena at the
 * head of main_arena.next (so the oldest is last before the list comes back to main_arena);
 * heap_info starts with ar_ptr, then prev (the heap before it, 0 for the first); a non-main
 * arena's malloc_state lies in its first heap, right after that heap's heap_info. */
#include "oracle/arena_chunk_name.h"

enum { kMaxHeaps = 4096 };

static uint64_t heap_of(uint64_t address) { return address & ~(ARENA_HEAP_ALIGNMENT - 1); }

int arena_list(ArenaWordReader read, void* ctx, uint64_t main_arena, uint64_t next_offset,
               uint64_t* list) {
  int n = 0;
  uint64_t a;
  if (main_arena == 0 || !read(ctx, main_arena + next_offset, &a)) return -1;
  while (a != main_arena) {
    if (n == ARENA_LIST_MAX) return -1;
    list[n++] = a;
    if (!read(ctx, a + next_offset, &a)) return -1;
  }
  return n;
}

uint32_t arena_top_heap(ArenaWordReader read, void* ctx, uint64_t arena, uint64_t top_offset,
                        uint64_t* top_heap) {
  uint64_t top, owner;
  if (!read(ctx, arena + top_offset, &top)) return 0;
  const uint64_t first = heap_of(arena);
  const uint64_t h = heap_of(top);
  *top_heap = h;
  uint32_t heaps = 1;
  for (uint64_t at = h;; ++heaps) {
    if (heaps > kMaxHeaps || !read(ctx, at, &owner) || owner != arena) return 0;
    if (at == first) return heaps;
    if (!read(ctx, at + 8, &at) || at != heap_of(at)) return 0; /* heap_info.prev */
  }
}

/* The arena's number by creation order; 0 when it is not on the list. */
static uint32_t arena_number(ArenaWordReader read, void* ctx, uint64_t main_arena,
                             uint64_t next_offset, uint64_t arena) {
  uint64_t list[ARENA_LIST_MAX];
  const int n = arena_list(read, ctx, main_arena, next_offset, list);
  for (int i = 0; i < n; ++i) {
    if (list[i] == arena) return (uint32_t)(n - i);
  }
  return 0;
}

int arena_chunk_name(ArenaWordReader read, void* ctx, uint64_t main_arena, uint64_t next_offset,
                     uint64_t pointer, struct ArenaChunkName* out) {
  const uint64_t heap = heap_of(pointer);
  uint64_t arena;
  if (main_arena == 0 || !read(ctx, heap, &arena)) return 0; /* heap_info.ar_ptr */
  const uint32_t number = arena_number(read, ctx, main_arena, next_offset, arena);
  if (number == 0) return 0;
  uint64_t first = heap;
  uint32_t index = 0;
  for (uint64_t prev; index < kMaxHeaps && read(ctx, first + 8, &prev) && prev != 0; ++index) {
    first = prev; /* heap_info.prev */
  }
  if (first != heap_of(arena)) return 0;
  out->arena = number;
  out->heap = index;
  out->offset = pointer - heap;
  return 1;
}
