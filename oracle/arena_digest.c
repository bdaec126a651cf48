/* The arena digest's public functions (arena_walk.h): an event, a text, a walk's digest, and the
 * paced digest of this process's own memory. The hashing is arena_digest_hash.h; the walk with
 * the digest as its sink is arena_walk.c's. Plain C, no allocation. */
#include "oracle/arena_digest_hash.h"
#include "oracle/arena_walk.h"
#include "oracle/arena_walk_internal.h"

void arena_digest_text(struct ArenaDigest* d, uint32_t kind, const char* text, size_t n) {
  hash_text(d, kind, text, n);
}

void arena_digest_event(struct ArenaDigest* d, const struct ArenaEvent* e) { hash_event(d, e); }

uint64_t arena_digest(const struct ArenaLayout* layout, const struct ArenaWhere* where,
                      ArenaViewFn view, void* view_ctx) {
  return arena_walk_digest(layout, where, view, view_ctx);
}

uint64_t arena_digest_here(const struct ArenaLayout* layout, const struct ArenaWhere* where) {
  uint64_t visited;
  return arena_walk_digest_here(layout, where, 0, &visited);
}

uint64_t arena_digest_here_paced(const struct ArenaLayout* layout, const struct ArenaWhere* where,
                                 struct ArenaDigestPace* pace) {
  uint64_t visited;
  pace->credit += ARENA_PACE_BUDGET;
  if (pace->credit > ARENA_PACE_CREDIT_MAX) pace->credit = ARENA_PACE_CREDIT_MAX;
  if (pace->last_full <= pace->credit) {
    const uint64_t hash = arena_walk_digest_here(layout, where, 0, &visited);
    pace->credit -= visited < pace->credit ? visited : pace->credit;
    pace->last_full = visited;
    return hash;
  }
  /* Tagged: a paced walk never hashes like a full one. */
  return mix(arena_walk_digest_here(layout, where, 1, &visited), 0x9aced);
}
