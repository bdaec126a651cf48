/* How every side names a chunk of a non-main arena's heap (a thread's): by its arena, numbered
 * by creation order, by which of that arena's heaps holds it, and by its offset from that heap's
 * start (its heap_info). Where the kernel maps heaps differs from process to process; these do
 * not (trace.h, OutcomeKind::kArenaPointer). The real-glibc runner and the twin side both call
 * this, each reading its own process's memory. Plain C, no allocation. */
#ifndef HEAPTWIN_ORACLE_ARENA_CHUNK_NAME_H_
#define HEAPTWIN_ORACLE_ARENA_CHUNK_NAME_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* HEAP_MAX_SIZE on 64-bit: every non-main heap starts at a multiple of it. */
#define ARENA_HEAP_ALIGNMENT (64ull << 20)

/* Reads the word at `address` into *out; 0 when it cannot be read (a forged pointer). */
typedef int (*ArenaWordReader)(void* ctx, uint64_t address, uint64_t* out);

/* The arenas on main_arena's list but main_arena itself (threads'), newest first
 * (main_arena.next first), into list[ARENA_LIST_MAX]: how many, or -1 when the list does not come
 * back to main_arena within ARENA_LIST_MAX steps or a link cannot be read (a forged list).
 * `next_offset`: malloc_state's `next` field. */
#define ARENA_LIST_MAX 64
int arena_list(ArenaWordReader read, void* ctx, uint64_t main_arena, uint64_t next_offset,
               uint64_t* list);

/* The heap of the arena at `arena` that its top lies in, into *top_heap, and how many heaps its
 * prev chain holds from there back to the arena's first, each heap_info naming the arena; 0 when
 * that chain is broken (a forged top, heap_info or list names nothing). */
uint32_t arena_top_heap(ArenaWordReader read, void* ctx, uint64_t arena, uint64_t top_offset,
                        uint64_t* top_heap);

struct ArenaChunkName {
  uint32_t arena;  /* 1: the first arena made after main_arena */
  uint32_t heap;   /* 0: the heap holding the arena's malloc_state; k: the k-th heap after it */
  uint64_t offset; /* the user pointer's distance from its heap's start */
};

/* Names `pointer` (a user pointer whose chunk has NON_MAIN_ARENA and not IS_MMAPPED) when its
 * heap's heap_info names an arena on main_arena's list and its prev chain reaches that arena's
 * first heap; 0 otherwise. `next_offset`: malloc_state's `next` field. */
int arena_chunk_name(ArenaWordReader read, void* ctx, uint64_t main_arena, uint64_t next_offset,
                     uint64_t pointer, struct ArenaChunkName* out);

#ifdef __cplusplus
}
#endif

#endif /* HEAPTWIN_ORACLE_ARENA_CHUNK_NAME_H_ */
