/* The chunks glibc handed out in this Program and has not taken back: the pointers malloc, calloc,
 * realloc and the memalign family returned, less those free and realloc took.
 *
 * Why: on a heap the Program has not written, glibc reads only memory it keeps (below its break)
 * while it frees or reallocates a live chunk. A pointer it does not hold (a dangling one, freed
 * before; a value read from memory) makes it follow stale sizes and links wherever they point,
 * past its break too, where a fresh process faults (found by fuzzing: realloc of a freed chunk
 * read the size word above the break). runner_ops.c puts the kernel's break back at glibc's
 * before such an op (runner_brk.c).
 *
 * An open-addressing set in a fixed table, emptied for each Program by a generation number (no
 * clearing). When it fills up, it stops answering "live" (every pointer is then treated as one
 * glibc does not hold: correct, only slower). */
#include <stdint.h>

#include "oracle/glibc/runner_internal.h"

#define LIVE_SLOTS (1u << 15) /* a power of two */
#define TOMBSTONE 1u          /* a pointer removed; glibc never hands out address 1 */

struct LiveEntry {
  uint64_t pointer; /* 0: empty (in this generation), TOMBSTONE: removed */
  uint32_t generation;
};

static struct LiveEntry table[LIVE_SLOTS];
static uint32_t generation = 1;
static uint32_t used; /* entries of this generation, tombstones included */
static int full;

static uint32_t slot_of(uint64_t p) {
  return (uint32_t)((p >> 4) * 0x9e3779b97f4a7c15ull >> 49) & (LIVE_SLOTS - 1);
}

static int empty(const struct LiveEntry* e) {
  return e->generation != generation || e->pointer == 0;
}

void runner_live_begin(void) {
  ++generation;
  used = 0;
  full = 0;
}

/* The entry holding p, or NULL. */
static struct LiveEntry* find(uint64_t p) {
  for (uint32_t i = slot_of(p), n = 0; n < LIVE_SLOTS; i = (i + 1) & (LIVE_SLOTS - 1), ++n) {
    struct LiveEntry* e = &table[i];
    if (empty(e)) return NULL;
    if (e->pointer == p) return e;
  }
  return NULL;
}

void runner_live_add(uint64_t p) {
  if (p == 0 || full) return;
  if (used >= LIVE_SLOTS / 2) {
    full = 1;
    return;
  }
  for (uint32_t i = slot_of(p);; i = (i + 1) & (LIVE_SLOTS - 1)) {
    struct LiveEntry* e = &table[i];
    if (empty(e)) {
      e->pointer = p;
      e->generation = generation;
      ++used;
      return;
    }
    if (e->pointer == p) return;
  }
}

int runner_live_has(uint64_t p) { return !full && find(p) != NULL; }

void runner_live_remove(uint64_t p) {
  struct LiveEntry* e = find(p);
  if (e != NULL) e->pointer = TOMBSTONE;
}
