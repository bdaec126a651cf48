/* What the arena walk and its digest share, and no one else: the walk's state (struct Walk, which
 * the digest's fast path reads too), how it reads memory, the cycle check's table
 * (arena_walk_cycles.c), and the walk compiled with the digest as its sink (arena_walk.c), which
 * the digest's public functions (arena_digest.c) call; where the walk finds its parts
 * (arena_walk_locate.c). The readers are static inline, like the
 * hashing (arena_digest_hash.h): the digest after every op is the walk, its reads and the hashing
 * compiled into one function, with no call per read or per event. Plain C. */
#ifndef HEAPTWIN_ORACLE_ARENA_WALK_INTERNAL_H_
#define HEAPTWIN_ORACLE_ARENA_WALK_INTERNAL_H_

#include <string.h>

#include "oracle/arena_chunk_name.h"
#include "oracle/arena_walk.h"

enum {
  kTcacheBins = 64,       /* TCACHE_MAX_BINS before 2.42 */
  kMaxTcacheBins = 76,    /* from 2.42: 64 small and 12 large bins */
  kLinearCycleCheck = 32, /* lists this short are checked for cycles by comparing entries */
  kFastBins = 10,
  kBins = 128,
  kMaxTcacheStruct = 0x98 + 8 * kMaxTcacheBins
};
#define SIZE_BITS ((uint64_t)7)

struct Walk {
  const struct ArenaLayout* layout;
  const struct ArenaWhere* where;
  ArenaViewFn view;
  void* view_ctx;
  int stable_views; /* pointers from `view` stay valid for the whole walk (this process's memory) */
  ArenaEventFn sink;
  void* sink_ctx;
  uint32_t cap;     /* 0: whole lists; else a paced walk, which stops a list after `cap` entries */
  uint64_t visited; /* list entries walked (what a paced digest's full walks cost) */
  int thread_refs;  /* walking a thread's tcache: entries in other arenas' heaps are named */
  /* The chunks of the list being walked (addresses), for the linear cycle check. */
  uint64_t recent[kLinearCycleCheck];
};

/* ---- reading ------------------------------------------------------------------------------ */

static inline int read_u64(const struct Walk* w, uint64_t addr, uint64_t* out) {
  const void* p = w->view(w->view_ctx, addr, 8);
  if (p == NULL) return 0;
  memcpy(out, p, 8);
  return 1;
}

static inline uint64_t load_u64(const unsigned char* base, uint64_t offset) {
  uint64_t v;
  memcpy(&v, base + offset, 8);
  return v;
}

static inline int32_t load_i32(const unsigned char* base, uint64_t offset) {
  int32_t v;
  memcpy(&v, base + offset, 4);
  return v;
}

/* TCACHE_MAX_BINS of the layout (a layout without the field set is an old one: 64). */
static inline uint32_t tcache_bins_of(const struct ArenaLayout* l) {
  return l->tcache_bins == 0               ? kTcacheBins
         : l->tcache_bins > kMaxTcacheBins ? kMaxTcacheBins
                                           : l->tcache_bins;
}

static inline int in_heap(const struct ArenaWhere* where, uint64_t addr) {
  return addr >= where->heap_base && addr < where->heap_end && where->heap_end - addr >= 0x10;
}

/* arena_walk.h, ARENA_NEAR_BELOW */
static inline int is_near(const struct ArenaWhere* where, uint64_t addr) {
  int64_t d = (int64_t)(addr - where->heap_base);
  if (where->heap_block_only) return d >= 0 && d < ARENA_NEAR_BELOW + ARENA_NEAR_ABOVE;
  return (d >= -ARENA_NEAR_BELOW && d < ARENA_NEAR_ABOVE) ||
         (addr >= where->heap_base && addr < where->heap_end);
}

static inline void emit(const struct Walk* w, struct ArenaEvent* e) { w->sink(w->sink_ctx, e); }

/* The pseudo-chunk of regular bin i of the arena at `arena` (glibc's bin_at). */
static inline uint64_t bin_at(const struct ArenaLayout* l, uint64_t arena, int i) {
  return arena + l->bins - 0x10 + (uint64_t)(i - 1) * 0x10;
}

/* The tcache struct's bytes in this layout. */
static inline uint64_t tcache_struct_bytes(const struct ArenaLayout* l) {
  return l->tcache_entries + 8 * (uint64_t)tcache_bins_of(l);
}

/* ---- locating the arena (arena_walk_locate.c) ---------------------------------------------- */

/* main_arena, mp_ and the tcache struct, read once (the view's own pointers when they stay
 * valid, else copies), and which bins are not empty, worked out in the same pass over their
 * heads. */
struct Copies {
  const unsigned char *av, *mp, *tc;
  uint64_t global_max_fast;
  int have_tcache;
  uint64_t nonempty[2]; /* bit i: bin i's fd is neither 0 nor the bin itself */
  unsigned char av_copy[0x1000];
  unsigned char mp_copy[0x100];
  unsigned char tc_copy[kMaxTcacheStruct];
};

/* Fills *c, or says why `where` is not an arena: 0, or an ARENA_INVALID_* code with the value
 * its event carries in *invalid_value. */
uint32_t arena_walk_locate(const struct ArenaLayout* l, const struct ArenaWhere* where,
                           ArenaViewFn view, void* view_ctx, int stable_views, int other,
                           struct Copies* c, uint64_t* invalid_value);

/* The tcache struct at `tcache` into c->tc (c->have_tcache: 0 for 2.43's __tcache_dummy, all
 * zeros); 0 when it cannot be read. */
int arena_walk_locate_tcache(const struct ArenaLayout* l, uint64_t tcache, ArenaViewFn view,
                             void* view_ctx, int stable_views, struct Copies* c);

/* A chunk of a thread's tcache outside the main heap: ARENA_CHUNK_HEAP of the heap of another
 * arena it lies in, with its offset from that heap's start and its size (0 when no size: 64 MiB
 * or more), or 0 when no arena on main_arena's list owns its heap (arena_chunk_name.h). */
uint32_t arena_walk_name_chunk(const struct ArenaLayout* l, uint64_t main_arena, ArenaViewFn view,
                               void* view_ctx, uint64_t chunk, int64_t* offset, uint64_t* size);

/* The other arenas (arena_walk.h, arena_walk). Their addresses, main_arena.next first (newest
 * first), into arenas[ARENA_LIST_MAX]: how many, or ARENA_LIST_BROKEN when the list does not
 * come back to main_arena in as many steps (arena_chunk_name.h: arena_list). */
#define ARENA_LIST_BROKEN 0xffffffffu
uint32_t arena_walk_list_arenas(const struct ArenaLayout* l, uint64_t main_arena, ArenaViewFn view,
                                void* view_ctx, uint64_t* arenas);
/* Where the walk finds the arena at `arena` (*where: the heap top lies in as its heap, the rest
 * as main_where has it) and its ARENA event's values (*header: value, offset, code, size);
 * 0 when no intact, readable heap names it. */
int arena_walk_other_where(const struct ArenaLayout* l, const struct ArenaWhere* main_where,
                           uint64_t arena, ArenaViewFn view, void* view_ctx,
                           struct ArenaWhere* where, struct ArenaEvent* header);

/* The cycle check of lists longer than kLinearCycleCheck (arena_walk_cycles.c): a new list
 * begins, then each entry asks whether it was met before in the list (and is remembered).
 * Without a table (it could not be mapped) nothing was met before. Two things keep these calls
 * from slowing the digest, which inlines the walk (measured, arena_walk_digest_here): they take
 * values only (a struct Walk whose address reached another file could no longer have its view
 * and sink inlined), and they are cold (the digest's fast path takes lists that end normally, so
 * the exact walk is rare there; as ordinary calls they cost its loops their registers). */
__attribute__((cold)) void arena_walk_seen_new_list(void);
__attribute__((cold)) int arena_walk_seen_before(uint64_t addr);

/* The walk with the digest as its sink, compiled as one function (flatten): over `view`, or over
 * this process's own memory (the regions arena_digest_here() names) as a whole walk or, when
 * `paced`, a paced one (ARENA_PACE_ENDS entries from each end of a list). Both return the digest;
 * arena_walk_digest_here also the list entries walked, in *visited. */
uint64_t arena_walk_digest(const struct ArenaLayout* layout, const struct ArenaWhere* where,
                           ArenaViewFn view, void* view_ctx);
uint64_t arena_walk_digest_here(const struct ArenaLayout* layout, const struct ArenaWhere* where,
                                int paced, uint64_t* visited);

#endif /* HEAPTWIN_ORACLE_ARENA_WALK_INTERNAL_H_ */
