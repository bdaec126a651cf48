/* The arena walk (arena_walk.h): chunk references, the list walks with their cycle checks, and
 * the arena's parts in the walk's order, once arena_walk_locate.c has found them; last, the walk
 * compiled with the digest as its sink. Plain C, no allocation (the cycle check of long lists
 * has its table in arena_walk_cycles.c). */
#include <string.h>

#include "oracle/arena_digest_hash.h"
#include "oracle/arena_walk.h"
#include "oracle/arena_walk_internal.h"

/* ---- chunk references --------------------------------------------------------------------- */

/* A chunk reference (ChunkRef): heap-relative inside the heap (with its size), heap-relative
 * but wild near it, raw far from it. */
static void make_ref(const struct Walk* w, uint64_t chunk, struct ArenaEvent* e) {
  const struct ArenaWhere* where = w->where;
  e->offset = (int64_t)(chunk - where->heap_base);
  e->size = 0;
  e->wild = 0;
  e->size_base = ARENA_SIZE_RAW;
  if (in_heap(where, chunk)) {
    uint64_t size;
    if (read_u64(w, chunk + 8, &size)) e->size = size & ~SIZE_BITS;
    if (e->size >= where->heap_base && e->size < where->heap_end) {
      e->size -= where->heap_base;
      e->size_base = ARENA_SIZE_HEAP;
    } else if (e->size >= where->arena && e->size - where->arena < w->layout->arena_bytes) {
      e->size -= where->arena;
      e->size_base = ARENA_SIZE_ARENA;
    }
  } else {
    e->wild = 1;
    if (!is_near(where, chunk)) e->offset = (int64_t)chunk;
  }
}

/* An entry of a thread's tcache (walk_threads): as make_ref, but a chunk in a heap of another
 * arena is named by that heap (ARENA_CHUNK_HEAP), not wild: a thread caches its own arena's
 * chunks, which lie where mmap put that arena's heaps. */
static void make_thread_ref(const struct Walk* w, uint64_t chunk, struct ArenaEvent* e) {
  make_ref(w, chunk, e);
  if (!e->wild) return;
  int64_t offset;
  uint64_t size;
  const uint32_t heap = arena_walk_name_chunk(w->layout, w->where->arena, w->view, w->view_ctx,
                                              chunk, &offset, &size);
  if (heap == 0) return;
  e->wild = 0;
  e->index = heap;
  e->offset = offset;
  e->size = size;
}

/* An event without a chunk in it: its kind, and code, index and value where it has them. Not in
 * follow(), which reuses one event for the whole list: there, this made the walk 1.8% more
 * instructions (callgrind). */
static inline void emit_event(const struct Walk* w, uint32_t kind, uint32_t code, uint32_t index,
                              uint64_t value) {
  struct ArenaEvent e;
  memset(&e, 0, sizeof e);
  e.kind = kind;
  e.code = code;
  e.index = index;
  e.value = value;
  emit(w, &e);
}

/* ---- lists -------------------------------------------------------------------------------- */

static void broken(const struct Walk* w, uint32_t code, uint64_t where_addr) {
  struct ArenaEvent e;
  memset(&e, 0, sizeof e);
  e.kind = ARENA_EV_BROKEN;
  e.code = code;
  if (code != ARENA_BROKEN_TOO_LONG && is_near(w->where, where_addr)) {
    e.near = 1;
    e.offset = (int64_t)(where_addr - w->where->heap_base);
  }
  emit(w, &e);
}

/* The digest's sink (below): a walk over stable views that reports to it hands whole lists to the
 * digest's fast path (arena_digest_hash.h: follow_digest_fast). */
static void digest_sink(void* ctx, const struct ArenaEvent* e);

/* Follows a singly linked list from `first`. `link`: offset of the next pointer in the chunk;
 * `user_ptrs`: entries are user pointers (tcache), not chunk addresses; `stop`: the walk ends
 * when it comes back to it (circular lists); `aligned`: an unaligned entry ends the walk.
 * Returns 1 when a paced walk left the list's rest unwalked (ELIDED). */
static int follow(struct Walk* w, uint32_t list, uint32_t index, uint64_t first, uint64_t link,
                  int protect, int user_ptrs, uint64_t stop, int aligned) {
  if (w->stable_views && w->sink == digest_sink &&
      follow_digest_fast(w, (struct ArenaDigest*)w->sink_ctx, list, index, first, link, protect,
                         user_ptrs, stop, aligned)) {
    return 0;
  }
  struct ArenaEvent e;
  memset(&e, 0, sizeof e);
  e.kind = ARENA_EV_LIST;
  e.code = list;
  e.index = index;
  emit(w, &e);
  uint64_t p = first;
  uint64_t src = 0; /* where p was read from (0: the head) */
  uint32_t n = 0;
  int hashing = 0, elided = 0;
  while (p != 0 && (n == 0 || p != stop)) {
    if (w->cap != 0 && n >= w->cap) {
      memset(&e, 0, sizeof e);
      e.kind = ARENA_EV_ELIDED;
      emit(w, &e);
      elided = 1;
      break;
    }
    const uint64_t chunk = user_ptrs ? p - 0x10 : p;
    /* A chunk met before ends the walk there (it is not reported twice). */
    int again = 0;
    if (n < kLinearCycleCheck) {
      for (uint32_t k = 0; k < n && !again; ++k) again = w->recent[k] == chunk;
    } else {
      if (!hashing) {
        arena_walk_seen_new_list();
        for (uint32_t k = 0; k < kLinearCycleCheck; ++k) arena_walk_seen_before(w->recent[k]);
        hashing = 1;
      }
      again = arena_walk_seen_before(chunk);
    }
    if (again) {
      broken(w, ARENA_BROKEN_CYCLE, chunk);
      break;
    }
    memset(&e, 0, sizeof e);
    e.kind = ARENA_EV_CHUNK;
    if (w->thread_refs) {
      make_thread_ref(w, chunk, &e);
    } else {
      make_ref(w, chunk, &e);
    }
    if (!e.wild && aligned && (p & 0xf) != 0) e.size = 0; /* not a chunk glibc would accept */
    if (e.wild && src != 0) {
      const uint64_t other = (src >> 12) ^ p;
      const uint64_t other_chunk = user_ptrs ? other - 0x10 : other;
      if (in_heap(w->where, other_chunk)) {
        e.code = protect ? ARENA_LINK_PLAIN : ARENA_LINK_SAFE_LINKED;
        e.offset = (int64_t)(other_chunk - w->where->heap_base);
      }
    }
    emit(w, &e);
    if (n < kLinearCycleCheck) w->recent[n] = chunk;
    ++n;
    ++w->visited;
    if (e.wild) {
      /* Read the other way (safe-linked <-> plain), is it a heap chunk? */
      const uint64_t other = src != 0 ? (src >> 12) ^ p : 0;
      const uint64_t other_chunk = user_ptrs ? other - 0x10 : other;
      if (src != 0 && in_heap(w->where, other_chunk)) {
        broken(w, protect ? ARENA_BROKEN_PLAIN : ARENA_BROKEN_SAFE_LINKED, other);
      } else {
        broken(w, ARENA_BROKEN_WILD, p);
      }
      break;
    }
    if (aligned && (p & 0xf) != 0) {
      broken(w, ARENA_BROKEN_UNALIGNED, p);
      break;
    }
    if (n >= ARENA_MAX_LIST) {
      broken(w, ARENA_BROKEN_TOO_LONG, 0);
      break;
    }
    const uint64_t pos = (user_ptrs ? p : chunk) + link;
    uint64_t stored;
    if (!read_u64(w, pos, &stored)) {
      broken(w, ARENA_BROKEN_UNREADABLE, pos);
      break;
    }
    p = protect ? (pos >> 12) ^ stored : stored;
    src = pos;
  }
  memset(&e, 0, sizeof e);
  e.kind = ARENA_EV_LIST_END;
  emit(w, &e);
  return elided;
}

/* ---- the arena ---------------------------------------------------------------------------- */

static void invalid(const struct Walk* w, uint32_t code, uint64_t value) {
  emit_event(w, ARENA_EV_INVALID, code, 0, value);
}

static void walk_tcache(struct Walk* w, const struct Copies* c) {
  const struct ArenaLayout* l = w->layout;
  emit_event(w, ARENA_EV_TCACHE_PRESENT, 0, 0, 0);
  const int bins = (int)tcache_bins_of(l);
  if (l->tcache_num_slots) {
    /* 2.42+: num_slots[i] counts down from mp_.tcache_count (tcache_init); the count is what
     * the tcache holds. */
    const uint64_t fill = load_u64(c->mp, l->mp_tcache_count);
    for (int i = 0; i < bins; ++i) {
      uint16_t slots;
      memcpy(&slots, c->tc + 2 * i, 2);
      const uint16_t count = (uint16_t)(fill - slots);
      if (count != 0) emit_event(w, ARENA_EV_TCACHE_COUNT, 0, (uint32_t)i, count);
    }
  }
  /* Most bins are empty: skip runs of zero counts eight bytes at a time. */
  const int count_bytes = l->tcache_count_bytes == 2 ? 2 : 1;
  for (int i = 0; i < bins && !l->tcache_num_slots; ++i) {
    if ((i * count_bytes) % 8 == 0 && load_u64(c->tc, (uint64_t)(i * count_bytes)) == 0) {
      i += 8 / count_bytes - 1;
      continue;
    }
    uint16_t count16;
    memcpy(&count16, c->tc + 2 * i, 2);
    const uint64_t count = count_bytes == 2 ? count16 : c->tc[i];
    if (count != 0) emit_event(w, ARENA_EV_TCACHE_COUNT, 0, (uint32_t)i, count);
  }
  for (int i = 0; i < bins; ++i) {
    const uint64_t head = load_u64(c->tc, l->tcache_entries + 8 * (uint64_t)i);
    if (head != 0) follow(w, ARENA_LIST_TCACHE, (uint32_t)i, head, 0, l->safe_linking, 1, 0, 1);
  }
}

static void walk_bins(struct Walk* w, const struct Copies* c) {
  const struct ArenaLayout* l = w->layout;
  for (int i = 0; i < kFastBins && l->has_fastbins; ++i) {
    const uint64_t head = load_u64(c->av, l->fastbins + 8 * (uint64_t)i);
    if (head != 0) follow(w, ARENA_LIST_FASTBIN, (uint32_t)i, head, 0x10, l->safe_linking, 0, 0, 1);
  }
  for (int word = 0; word < 2; ++word) {
    for (uint64_t bits = c->nonempty[word]; bits != 0; bits &= bits - 1) {
      const int i = word * 64 + __builtin_ctzll(bits);
      const uint64_t head = bin_at(l, w->where->arena, i);
      const uint64_t fd = load_u64(c->av, l->bins + (uint64_t)(i - 1) * 0x10);
      if (follow(w, ARENA_LIST_BIN, (uint32_t)i, fd, 0x10, 0, 0, head, 0)) {
        /* Paced and cut short: the bin's other end too (where small bins and the unsorted
         * scan take from). */
        const uint64_t bk = load_u64(c->av, l->bins + (uint64_t)(i - 1) * 0x10 + 8);
        follow(w, ARENA_LIST_BIN_TAIL, (uint32_t)i, bk, 0x18, 0, 0, head, 0);
      }
      /* The nextsize ring starts at the bin's first (largest) chunk and returns to it. */
      if (i >= 64 && in_heap(w->where, fd)) {
        follow(w, ARENA_LIST_NEXTSIZE, (uint32_t)i, fd, 0x20, 0, 0, fd, 0);
      }
    }
  }
}

static void walk_rest(struct Walk* w, const struct Copies* c) {
  const struct ArenaLayout* l = w->layout;
  const struct ArenaWhere* where = w->where;
  struct ArenaEvent e;
  const uint64_t top = load_u64(c->av, l->top);
  if (top != 0 && top != bin_at(l, where->arena, 1)) {
    memset(&e, 0, sizeof e);
    e.kind = ARENA_EV_TOP;
    make_ref(w, top, &e);
    emit(w, &e);
  }
  const uint64_t system_mem = load_u64(c->av, l->system_mem);
  const uint64_t lr = load_u64(c->av, l->last_remainder);
  if (lr != 0) {
    memset(&e, 0, sizeof e);
    e.kind = ARENA_EV_LAST_REMAINDER;
    make_ref(w, lr, &e);
    /* glibc never clears last_remainder: once its chunk is handed out or merged, the "size"
     * there is whatever was written last (a freed neighbour's fd, the tcache key), which
     * differs between processes. Only a value that can be a chunk size is reported. */
    if (e.size_base != ARENA_SIZE_RAW || e.size < 0x20 || (e.size & 0xf) != 0 ||
        e.size > system_mem) {
      e.size = 0;
      e.size_base = ARENA_SIZE_RAW;
    }
    emit(w, &e);
  }
  uint64_t f[ARENA_FIELD_COUNT];
#define SET(code, v) f[(code)-1] = (v)
  for (int i = 0; i < 4; ++i) {
    uint32_t word;
    memcpy(&word, c->av + l->binmap + 4 * (uint64_t)i, 4);
    SET(ARENA_FIELD_BINMAP0 + i, word);
  }
  SET(ARENA_FIELD_FLAGS, (uint32_t)load_i32(c->av, l->flags));
  SET(ARENA_FIELD_HAVE_FASTCHUNKS,
      l->have_fastchunks >= 0 ? (uint32_t)load_i32(c->av, (uint64_t)l->have_fastchunks) : 0);
  SET(ARENA_FIELD_SYSTEM_MEM, system_mem);
  SET(ARENA_FIELD_MAX_SYSTEM_MEM, load_u64(c->av, l->max_system_mem));
  SET(ARENA_FIELD_GLOBAL_MAX_FAST, c->global_max_fast);
  SET(ARENA_FIELD_MP_TRIM_THRESHOLD, load_u64(c->mp, l->mp_trim_threshold));
  SET(ARENA_FIELD_MP_TOP_PAD, load_u64(c->mp, l->mp_top_pad));
  SET(ARENA_FIELD_MP_MMAP_THRESHOLD, load_u64(c->mp, l->mp_mmap_threshold));
  SET(ARENA_FIELD_MP_ARENA_TEST, load_u64(c->mp, l->mp_arena_test));
  SET(ARENA_FIELD_MP_ARENA_MAX, load_u64(c->mp, l->mp_arena_max));
  /* int fields, as the snapshot holds them (sign-extended) */
  SET(ARENA_FIELD_MP_N_MMAPS, (uint64_t)(int64_t)load_i32(c->mp, l->mp_n_mmaps));
  SET(ARENA_FIELD_MP_N_MMAPS_MAX, (uint64_t)(int64_t)load_i32(c->mp, l->mp_n_mmaps_max));
  SET(ARENA_FIELD_MP_MAX_N_MMAPS, (uint64_t)(int64_t)load_i32(c->mp, l->mp_max_n_mmaps));
  SET(ARENA_FIELD_MP_NO_DYN_THRESHOLD, (uint64_t)(int64_t)load_i32(c->mp, l->mp_no_dyn_threshold));
  SET(ARENA_FIELD_MP_MMAPPED_MEM, load_u64(c->mp, l->mp_mmapped_mem));
  SET(ARENA_FIELD_MP_MAX_MMAPPED_MEM, load_u64(c->mp, l->mp_max_mmapped_mem));
  const int tc = l->has_tcache;
  SET(ARENA_FIELD_MP_TCACHE_BINS, tc ? load_u64(c->mp, l->mp_tcache_bins) : 0);
  SET(ARENA_FIELD_MP_TCACHE_MAX_BYTES, tc ? load_u64(c->mp, l->mp_tcache_max_bytes) : 0);
  SET(ARENA_FIELD_MP_TCACHE_COUNT, tc ? load_u64(c->mp, l->mp_tcache_count) : 0);
  SET(ARENA_FIELD_MP_TCACHE_UNSORTED_LIMIT,
      tc && l->has_tcache_unsorted_limit ? load_u64(c->mp, l->mp_tcache_unsorted_limit) : 0);
#undef SET
  memset(&e, 0, sizeof e);
  e.kind = ARENA_EV_FIELDS;
  e.values = f;
  emit(w, &e);
}

/* The other arenas (arena_walk.h), oldest first, each walked as main_arena is but for the
 * tcache, relative to its own heap. */
static void walk_others(struct Walk* w) {
  const struct ArenaLayout* l = w->layout;
  const struct ArenaWhere* main_where = w->where;
  uint64_t arenas[ARENA_LIST_MAX];
  /* This process's own memory is read past the known regions only where it can say so. */
  if (w->stable_views && main_where->probe == NULL) return;
  const uint32_t count = arena_walk_list_arenas(l, main_where->arena, w->view, w->view_ctx, arenas);
  if (count == 0) return; /* one thread, or none yet: no other arena */
  if (count == ARENA_LIST_BROKEN) {
    emit_event(w, ARENA_EV_ARENA, 0, 0, 0);
    invalid(w, ARENA_INVALID_ARENA_LIST, 0);
    return;
  }
  struct Copies c;
  struct ArenaWhere where;
  for (uint32_t number = 1; number <= count; ++number) {
    struct ArenaEvent e;
    memset(&e, 0, sizeof e);
    e.kind = ARENA_EV_ARENA;
    e.index = number;
    const int found = arena_walk_other_where(l, main_where, arenas[count - number], w->view,
                                             w->view_ctx, &where, &e);
    emit(w, &e);
    uint64_t invalid_value = 0;
    const uint32_t invalid_code = !found
                                      ? ARENA_INVALID_ARENA_HEAP
                                      : arena_walk_locate(l, &where, w->view, w->view_ctx,
                                                          w->stable_views, 1, &c, &invalid_value);
    if (invalid_code != 0) {
      invalid(w, invalid_code, invalid_value);
      continue;
    }
    w->where = &where;
    walk_bins(w, &c);
    walk_rest(w, &c);
    w->where = main_where;
  }
}

/* The other threads' tcaches (arena_walk.h, arena_walk), by thread number. `c` holds mp_ (2.42+
 * counts are read against mp_.tcache_count); its tcache copy is reused. */
static void walk_threads(struct Walk* w, struct Copies* c) {
  const struct ArenaWhere* where = w->where;
  if (where->threads == 0 || where->thread_tcaches == NULL || !w->layout->has_tcache) return;
  /* This process's own memory is read past the known regions only where it can say so. */
  if (w->stable_views && where->probe == NULL) return;
  for (uint32_t t = 1; t < ARENA_MAX_THREADS; ++t) {
    if (!(where->threads >> t & 1)) continue;
    emit_event(w, ARENA_EV_THREAD, 0, t, 0);
    const uint64_t tcache = where->thread_tcaches[t];
    if (tcache == 0) continue; /* no tcache yet */
    if (!arena_walk_locate_tcache(w->layout, tcache, w->view, w->view_ctx, w->stable_views, c)) {
      invalid(w, ARENA_INVALID_THREAD_TCACHE, tcache - where->heap_base);
      continue;
    }
    if (!c->have_tcache) continue;
    w->thread_refs = 1;
    walk_tcache(w, c);
    w->thread_refs = 0;
  }
}

/* Returns the list entries walked. */
static uint64_t walk(const struct ArenaLayout* layout, const struct ArenaWhere* where,
                     ArenaViewFn view, void* view_ctx, int stable_views, uint32_t cap,
                     ArenaEventFn sink, void* sink_ctx) {
  struct Walk w;
  w.cap = cap;
  w.visited = 0;
  w.thread_refs = 0;
  w.layout = layout;
  w.where = where;
  w.view = view;
  w.view_ctx = view_ctx;
  w.sink = sink;
  w.sink_ctx = sink_ctx;
  w.stable_views = stable_views;
  struct Copies c;
  uint64_t invalid_value = 0;
  const uint32_t invalid_code =
      arena_walk_locate(layout, where, view, view_ctx, stable_views, 0, &c, &invalid_value);
  if (invalid_code != 0) {
    invalid(&w, invalid_code, invalid_value);
    return 0;
  }
  if (c.have_tcache) walk_tcache(&w, &c);
  walk_bins(&w, &c);
  walk_rest(&w, &c);
  walk_others(&w);
  walk_threads(&w, &c);
  return w.visited;
}

void arena_walk(const struct ArenaLayout* layout, const struct ArenaWhere* where, ArenaViewFn view,
                void* view_ctx, ArenaEventFn sink, void* sink_ctx) {
  walk(layout, where, view, view_ctx, 0, 0, sink, sink_ctx);
}

/* ---- the walk with the digest as its sink --------------------------------------------------- */

static void digest_sink(void* ctx, const struct ArenaEvent* e) {
  hash_event((struct ArenaDigest*)ctx, e);
}

static uint64_t digest(const struct ArenaLayout* layout, const struct ArenaWhere* where,
                       ArenaViewFn view, void* view_ctx, int stable_views, uint32_t cap,
                       uint64_t* visited) {
  struct ArenaDigest d = {ARENA_DIGEST_SEED};
  *visited = walk(layout, where, view, view_ctx, stable_views, cap, digest_sink, &d);
  return d.hash;
}

/* flatten: the walk, its reads and the hashing inlined into one function, with no call per
 * event or per read (the sides digest after every op). */
__attribute__((flatten)) uint64_t arena_walk_digest(const struct ArenaLayout* layout,
                                                    const struct ArenaWhere* where,
                                                    ArenaViewFn view, void* view_ctx) {
  uint64_t visited;
  return digest(layout, where, view, view_ctx, 0, 0, &visited);
}

/* ---- this process's own memory ------------------------------------------------------------ */

struct Here {
  const struct ArenaLayout* layout;
  const struct ArenaWhere* where;
};

static int within(uint64_t addr, uint64_t n, uint64_t start, uint64_t len) {
  return addr >= start && addr - start <= len && len - (addr - start) >= n;
}

static const void* view_here(void* ctx, uint64_t addr, uint64_t n) {
  const struct Here* h = (const struct Here*)ctx;
  const struct ArenaWhere* w = h->where;
  const struct ArenaLayout* l = h->layout;
  if (within(addr, n, w->heap_base, w->heap_end - w->heap_base) ||
      within(addr, n, w->arena, l->arena_bytes) || within(addr, n, w->mp, l->mp_bytes) ||
      within(addr, n, w->global_max_fast, 8) ||
      (w->tcache != 0 && within(addr, n, w->tcache, tcache_struct_bytes(l)))) {
    return (const void*)(uintptr_t)addr;
  }
  /* Other arenas' memory, where the process can say it is readable. */
  if (w->probe != NULL && n != 0 && addr + n > addr && w->probe(w->probe_ctx, addr, n)) {
    return (const void*)(uintptr_t)addr;
  }
  return NULL;
}

__attribute__((flatten)) uint64_t arena_walk_digest_here(const struct ArenaLayout* layout,
                                                         const struct ArenaWhere* where, int paced,
                                                         uint64_t* visited) {
  struct Here h = {layout, where};
  /* Two copies of the walk, each with its cap a constant (a whole walk has no ELIDED lists). */
  if (!paced) return digest(layout, where, view_here, &h, 1, 0, visited);
  return digest(layout, where, view_here, &h, 1, ARENA_PACE_ENDS, visited);
}
