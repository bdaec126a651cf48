/* The wire format between the C++ glibc side (the parent) and the C runner. Plain C: the runner
 * must not link libstdc++, whose start-up allocation would sit in the heap it measures.
 *
 * Everything passes through one shared memory area (a memfd mapped by the parent and by the
 * runner: RunnerShared). No pipes, no per-Program syscalls:
 *  - the parent writes a RunnerRequest and bumps request_seq; the runner's child takes it;
 *  - ops stream through a ring (the parent keeps writing while the child runs them), records
 *    come back through another (the parent consumes them while the child produces them), and
 *    copied snapshots through a third (bytes), so neither side holds anything proportional to
 *    the Program's length;
 *  - each side waits by spinning on the other's counters for a bounded time, then sleeping on a
 *    futex word of its own (its "bell"), which the other side rings only when told that it
 *    sleeps (runner_handoff.h).
 * A Program ends with a RUNNER_END record: written by the child after the last op, or, when the
 * child died inside the Program (abort, fault, time limit), by the runner's server process after
 * it reaped the child, with the wait status and what the child wrote to fd 2. */
#ifndef HEAPTWIN_ORACLE_GLIBC_RUNNER_PROTOCOL_H_
#define HEAPTWIN_ORACLE_GLIBC_RUNNER_PROTOCOL_H_

#include <stdint.h>

#include "oracle/arena_walk.h"

/* The first word of every request; it changes with the layout of the structs below, so a
 * runner built from other sources refuses at once instead of misreading. */
#define RUNNER_MAGIC                                                                        \
  (0x68750000u + (uint32_t)sizeof(struct RunnerRequest) * 3u +                              \
   (uint32_t)sizeof(struct RunnerOp) * 5u + (uint32_t)sizeof(struct RunnerRecord) * 7u +    \
   (uint32_t)(sizeof(struct RunnerControl) % 65521u) * 11u + RUNNER_OP_RING / 1024u * 13u + \
   RUNNER_RECORD_RING / 1024u * 17u)

/* Ring sizes (powers of two). A Program of any length streams through them. */
#define RUNNER_OP_RING 8192u
#define RUNNER_RECORD_RING 8192u
/* Copied snapshots in flight; sparse (only what a Program uses is touched). A single state
 * larger than this is not copied: the parent then runs the Program again, pausing the child. */
#define RUNNER_STATE_BYTES (256u << 20)
/* The one limit a Program meets: its slot array (8 bytes a slot, mmapped by the child). */
#define RUNNER_MAX_SLOTS (1u << 28)
#define RUNNER_MAX_MESSAGE 4000
/* The largest tcache_perthread_struct: 2.42's (uint16_t num_slots[76], entries[76]); 2.30's
 * (counts[64], entries[64]) is 0x280. */
#define RUNNER_TCACHE_BYTES 0x2f8

/* The shared memory, set up by the parent before exec. */
#define RUNNER_FD_SHARED 3

/* Op kinds: the numbering of heaptwin::OpKind. */
enum {
  RUNNER_MALLOC,
  RUNNER_CALLOC,
  RUNNER_REALLOC,
  RUNNER_FREE,
  RUNNER_MEMALIGN,
  RUNNER_ALIGNED_ALLOC,
  RUNNER_POSIX_MEMALIGN,
  RUNNER_VALLOC,
  RUNNER_PVALLOC,
  RUNNER_USABLE_SIZE,
  RUNNER_WRITE8,
  RUNNER_MALLOPT,
  RUNNER_TRIM,
  RUNNER_READ8
};

/* Value kinds: the numbering of heaptwin::Value::Kind. */
enum { RUNNER_VALUE_LITERAL, RUNNER_VALUE_SLOT, RUNNER_VALUE_HEAP, RUNNER_VALUE_PROTECT };

/* RunnerRequest.flags */
enum {
  RUNNER_PAUSE = 1,      /* after each record, wait until the parent consumed it (it reads the
                            paused child's memory with process_vm_readv) */
  RUNNER_COPY_STATE = 2, /* copy arena, mp_, global_max_fast and heap after each op (state ring) */
  RUNNER_DIGESTS = 4,    /* arena_digest_here() after each op that returned */
  RUNNER_RESET = 8,      /* persistent child: reset glibc's malloc in place after the Program
                            (needs arena, mp and the tcache TLS slot); else a new child */
  RUNNER_KEEP_WRITERS = 16, /* also after a Program that wrote memory, when it provably left
                              nothing the reset does not undo (runner_guard.c) */
  /* 32 was RUNNER_EXACT_BREAK: runner_brk.c weighs every large raise from glibc's own break. */
  RUNNER_THREAD_TCACHES = 64 /* digests and copied states hold the other threads' tcaches too
                                (arena_walk.h, ArenaWhere::threads); needs errno_tls, tcache_tls */
};

struct RunnerRequest {
  uint32_t magic;
  uint32_t flags;
  uint64_t op_count;
  uint64_t first_op;   /* position of op 0 in the op ring (positions only grow) */
  uint32_t slot_count; /* slot ids are below this; at most RUNNER_MAX_SLOTS */
  uint32_t timeout_ms; /* CPU time one op may take */
  /* Offsets inside libc's TLS block of errno and of malloc's `tcache` (from debug symbols):
   * &tcache = __errno_location() - errno_tls + tcache_tls. Both 0 when unknown. */
  int64_t errno_tls;
  int64_t tcache_tls;
  int64_t thread_arena_tls; /* malloc's thread_arena; 0 when unknown (then a Program that wrote
                               memory is never survived) */
  /* Absolute addresses in the runner (libc's base + symbols), 0 when unknown. */
  uint64_t arena, mp, global_max_fast;
  /* glibc >= 2.34 draws tcache_key from getrandom() on its first call; a forged chunk size can
   * make a Program read it as a size. When tcache_key (its address) is not 0, the child sets
   * it to tcache_key_value right after the op that initialised malloc, and rewrites the key of
   * any chunk already cached (memalign's leftovers), so every run sees the same key. */
  uint64_t tcache_key, tcache_key_value;
  /* &__abort_msg: glibc's abort path mmaps a page for its message and keeps it there; a child
   * that survives an abort (RUNNER_RESET) unmaps it. 0: unknown (then /proc/self/maps is read). */
  uint64_t abort_msg;
  /* Field offsets of this glibc: the digests' walk, the copied snapshot's sizes (arena_bytes,
   * mp_bytes) and the reset (top, flags, mp_n_mmaps). */
  struct ArenaLayout layout;
};

struct RunnerOp {
  uint8_t kind;
  uint8_t value_kind, value_target_kind, value_pos_is_heap;
  int32_t param;
  uint32_t dst, src, value_slot, value_target_slot;
  uint32_t thread; /* the thread that runs it: 0 the child's main thread (runner_threads.c) */
  uint32_t pad;
  uint64_t a, b;
  int64_t offset;
  uint64_t value_literal;
  int64_t value_delta;
  uint64_t value_target_literal;
  int64_t value_target_delta;
};

enum {
  RUNNER_RETURNED = 1, /* the op returned */
  RUNNER_FAULT,        /* SIGSEGV/SIGBUS in the op: error = signal, pointer = address */
  RUNNER_END           /* the Program is over: error = wait status (0: it ran to its end),
                          value = length of the message in RunnerControl.message */
};

/* One per op that finished, then RUNNER_END. Records follow the ops in order. */
struct RunnerRecord {
  uint32_t kind;
  int32_t error;       /* errno after the op (set to 0 before); posix_memalign's return */
  uint64_t pointer;    /* allocating ops: the returned pointer; read8: the address read */
  uint64_t chunk_size; /* size field of the returned pointer's chunk (IS_MMAPPED bit) */
  uint64_t value;      /* usable_size / mallopt / trim return; posix_memalign's return;
                          read8: the bytes read */
  uint64_t heap_end;   /* sbrk(0) after the op */
  uint64_t tcache;     /* malloc's thread tcache pointer, 0 when unknown or not yet made */
  uint64_t digest;     /* RUNNER_DIGESTS */
  uint64_t state;      /* RUNNER_COPY_STATE: position of a RunnerState in the state ring, or
                          RUNNER_NO_STATE when it did not fit */
  /* A returned chunk in a non-main arena's heap (runner_threads.c): the arena by creation order
   * (1 the first after main_arena; 0: not such a chunk), which of its heaps, and the offset from
   * that heap's start. */
  uint32_t arena, arena_heap;
  uint64_t arena_heap_offset;
  /* read8: the threads' heaps its value may be named by (oracle/read_arena_heaps.h, packed by
   * read_arena_heap_pack; 0: none). Found here: the parent cannot read the child's memory. */
  uint64_t read_heaps[4];
};

#define RUNNER_NO_STATE (~(uint64_t)0)

/* A copied state, followed by arena_bytes of main_arena, mp_bytes of mp_, 8 bytes of
 * global_max_fast, heap_bytes of the heap from its base, when tcache_apart the tcache
 * struct (with M_MMAP_THRESHOLD 0 it is an mmapped chunk outside the heap), the heaps of the
 * other arenas (threads'): other_heaps of them, each a struct ArenaHeapRange and its bytes, and
 * for each thread t of `threads` (RUNNER_THREAD_TCACHES) a struct RunnerThreadTcache and the
 * `copied` bytes of its tcache struct. */
struct RunnerState {
  uint64_t bytes; /* of the whole entry, header included (16-aligned) */
  uint64_t heap_bytes;
  uint32_t arena_bytes, mp_bytes;
  uint32_t tcache_apart, other_heaps;
  uint32_t threads; /* bit t: thread t (1 .. 7) exists (ArenaWhere::threads) */
  uint32_t pad;
};
struct RunnerThreadTcache {
  uint64_t tcache; /* the thread's `tcache` (0: none yet) */
  uint64_t copied; /* the struct's bytes that follow (0: none, or unreadable) */
};
/* The most heaps, and bytes of them, a copied state holds (a snapshot past it reads the rest as
 * unreadable: an invalid arena, a difference the report names). */
#define RUNNER_MAX_HEAP_COPIES 64
#define RUNNER_MAX_HEAP_COPY_BYTES ((uint64_t)192 << 20)

/* A futex word one side sleeps on, and its flag saying so (runner_handoff.h). */
struct RunnerBell {
  uint32_t seq;
  uint32_t sleeping;
};

#define RUNNER_LINE __attribute__((aligned(64)))

/* Counters only grow (ring positions are these modulo the ring size). Each group is written by
 * one side only, on a cache line of its own. */
struct RunnerControl {
  /* Written by the runner's server before its first child. */
  RUNNER_LINE uint64_t heap_base; /* sbrk(0) before any malloc: where every heap starts */
  uint64_t spin_cycles;           /* written by the parent before the server starts */
  /* The parent. */
  RUNNER_LINE uint32_t request_seq; /* the request now in RunnerShared.request */
  uint32_t pad0;
  uint64_t ops_written;
  RUNNER_LINE uint64_t records_read;
  uint64_t state_released;
  RUNNER_LINE struct RunnerBell parent_bell; /* the parent sleeps on it */
  /* The child (and the server once the child is gone). */
  RUNNER_LINE uint32_t taken_seq; /* the last request a child took */
  uint32_t in_program;            /* request_seq of the Program running, 0 between Programs */
  int32_t child_pid;
  uint32_t pad1;
  uint64_t ops_read; /* published now and then (the parent waits on it only when
                        the op ring is full) */
  RUNNER_LINE uint64_t records_published; /* what the parent may read */
  RUNNER_LINE uint64_t records_written;   /* the child's own count (the server publishes it
                                             after the child died) */
  uint64_t state_head;
  uint64_t slots_start, slots_end; /* the child's slot array (runner_child_intact) */
  unsigned char recover_copy[256]; /* the child's jump buffer, as set (runner_child.c) */
  /* RUNNER_PAUSE: the other threads' tcaches after the op of the last record (ArenaWhere::threads
   * and thread_tcaches), for the parent's live snapshots. */
  RUNNER_LINE uint32_t threads;
  uint32_t pad2;
  uint64_t thread_tcaches[ARENA_MAX_THREADS];
  RUNNER_LINE struct RunnerBell child_bell; /* the child (or the server) sleeps on it */
  RUNNER_LINE char message[RUNNER_MAX_MESSAGE];
};

struct RunnerShared {
  struct RunnerControl control;
  RUNNER_LINE struct RunnerRequest request;
  RUNNER_LINE struct RunnerOp ops[RUNNER_OP_RING];
  RUNNER_LINE struct RunnerRecord records[RUNNER_RECORD_RING];
  RUNNER_LINE unsigned char state[RUNNER_STATE_BYTES];
};

/* Whether a copied snapshot carries the tcache struct after the heap: when it exists and lies
 * outside [heap_base, heap_end) (an mmapped chunk, with M_MMAP_THRESHOLD 0). */
static inline int runner_tcache_outside_heap(uint64_t tcache, uint64_t heap_base,
                                             uint64_t heap_end) {
  return tcache != 0 && (tcache < heap_base || tcache + RUNNER_TCACHE_BYTES > heap_end);
}

#endif /* HEAPTWIN_ORACLE_GLIBC_RUNNER_PROTOCOL_H_ */
