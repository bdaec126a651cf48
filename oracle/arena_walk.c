/* The arena walk (arena_walk.h). Placeholder until the walk lands: digests are 0. */
#include "oracle/arena_walk.h"

void arena_walk(const struct ArenaLayout* layout, const struct ArenaWhere* where,
                ArenaViewFn view, void* view_ctx, ArenaEventFn sink, void* sink_ctx) {
  (void)layout; (void)where; (void)view; (void)view_ctx; (void)sink; (void)sink_ctx;
}

uint64_t arena_digest(const struct ArenaLayout* layout, const struct ArenaWhere* where,
                      ArenaViewFn view, void* view_ctx) {
  (void)layout; (void)where; (void)view; (void)view_ctx;
  return 0;
}

uint64_t arena_digest_here(const struct ArenaLayout* layout, const struct ArenaWhere* where) {
  (void)layout; (void)where;
  return 0;
}
