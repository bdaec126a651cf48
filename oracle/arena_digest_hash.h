/* How the digest hashes (arena_walk.h: arena_digest_event): the mix, a chunk reference as one
 * word, an event, and the fast path that hashes a whole list straight from memory. Static inline:
 * the walk (arena_walk.c) compiles them into the digest after every op with no call per event or
 * per chunk, and arena_digest.c into the rest of the digest. Plain C. */
#ifndef HEAPTWIN_ORACLE_ARENA_DIGEST_HASH_H_
#define HEAPTWIN_ORACLE_ARENA_DIGEST_HASH_H_

#include <string.h>

#include "oracle/arena_walk.h"
#include "oracle/arena_walk_internal.h"

static inline uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v;
  h *= 0xff51afd7ed558ccdull;
  return h ^ (h >> 32);
}

/* A chunk reference as one word for the digest: its kind, wildness, offset and size combined by
 * multiplications that do not depend on the running hash, so walking a list costs one mix a
 * chunk on the hash's chain (the pointer chase runs beside it). */
static inline uint64_t chunk_word(uint32_t kind, uint32_t wild, uint64_t offset, uint64_t size) {
  return ((uint64_t)kind << 32 | wild) ^ offset * 0x9e3779b97f4a7c15ull ^
         size * 0xc2b2ae3d27d4eb4full;
}

static inline int far_wild(const struct ArenaEvent* e) {
  return e->wild && e->code == ARENA_LINK_AS_READ &&
         (e->offset <= -ARENA_NEAR || e->offset >= ARENA_NEAR);
}

static inline uint64_t mix_text(uint64_t h, const char* text, size_t n) {
  for (size_t i = 0; i < n; ++i) h = mix(h, (unsigned char)text[i]);
  return mix(h, n);
}

/* A text into the digest (arena_digest_text). */
static inline void hash_text(struct ArenaDigest* d, uint32_t kind, const char* text, size_t n) {
  d->hash = mix_text(mix(d->hash, (uint64_t)kind << 32), text, n);
}

/* One event into the digest (arena_digest_event). */
static inline void hash_event(struct ArenaDigest* d, const struct ArenaEvent* e) {
  char text[160]; /* every text fits (the longest is under 80 characters) */
  size_t n;
  switch (e->kind) {
    /* Snapshots compare these as text (first_difference): so does the digest. */
    case ARENA_EV_INVALID:
      n = arena_invalid_text(e, text, sizeof text);
      hash_text(d, e->kind, text, n < sizeof text ? n : sizeof text - 1);
      return;
    case ARENA_EV_BROKEN:
      n = arena_broken_text(e, text, sizeof text);
      hash_text(d, e->kind, text, n < sizeof text ? n : sizeof text - 1);
      return;
    default: break;
  }
  uint64_t h = d->hash;
  switch (e->kind) {
    case ARENA_EV_CHUNK:
    case ARENA_EV_TOP:
    case ARENA_EV_LAST_REMAINDER:
      /* Wild pointers far from the heap are raw addresses of one process: any two agree. A
       * chunk of a thread's tcache in another arena's heap has that heap's name in `index`. */
      d->hash =
          mix(h, far_wild(e) ? (uint64_t)e->kind << 32 | 0xfa
                             : chunk_word(e->kind, e->wild | e->size_base << 8 | e->code << 16,
                                          (uint64_t)e->offset, e->size) ^
                                   (uint64_t)e->index * 0x94d049bb133111ebull);
      return;
    default: break;
  }
  h = mix(h, (uint64_t)e->kind << 32 | e->code);
  switch (e->kind) {
    case ARENA_EV_FIELDS:
      for (int i = 0; i < ARENA_FIELD_COUNT; ++i) h = mix(h, e->values[i]);
      break;
    case ARENA_EV_TCACHE_COUNT: h = mix(mix(h, e->index), e->value); break;
    case ARENA_EV_LIST:
    case ARENA_EV_THREAD: h = mix(h, e->index); break;
    case ARENA_EV_ARENA:
      h = mix(mix(mix(mix(h, e->index), e->value), (uint64_t)e->offset), e->size);
      break;
    default: break;
  }
  d->hash = h;
}

/* A list as the digest hashes it (arena_digest_event on its LIST, CHUNK and LIST_END events),
 * straight from memory, for a walk over this process's own memory (stable views): a few
 * instructions a chunk instead of an event each. Only lists that end normally take it (NULL, or
 * back at `stop`, every chunk inside the heap): at anything else (a wild, unaligned or unreadable
 * entry, a cycle, a list too long) it returns 0 having hashed nothing, and the exact walk
 * (follow) does the list. Cycles are caught by Brent's method, in O(1) memory. */
static inline int follow_digest_fast(struct Walk* w, struct ArenaDigest* d, uint32_t list,
                                     uint32_t index, uint64_t first, uint64_t link, int protect,
                                     int user_ptrs, uint64_t stop, int aligned) {
  const uint64_t base = w->where->heap_base, end = w->where->heap_end;
  uint64_t h = mix(mix(d->hash, (uint64_t)ARENA_EV_LIST << 32 | list), index);
  uint64_t p = first, n = 0;
  uint64_t tortoise = first, power = 1, steps = 0;
  while (p != 0 && (n == 0 || p != stop)) {
    if (w->cap != 0 && n >= w->cap) return 0; /* elided: the exact walk says so */
    const uint64_t chunk = user_ptrs ? p - 0x10 : p;
    if (chunk < base || chunk >= end || end - chunk < 0x10) return 0; /* wild */
    if (aligned && (p & 0xf) != 0) return 0;                          /* unaligned */
    const uint64_t pos = (user_ptrs ? p : chunk) + link;
    if (pos < base || pos > end - 8) return 0; /* link outside the heap */
    if (++n >= ARENA_MAX_LIST) return 0;
    uint64_t size, next;
    memcpy(&size, (const void*)(uintptr_t)(chunk + 8), 8);
    memcpy(&next, (const void*)(uintptr_t)pos, 8);
    if ((size & ~SIZE_BITS) >= end - base) return 0; /* no size: maybe an address (make_ref) */
    h = mix(h, chunk_word(ARENA_EV_CHUNK, 0, chunk - base, size & ~SIZE_BITS));
    p = protect ? (pos >> 12) ^ next : next;
    if (p == tortoise && p != 0 && p != stop) return 0; /* a cycle */
    if (++steps == power) {
      tortoise = p;
      power <<= 1;
      steps = 0;
    }
  }
  d->hash = mix(h, (uint64_t)ARENA_EV_LIST_END << 32);
  w->visited += n;
  return 1;
}

#endif /* HEAPTWIN_ORACLE_ARENA_DIGEST_HASH_H_ */
