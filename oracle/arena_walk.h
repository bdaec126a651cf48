/* The one walk of a ptmalloc main arena: every bin list, top, last_remainder, binmap, the
 * counters and mp_, read through a view of some process's memory. Plain C, no allocation: the
 * glibc runner (runner.c) links it to digest its own arena after every op, and the heap view
 * (heap_view.h: read_arena) builds its ArenaSnapshot from the same walk, so a digest and a
 * snapshot of one state always say the same thing.
 *
 * The walk reports what it meets as a stream of events; arena_digest() hashes the stream. Two
 * states have the same digest exactly when their snapshots compare equal (first_difference() is
 * empty), up to 64-bit hash collisions: wild pointers far from the heap hash as one token, as
 * first_difference() treats them. */
#ifndef HEAPTWIN_ORACLE_ARENA_WALK_H_
#define HEAPTWIN_ORACLE_ARENA_WALK_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Field offsets of one glibc version (x86_64); heap_view.h's GlibcLayout fills it. */
struct ArenaLayout {
  uint32_t minor;             /* glibc 2.<minor> */
  uint8_t safe_linking;       /* >= 2.32: tcache next and fastbin fd are PROTECT_PTR'd */
  uint8_t has_tcache;         /* >= 2.26 */
  uint8_t tcache_count_bytes; /* 2 since 2.30, 1 before */
  uint8_t pad0;
  uint32_t tcache_entries; /* offset of entries[] in tcache_perthread_struct */
  /* malloc_state */
  uint32_t flags;
  int32_t have_fastchunks; /* -1: no such field (< 2.27) */
  uint32_t fastbins, top, last_remainder, bins, binmap, system_mem, max_system_mem;
  uint32_t arena_bytes; /* sizeof(malloc_state) */
  /* malloc_par (mp_) */
  uint32_t mp_trim_threshold, mp_top_pad, mp_mmap_threshold, mp_arena_test, mp_arena_max;
  uint32_t mp_n_mmaps, mp_n_mmaps_max, mp_max_n_mmaps, mp_no_dyn_threshold;
  uint32_t mp_mmapped_mem, mp_max_mmapped_mem, mp_sbrk_base;
  uint32_t mp_tcache_bins, mp_tcache_max_bytes, mp_tcache_count, mp_tcache_unsorted_limit;
  uint32_t mp_bytes; /* bytes of mp_ read (at least up to the last field above) */
  /* 2.43 "malloc: Remove fastbin infrastructure": no fastbinsY, no global_max_fast. */
  uint8_t has_fastbins;
  /* 2.42 "malloc: Count tcache entries downwards": the struct holds num_slots (free places,
   * mp_.tcache_count at tcache_init); the walk reports count = tcache_count - num_slots. A
   * struct of zeros is glibc's __tcache_dummy (2.43: the tcache before its lazy allocation, or
   * disabled), reported as no tcache. */
  uint8_t tcache_num_slots;
  uint8_t has_tcache_unsorted_limit; /* gone from mp_ in 2.44 */
  uint8_t pad1;
  uint32_t tcache_bins; /* TCACHE_MAX_BINS: 64, 76 from 2.42 (large bins) */
};

/* Where things are in the process being walked (absolute addresses of that process). */
struct ArenaWhere {
  uint64_t heap_base;       /* sbrk(0) before the first allocation */
  uint64_t heap_end;        /* sbrk(0) now (== heap_base while no heap exists) */
  uint64_t arena;           /* &main_arena */
  uint64_t mp;              /* &mp_ */
  uint64_t global_max_fast; /* &global_max_fast */
  uint64_t tcache;          /* the tcache struct (user pointer), 0 when none yet */
  /* A walk over this process's own memory (arena_digest_here) reads the other arenas (threads')
   * only with a probe: whether `n` bytes at `addr`, outside the regions above, can be read. NULL:
   * those walks leave the other arenas out. Walks through a view ask the view. */
  int (*probe)(void* ctx, uint64_t addr, uint64_t n);
  void* probe_ctx;
  /* Set by the walk for a thread's arena (heap_base: the heap its top lies in): a wild address is
   * near only inside that heap's 64 MiB block, since the arena's other heaps and the brk heap lie
   * wherever mmap put them in each process. */
  uint32_t heap_block_only;
  /* The Program's other threads (t1 .. t7) and their tcaches, walked after the arenas: bit t of
   * `threads` says thread t exists, thread_tcaches[t] (of ARENA_MAX_THREADS) is its glibc
   * thread-local `tcache` (the struct's user pointer; 0 before the thread made one). 0: none
   * walked (a Program without threads, or a side that cannot find them: no opinion). */
  uint32_t threads;
  const uint64_t* thread_tcaches;
};
#define ARENA_MAX_THREADS 8 /* heaptwin::kMaxThreads (program/op.h) */

/* A view of memory: a pointer to `n` readable bytes at `addr`, valid until the next call, or
 * NULL when any of them cannot be read. */
typedef const void* (*ArenaViewFn)(void* ctx, uint64_t addr, uint64_t n);

/* Why a snapshot is not valid (ArenaSnapshot::invalid_reason says it in words). */
enum ArenaInvalid {
  ARENA_INVALID_NOT_LOCATED = 1, /* main_arena, mp_ or global_max_fast not located */
  ARENA_INVALID_HEAP_END,        /* heap end below heap base */
  ARENA_INVALID_ARENA_UNREADABLE,
  ARENA_INVALID_MP_UNREADABLE,
  ARENA_INVALID_MAX_FAST_UNREADABLE,
  ARENA_INVALID_SBRK_BASE,    /* mp_.sbrk_base is not the heap base: value */
  ARENA_INVALID_SBRK_NO_HEAP, /* mp_.sbrk_base set but no heap */
  ARENA_INVALID_TCACHE_BINS,  /* mp_.tcache_bins out of range */
  ARENA_INVALID_MAX_FAST,     /* global_max_fast out of range: value */
  ARENA_INVALID_TOP_NO_HEAP,  /* top is not in the heap although the heap exists */
  ARENA_INVALID_TOP_OUTSIDE,  /* top outside the heap: value */
  ARENA_INVALID_TOP_PAST_END, /* top's size runs past the heap end */
  ARENA_INVALID_ODD_HEADS,    /* value bin heads point neither at themselves nor into the heap */
  ARENA_INVALID_TCACHE_UNREADABLE,
  ARENA_INVALID_ARENA_LIST,   /* main_arena's list of arenas does not come back to it */
  ARENA_INVALID_ARENA_HEAP,   /* no heap whose heap_info names the arena, or one unreadable */
  ARENA_INVALID_THREAD_TCACHE /* a thread's tcache struct unreadable at value (heap-relative) */
};

/* Which list a LIST event opens. */
enum ArenaList {
  ARENA_LIST_TCACHE = 1, /* index 0..63 */
  ARENA_LIST_FASTBIN,    /* index 0..9 */
  ARENA_LIST_BIN,        /* index 1..126 (1: unsorted) */
  ARENA_LIST_NEXTSIZE,   /* index 64..126: the fd_nextsize ring from the bin's first chunk */
  ARENA_LIST_BIN_TAIL    /* paced digests only: a bin's last entries, from its bk backwards */
};

/* How a list walk was cut short. `where` is heap-relative when `near` (in the heap or its
 * 64 MiB block: ARENA_NEAR_BELOW), else not reported (0). */
enum ArenaBroken {
  ARENA_BROKEN_WILD = 1,    /* wild pointer */
  ARENA_BROKEN_UNALIGNED,   /* unaligned pointer */
  ARENA_BROKEN_CYCLE,       /* cycle back to */
  ARENA_BROKEN_TOO_LONG,    /* longer than ARENA_MAX_LIST */
  ARENA_BROKEN_UNREADABLE,  /* unreadable link at */
  ARENA_BROKEN_SAFE_LINKED, /* a safe-linked pointer (to `offset`) where a plain one belongs */
  ARENA_BROKEN_PLAIN        /* a plain pointer (to `offset`) where a safe-linked one belongs */
};

/* How a wild list entry reads once the other way of storing pointers is tried (CHUNK events'
 * `code`): a Program that frees a chunk twice can have the tcache write a safe-linked next
 * pointer into a small bin's fd, or a bin write a plain fd where the tcache reads a safe-linked
 * next. Read the wrong way such a value is (pos >> 12) ^ ptr of two addresses of that process:
 * wild, near or far by chance. Read the right way it is a heap address, and is reported as one. */
enum ArenaLinkForm { ARENA_LINK_AS_READ = 0, ARENA_LINK_SAFE_LINKED, ARENA_LINK_PLAIN };

#define ARENA_MAX_LIST 100000
/* A wild address is "near", reported heap-relative, inside the heap or inside the 64 MiB-aligned
 * block the heap base lies in, [base - 16 MiB, base + 48 MiB): every side's heap starts 16 MiB
 * above a 64 MiB boundary, so a place there has one offset in every process. Anywhere else it is
 * kept raw, one process's own. A value safe-linking mixed with a page number an odd number of
 * times (a plain fd revealed as a tcache next, a safe-linked pointer copied and revealed
 * elsewhere) has the base's bits 38 and up XORed into its bits 26 and up: it never lands in the
 * block, but it may land within a few GiB of one process's heap and not of another's (found by
 * ./heaptwin fuzz: a tcache head 3.3 GiB above the twin's heap, far from glibc's). */
#define ARENA_NEAR_BELOW ((int64_t)16 << 20)
#define ARENA_NEAR_ABOVE ((int64_t)48 << 20)
/* Raw (not near) addresses at or beyond this distance from 0 are one process's own and compare
 * as one token; smaller raw values (a forged 0x41414141) are numbers every process has. */
#define ARENA_NEAR ((int64_t)1 << 32)

enum ArenaEventKind {
  ARENA_EV_INVALID = 1,    /* code (enum ArenaInvalid), value; nothing follows */
  ARENA_EV_TCACHE_PRESENT, /* the tcache struct exists and was read */
  ARENA_EV_TCACHE_COUNT,   /* index, value (only counts that are not 0) */
  ARENA_EV_LIST,           /* code (enum ArenaList), index: a non-empty list begins */
  ARENA_EV_CHUNK,          /* one entry of the open list: a ChunkRef */
  ARENA_EV_BROKEN,         /* code (enum ArenaBroken), near, offset: the open list stops */
  ARENA_EV_LIST_END,       /* the open list ends */
  ARENA_EV_TOP,            /* a ChunkRef (absent while the heap does not exist) */
  ARENA_EV_LAST_REMAINDER, /* a ChunkRef (absent when NULL) */
  ARENA_EV_FIELDS,         /* values: the ARENA_FIELD_COUNT fields, in enum ArenaField order */
  ARENA_EV_ELIDED,         /* paced digests only: the open list goes on, not walked */
  ARENA_EV_ARENA,          /* another arena begins (see arena_walk) */
  ARENA_EV_THREAD          /* index: another thread's tcache begins (see arena_walk) */
};

enum ArenaField {
  ARENA_FIELD_BINMAP0 = 1,
  ARENA_FIELD_BINMAP1,
  ARENA_FIELD_BINMAP2,
  ARENA_FIELD_BINMAP3,
  ARENA_FIELD_FLAGS,
  ARENA_FIELD_HAVE_FASTCHUNKS,
  ARENA_FIELD_SYSTEM_MEM,
  ARENA_FIELD_MAX_SYSTEM_MEM,
  ARENA_FIELD_GLOBAL_MAX_FAST,
  ARENA_FIELD_MP_TRIM_THRESHOLD,
  ARENA_FIELD_MP_TOP_PAD,
  ARENA_FIELD_MP_MMAP_THRESHOLD,
  ARENA_FIELD_MP_ARENA_TEST,
  ARENA_FIELD_MP_ARENA_MAX,
  ARENA_FIELD_MP_N_MMAPS,
  ARENA_FIELD_MP_N_MMAPS_MAX,
  ARENA_FIELD_MP_MAX_N_MMAPS,
  ARENA_FIELD_MP_NO_DYN_THRESHOLD,
  ARENA_FIELD_MP_MMAPPED_MEM,
  ARENA_FIELD_MP_MAX_MMAPPED_MEM,
  ARENA_FIELD_MP_TCACHE_BINS,
  ARENA_FIELD_MP_TCACHE_MAX_BYTES,
  ARENA_FIELD_MP_TCACHE_COUNT,
  ARENA_FIELD_MP_TCACHE_UNSORTED_LIMIT,
  ARENA_FIELD_END
};
#define ARENA_FIELD_COUNT (ARENA_FIELD_END - 1) /* values[code - 1] */

struct ArenaEvent {
  uint32_t kind;          /* enum ArenaEventKind */
  uint32_t code;          /* INVALID, LIST, BROKEN; CHUNK: enum ArenaLinkForm */
  uint32_t index;         /* TCACHE_COUNT, LIST, THREAD; CHUNK: see ARENA_CHUNK_ARENA */
  uint32_t near;          /* BROKEN: `offset` is heap-relative (else the place is "far away") */
  uint64_t value;         /* INVALID, TCACHE_COUNT; ARENA: its heaps */
  const uint64_t* values; /* FIELDS */
  /* A ChunkRef (CHUNK, TOP, LAST_REMAINDER): offset from the heap base of the chunk, or for a
   * wild one that is not near (ARENA_NEAR_BELOW) its raw address; size without flags (0 when not
   * read: wild chunks, unaligned entries, or a last_remainder whose bytes are no chunk size).
   * BROKEN: the heap-relative place when `near`. */
  int64_t offset;
  uint64_t size;
  uint32_t wild;
  uint32_t size_base; /* enum ArenaSizeBase: what `size` is relative to */
};

/* A CHUNK of a thread's tcache (arena_walk) outside the main heap, in a heap of another arena:
 * `index` names that heap (arena_chunk_name.h: the arena by creation order, which of its heaps)
 * and `offset` is from that heap's start (not wild). 0 for every other chunk. */
#define ARENA_CHUNK_HEAP(arena, heap) ((uint32_t)(arena) | (uint32_t)(heap) << 16)
#define ARENA_CHUNK_ARENA(index) ((index)&0xffffu)
#define ARENA_CHUNK_HEAP_INDEX(index) ((index) >> 16)

/* A size field that holds an address (a freed chunk's fd over an overlapping chunk's size) is
 * reported relative to what it points into: the same in every process. */
enum ArenaSizeBase { ARENA_SIZE_RAW = 0, ARENA_SIZE_HEAP, ARENA_SIZE_ARENA };

typedef void (*ArenaEventFn)(void* ctx, const struct ArenaEvent* event);

/* Walks the arena at `where`, reading only through `view`, and reports it to `sink` in a fixed
 * order: INVALID (and nothing else), or TCACHE_PRESENT, TCACHE_COUNTs and tcache LISTs, fastbin
 * LISTs, then for each bin its LIST and its NEXTSIZE list, TOP, LAST_REMAINDER, FIELDS. Every
 * list walk is capped and cycle-checked: a corrupted heap yields BROKEN, never a crash or hang.
 *
 * Then every other arena on main_arena's list (threads' arenas; none in most Programs), oldest
 * first: an ARENA event (index: its number, 1 the oldest, as read8 names it; value: its heaps;
 * offset: the size of the heap top lies in, heap_info.size; code: that heap's mprotect_size in
 * pages; size: attached_threads), then its own INVALID, or its fastbin and bin LISTs, TOP,
 * LAST_REMAINDER and FIELDS, chunk references relative to the heap top lies in (a heap is
 * 64 MiB-aligned: offsets in it are the same in every process). A list that does not come back
 * to main_arena: one ARENA event (index 0) and INVALID.
 *
 * Last, each thread of where->threads, by number: a THREAD event (index: the thread), then, when
 * it has made its tcache, its INVALID (ARENA_INVALID_THREAD_TCACHE) or its TCACHE_PRESENT,
 * TCACHE_COUNTs and tcache LISTs as main's, entries in the main heap heap-relative and entries in
 * another arena's heap named by that heap (ARENA_CHUNK_HEAP). */
void arena_walk(const struct ArenaLayout* layout, const struct ArenaWhere* where, ArenaViewFn view,
                void* view_ctx, ArenaEventFn sink, void* sink_ctx);

/* The digest: an order-sensitive hash of the events. A snapshot built by other means (the
 * reference model's) is digested by replaying it as the walk would report it. */
struct ArenaDigest {
  uint64_t hash;
};
#define ARENA_DIGEST_SEED 0x6865617074776e31ull
void arena_digest_event(struct ArenaDigest* digest, const struct ArenaEvent* event);
/* INVALID and BROKEN events are hashed as their text (snapshots compare them as text); this
 * hashes such a text for an event of `kind` (a snapshot replayed, or an invalid reason no walk
 * produced, such as the model's). */
void arena_digest_text(struct ArenaDigest* digest, uint32_t kind, const char* text, size_t n);

/* The words of an INVALID or BROKEN event (ArenaSnapshot::invalid_reason, BinList::broken):
 * written into out (NUL-terminated, cut at cap), the full length returned. */
size_t arena_invalid_text(const struct ArenaEvent* event, char* out, size_t cap);
size_t arena_broken_text(const struct ArenaEvent* event, char* out, size_t cap);

/* The hash of the walk's events (far wild pointers as one token). */
uint64_t arena_digest(const struct ArenaLayout* layout, const struct ArenaWhere* where,
                      ArenaViewFn view, void* view_ctx);

/* arena_digest over this process's own memory, where readable means: inside the heap
 * [heap_base, heap_end), main_arena, mp_, global_max_fast, or the tcache struct: the regions a
 * copied snapshot holds. For the glibc runner, after each op. */
uint64_t arena_digest_here(const struct ArenaLayout* layout, const struct ArenaWhere* where);

/* ---- the paced digest: a cost per op that does not grow with the bins ----------------------
 * A digest after every op walks every list; on a heap whose bins hold tens of thousands of free
 * chunks (a real program's trace: python3 with PYTHONMALLOC=malloc) that walk is nearly the
 * whole cost of a run. The paced digest walks everything while that is cheap. Otherwise, between
 * full walks, it walks everything but the middle of long lists: ARENA_PACE_ENDS entries from the
 * front of each list, ARENA_PACE_ENDS from the back of each doubly linked bin (a small bin takes
 * from there), then ELIDED. A full walk comes as soon as the ops since the last one have earned
 * its length at ARENA_PACE_BUDGET chunks an op, so the cost per op stays under about twice that.
 *
 * Which walk an op gets depends only on the states (the last full walk's length), so two sides
 * in equal states choose alike and sides that choose differently are in different states; and
 * a paced walk hashes differently from a full one. A difference in the middle of a long list
 * shows at the next full walk, where the executor runs the Program again with snapshots to name
 * the op it came from. While every walk costs under ARENA_PACE_BUDGET, each is full: the paced
 * digest is arena_digest_here() itself. */
struct ArenaDigestPace {
  uint64_t credit;    /* chunk visits earned and not spent */
  uint64_t last_full; /* chunks the last full walk visited */
};
#define ARENA_PACE_BUDGET 1024
#define ARENA_PACE_CREDIT_MAX (4 * (uint64_t)ARENA_PACE_BUDGET) /* no long bursts of full walks */
#define ARENA_PACE_ENDS 16
/* arena_digest_here, paced by `pace` (zeroed at the start of a Program, then passed to every
 * op's digest of that Program). */
uint64_t arena_digest_here_paced(const struct ArenaLayout* layout, const struct ArenaWhere* where,
                                 struct ArenaDigestPace* pace);

/* Cycle checks of lists longer than 32 entries use a table mapped on first need (4 MiB of
 * address space, touched sparsely). A process that must not map memory later (the glibc runner,
 * whose mappings glibc's own mmaps sit beside) reserves it at start. */
void arena_walk_reserve_scratch(void);

#ifdef __cplusplus
}
#endif

#endif /* HEAPTWIN_ORACLE_ARENA_WALK_H_ */
