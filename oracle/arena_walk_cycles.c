/* The cycle check of long lists (arena_walk.c: follow): a table of the chunk addresses met in the
 * list being walked, stamped per list so that a new list needs no clearing. Mapped on first need
 * (arena_walk_reserve_scratch); one per thread. Plain C. */
#include <sys/mman.h>

#include "oracle/arena_walk.h"
#include "oracle/arena_walk_internal.h"

struct SeenSlot {
  uint64_t addr;
  uint64_t stamp;
};
#define SEEN_BITS 18 /* 262,144 slots: ARENA_MAX_LIST entries at under 40% load */
/* One table per thread; in the glibc runner one (it walks from its main thread only): a TLS
 * block of the runner's own would make every thread's dtv, which pthread_create callocs in the
 * measured heap, larger than a plain C program's (runner_threads.c). */
#ifdef ARENA_WALK_ONE_THREAD
#define ARENA_WALK_PER_THREAD
#else
#define ARENA_WALK_PER_THREAD _Thread_local
#endif
static ARENA_WALK_PER_THREAD struct SeenSlot* seen_table;
static ARENA_WALK_PER_THREAD uint64_t seen_stamp;

void arena_walk_reserve_scratch(void) {
  if (seen_table != NULL) return;
  void* m = mmap(NULL, sizeof(struct SeenSlot) << SEEN_BITS, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m != MAP_FAILED) seen_table = (struct SeenSlot*)m;
}

int arena_walk_seen_before(uint64_t addr) {
  if (seen_table == NULL) return 0;
  uint64_t i = (addr * 0x9e3779b97f4a7c15ull) >> (64 - SEEN_BITS);
  for (;;) {
    struct SeenSlot* s = &seen_table[i];
    if (s->stamp != seen_stamp) {
      s->stamp = seen_stamp;
      s->addr = addr;
      return 0;
    }
    if (s->addr == addr) return 1;
    i = (i + 1) & ((1u << SEEN_BITS) - 1);
  }
}

void arena_walk_seen_new_list(void) {
  arena_walk_reserve_scratch();
  ++seen_stamp;
}
