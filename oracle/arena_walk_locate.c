/* Where the arena walk (arena_walk.c) finds its parts, and the checks that tell an arena from a
 * wrong location before anything is reported: main_arena, mp_, global_max_fast and the tcache
 * struct are read once (copied out unless the view's pointers stay valid), mp_ must know the
 * heap, top must lie in it, the bin heads must be empty or point into it. Values only cross
 * into this file (no struct Walk): the digest inlines the walk's view and sink, which a Walk
 * whose address reached another file would stop (arena_walk_internal.h). Plain C. */
#include <string.h>

#include "oracle/arena_chunk_name.h"
#include "oracle/arena_walk.h"
#include "oracle/arena_walk_internal.h"

struct Reader {
  ArenaViewFn view;
  void* view_ctx;
  int stable_views;
};

static int read_at(const struct Reader* r, uint64_t addr, uint64_t* out) {
  const void* p = r->view(r->view_ctx, addr, 8);
  if (p == NULL) return 0;
  memcpy(out, p, 8);
  return 1;
}

/* A location that is not an arena: why (ARENA_INVALID_*), and the value the event carries. */
static uint32_t fail(uint32_t code, uint64_t value, uint64_t* invalid_value) {
  *invalid_value = value;
  return code;
}

/* `n` bytes at `addr` into *out: the view's own pointer when it stays valid, else a copy. */
static int take(const struct Reader* r, uint64_t addr, uint64_t n, unsigned char* copy,
                const unsigned char** out) {
  const void* p = r->view(r->view_ctx, addr, n);
  if (p == NULL) return 0;
  if (r->stable_views) {
    *out = (const unsigned char*)p;
  } else {
    memcpy(copy, p, n);
    *out = copy;
  }
  return 1;
}

/* The tcache struct at `tcache` into c->tc; 0 when it cannot be read. */
static inline int take_tcache(const struct ArenaLayout* l, const struct Reader* r, uint64_t tcache,
                              struct Copies* c) {
  const uint64_t bytes = tcache_struct_bytes(l);
  if (bytes > sizeof c->tc_copy || !take(r, tcache, bytes, c->tc_copy, &c->tc)) return 0;
  /* 2.43: a tcache of zeros is __tcache_dummy (inactive until the first free, or disabled);
   * a live one has num_slots of tcache_count (above 0) where its lists are empty. */
  if (l->tcache_num_slots) {
    uint64_t any = 0;
    for (uint64_t i = 0; i < bytes; i += 8) any |= load_u64(c->tc, i);
    if (any == 0) c->have_tcache = 0;
  }
  return 1;
}

uint32_t arena_walk_locate(const struct ArenaLayout* l, const struct ArenaWhere* where,
                           ArenaViewFn view, void* view_ctx, int stable_views, int other,
                           struct Copies* c, uint64_t* invalid_value) {
  const struct Reader reader = {view, view_ctx, stable_views};
  const struct Reader* r = &reader;
  if (where->arena == 0 || where->mp == 0 || (l->has_fastbins && where->global_max_fast == 0)) {
    return fail(ARENA_INVALID_NOT_LOCATED, 0, invalid_value);
  }
  if (where->heap_end < where->heap_base) {
    return fail(ARENA_INVALID_HEAP_END, 0, invalid_value);
  }
  if (l->arena_bytes > sizeof c->av_copy || l->mp_bytes > sizeof c->mp_copy) {
    return fail(ARENA_INVALID_NOT_LOCATED, 0, invalid_value);
  }
  if (!take(r, where->arena, l->arena_bytes, c->av_copy, &c->av)) {
    return fail(ARENA_INVALID_ARENA_UNREADABLE, where->arena, invalid_value);
  }
  if (!take(r, where->mp, l->mp_bytes, c->mp_copy, &c->mp)) {
    return fail(ARENA_INVALID_MP_UNREADABLE, where->mp, invalid_value);
  }
  c->global_max_fast = 0;
  if (l->has_fastbins && !read_at(r, where->global_max_fast, &c->global_max_fast)) {
    return fail(ARENA_INVALID_MAX_FAST_UNREADABLE, where->global_max_fast, invalid_value);
  }
  const int heap_exists = where->heap_end > where->heap_base;
  /* Self-check of the location: mp_ knows where the (brk) heap starts, and small sane counts. */
  const uint64_t sbrk_base = load_u64(c->mp, l->mp_sbrk_base);
  if (!other && heap_exists && sbrk_base != where->heap_base) {
    return fail(ARENA_INVALID_SBRK_BASE, sbrk_base - where->heap_base, invalid_value);
  }
  if (!other && !heap_exists && sbrk_base != 0) {
    return fail(ARENA_INVALID_SBRK_NO_HEAP, 0, invalid_value);
  }
  if (l->has_tcache && load_u64(c->mp, l->mp_tcache_bins) > tcache_bins_of(l)) {
    return fail(ARENA_INVALID_TCACHE_BINS, load_u64(c->mp, l->mp_tcache_bins), invalid_value);
  }
  if (c->global_max_fast > 0xb0) {
    return fail(ARENA_INVALID_MAX_FAST, c->global_max_fast, invalid_value);
  }
  /* Top: glibc's initial_top (the unsorted bin head) until the heap exists. */
  const uint64_t top = load_u64(c->av, l->top);
  if (top == 0 || top == bin_at(l, where->arena, 1)) {
    if (heap_exists) {
      return fail(ARENA_INVALID_TOP_NO_HEAP, 0, invalid_value);
    }
  } else {
    if (!in_heap(where, top)) {
      return fail(ARENA_INVALID_TOP_OUTSIDE, top - where->heap_base, invalid_value);
    }
    uint64_t size = 0;
    if (read_at(r, top + 8, &size)) size &= ~SIZE_BITS;
    if (top + size > where->heap_end) {
      return fail(ARENA_INVALID_TOP_PAST_END, 0, invalid_value);
    }
  }
  /* Bin heads: each is 0 (arena not initialised), itself (empty) or a heap chunk. fd words lie
   * 16 bytes apart, and an empty bin's fd is its own pseudo-chunk, 16 bytes below the word. */
  uint64_t odd = 0;
  c->nonempty[0] = c->nonempty[1] = 0;
  const unsigned char* fds = c->av + l->bins;
  const uint64_t self = where->arena + l->bins - 0x10;
  for (int i = 1; i < kBins - 1; ++i) {
    const uint64_t fd = load_u64(fds, (uint64_t)(i - 1) * 0x10);
    if (fd == 0 || fd == self + (uint64_t)(i - 1) * 0x10) continue;
    c->nonempty[i >> 6] |= (uint64_t)1 << (i & 63);
    odd += !in_heap(where, fd);
  }
  if (odd > 2) {
    return fail(ARENA_INVALID_ODD_HEADS, odd, invalid_value);
  }
  c->have_tcache = !other && l->has_tcache && where->tcache != 0;
  if (c->have_tcache && !take_tcache(l, r, where->tcache, c)) {
    return fail(ARENA_INVALID_TCACHE_UNREADABLE, where->tcache - where->heap_base, invalid_value);
  }
  return 0;
}

int arena_walk_locate_tcache(const struct ArenaLayout* l, uint64_t tcache, ArenaViewFn view,
                             void* view_ctx, int stable_views, struct Copies* c) {
  const struct Reader r = {view, view_ctx, stable_views};
  c->have_tcache = 1;
  return take_tcache(l, &r, tcache, c);
}

/* ---- the other arenas ---------------------------------------------------------------------- */

/* The view as the word reader the arena list and heap chains are followed with
 * (arena_chunk_name.h). */
static int view_word(void* ctx, uint64_t address, uint64_t* out) {
  return read_at((const struct Reader*)ctx, address, out);
}

uint32_t arena_walk_list_arenas(const struct ArenaLayout* l, uint64_t main_arena, ArenaViewFn view,
                                void* view_ctx, uint64_t* arenas) {
  struct Reader r = {view, view_ctx, 0};
  const int count = arena_list(view_word, &r, main_arena, l->binmap + 16, arenas);
  return count < 0 ? ARENA_LIST_BROKEN : (uint32_t)count;
}

int arena_walk_other_where(const struct ArenaLayout* l, const struct ArenaWhere* main_where,
                           uint64_t arena, ArenaViewFn view, void* view_ctx,
                           struct ArenaWhere* where, struct ArenaEvent* header) {
  struct Reader r = {view, view_ctx, 0};
  uint64_t h, size, mprotect_size, last, attached;
  const uint32_t heaps = arena_top_heap(view_word, &r, arena, l->top, &h);
  /* heap_info: ar_ptr, prev, size, mprotect_size; malloc_state ends binmap, next, next_free,
   * attached_threads. */
  if (heaps == 0 || !read_at(&r, h + 0x10, &size) || !read_at(&r, h + 0x18, &mprotect_size) ||
      size < 0x10 || size > ARENA_HEAP_ALIGNMENT || !read_at(&r, h + size - 8, &last) ||
      !read_at(&r, arena + l->binmap + 32, &attached)) {
    return 0;
  }
  *where = *main_where;
  where->heap_base = h;
  where->heap_end = h + size;
  where->arena = arena;
  where->tcache = 0;
  where->heap_block_only = 1;
  header->value = heaps;
  header->offset = (int64_t)size;
  header->code = (uint32_t)(mprotect_size >> 12);
  header->size = attached;
  return 1;
}

uint32_t arena_walk_name_chunk(const struct ArenaLayout* l, uint64_t main_arena, ArenaViewFn view,
                               void* view_ctx, uint64_t chunk, int64_t* offset, uint64_t* size) {
  struct Reader r = {view, view_ctx, 0};
  struct ArenaChunkName name;
  if (!arena_chunk_name(view_word, &r, main_arena, l->binmap + 16, chunk, &name)) return 0;
  *offset = (int64_t)name.offset;
  *size = 0;
  if (read_at(&r, chunk + 8, size)) *size &= ~SIZE_BITS;
  if (*size >= ARENA_HEAP_ALIGNMENT) *size = 0; /* no chunk of a non-main heap is so large */
  return ARENA_CHUNK_HEAP(name.arena, name.heap);
}
