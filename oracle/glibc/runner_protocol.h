/* The wire format between the C++ glibc side and the C runner (runner.c). Plain C: the runner
 * must not link libstdc++, whose start-up allocation would sit in the heap it measures.
 *
 * Parent -> server (request pipe): RunnerRequest, then op_count RunnerOp.
 * Server/child -> parent (response pipe, or RunnerShared without snapshots): RunnerRecord, one
 * per op that finished, then one
 * record of kind RUNNER_END (after the child is gone) followed by `message_len` bytes of what
 * the child wrote to fd 2.
 * Parent -> child (ack pipe): one byte per record when snapshots are on (the child waits so the
 * parent can read its memory with process_vm_readv). */
#ifndef HEAPTWIN_ORACLE_GLIBC_RUNNER_PROTOCOL_H_
#define HEAPTWIN_ORACLE_GLIBC_RUNNER_PROTOCOL_H_

#include <stdint.h>

/* The first word of every request; it changes with the layout of the structs below, so a
 * runner built from other sources refuses at once instead of misreading. */
#define RUNNER_MAGIC                                                                        \
  (0x68740000u + (uint32_t)sizeof(struct RunnerRequest) * 3u +                               \
   (uint32_t)sizeof(struct RunnerOp) * 5u + (uint32_t)sizeof(struct RunnerRecord) * 7u +      \
   (uint32_t)(sizeof(struct RunnerShared) % 65521u) * 11u)
#define RUNNER_MAX_OPS 65536
#define RUNNER_MAX_SLOTS 4096
#define RUNNER_MAX_MESSAGE 4000
/* tcache_perthread_struct from 2.30 on (uint16_t counts[64], entries[64]). */
#define RUNNER_TCACHE_BYTES 0x280

/* The runner's file descriptors, set up by the parent before exec. */
#define RUNNER_FD_REQUEST 3
#define RUNNER_FD_RESPONSE 4
#define RUNNER_FD_ACK 5
/* Shared memory (a memfd) holding RunnerShared. Without snapshots the child puts its records
 * here instead of the pipe, so a Program costs two wake-ups (request, RUNNER_END), not one per
 * op; they survive the child's death. */
#define RUNNER_FD_SHARED 6

/* Op kinds: the numbering of heaptwin::OpKind. */
enum {
  RUNNER_MALLOC, RUNNER_CALLOC, RUNNER_REALLOC, RUNNER_FREE, RUNNER_MEMALIGN,
  RUNNER_ALIGNED_ALLOC, RUNNER_POSIX_MEMALIGN, RUNNER_VALLOC, RUNNER_PVALLOC,
  RUNNER_USABLE_SIZE, RUNNER_WRITE8, RUNNER_MALLOPT, RUNNER_TRIM
};

/* Value kinds: the numbering of heaptwin::Value::Kind. */
enum { RUNNER_VALUE_LITERAL, RUNNER_VALUE_SLOT, RUNNER_VALUE_HEAP, RUNNER_VALUE_PROTECT };

struct RunnerRequest {
  uint32_t magic;
  uint32_t op_count;
  uint32_t snapshots;   /* 1: wait for an ack after every record */
  uint32_t timeout_ms;  /* CPU time of the whole Program */
  /* Offsets inside libc's TLS block of errno and of malloc's `tcache` (from debug symbols):
   * &tcache = __errno_location() - errno_tls + tcache_tls. Both 0 when unknown. */
  int64_t errno_tls;
  int64_t tcache_tls;
  /* Copied snapshots (snapshots == 0, arena != 0): after every op the child copies main_arena
   * (arena_bytes), mp_ (mp_bytes), global_max_fast (8 bytes) and the whole heap into the state
   * area of RunnerShared, so the parent builds snapshots without pausing it. */
  uint64_t arena, mp, global_max_fast;
  uint32_t arena_bytes, mp_bytes;
  uint32_t spin_rounds; /* persistent: pause-loop rounds on request_seq before sleeping */
  uint32_t pad;
  /* glibc >= 2.34 draws tcache_key from getrandom() on its first call; a forged chunk size can
   * make a Program read it as a size. When tcache_key (its address) is not 0, the child sets
   * it to tcache_key_value right after the op that initialised malloc, and rewrites the key of
   * any chunk already cached (memalign's leftovers), so every run sees the same key. */
  uint64_t tcache_key, tcache_key_value;
};

struct RunnerOp {
  uint8_t kind;
  uint8_t value_kind, value_target_kind, value_pos_is_heap;
  int32_t param;
  uint16_t dst, src, value_slot, value_target_slot;
  uint64_t a, b;
  int64_t offset;
  uint64_t value_literal;
  int64_t value_delta;
  uint64_t value_target_literal;
  int64_t value_target_delta;
};

enum {
  RUNNER_RETURNED, /* the op returned: pointer/value/error fields valid */
  RUNNER_FAULT,    /* SIGSEGV/SIGBUS in the op: signal, address */
  RUNNER_START,    /* first record of a Program: pid of the child, heap base */
  RUNNER_END       /* the child is gone: status, then message_len bytes of its fd 2 */
};

struct RunnerRecord {
  uint32_t kind;
  uint32_t index;      /* op index */
  uint64_t pointer;    /* allocating ops: the returned pointer */
  uint64_t chunk_size; /* size field of the returned pointer's chunk (IS_MMAPPED bit) */
  uint64_t value;      /* usable_size / mallopt / trim return; posix_memalign's return */
  int32_t error;       /* errno after the op (set to 0 before) */
  int32_t signal;
  uint64_t address;    /* fault address */
  uint64_t heap_base;  /* sbrk(0) before the first op */
  uint64_t heap_end;   /* sbrk(0) after the op */
  uint64_t tcache;     /* malloc's thread tcache pointer, 0 when unknown or not yet made */
  int32_t pid;         /* RUNNER_START */
  int32_t status;      /* RUNNER_END: waitpid status */
  uint32_t message_len;
  uint32_t state_copied; /* copied snapshots: 1 when this op's state is at state_offset */
  uint64_t state_offset; /* into RunnerShared.state: arena, mp_, global_max_fast, heap */
  uint64_t state_heap_bytes; /* of the heap copied: up to top's header (the rest is top's) */
};

#define RUNNER_STATE_BYTES (256u << 20) /* sparse: only what a Program uses is touched */

/* The persistent runner takes its requests from here: the parent writes request and ops, then
 * one doorbell byte to the request pipe, then bumps request_seq. The child spins briefly on
 * request_seq before sleeping on the pipe, and after a Program writes RUNNER_END to the pipe
 * and then sets done_seq, on which the parent spins briefly: back-to-back Programs need no
 * sleeping wake-up while both sides are on a CPU. */
struct RunnerShared {
  uint32_t request_seq;  /* parent: the request now in `request`/`ops` */
  uint32_t consumed_seq; /* child: the last request it took (survives its death) */
  uint32_t done_seq;     /* child: the last request it finished */
  uint32_t count; /* records written (release-stored after each record) */
  struct RunnerRequest request;
  struct RunnerOp ops[RUNNER_MAX_OPS];
  struct RunnerRecord records[RUNNER_MAX_OPS + 2];
  unsigned char state[RUNNER_STATE_BYTES];
};

/* Whether a copied snapshot carries the tcache struct after the heap: when it exists and lies
 * outside [heap_base, heap_end) (an mmapped chunk, with M_MMAP_THRESHOLD 0). */
static inline int runner_tcache_outside_heap(uint64_t tcache, uint64_t heap_base, uint64_t heap_end) {
  return tcache != 0 && (tcache < heap_base || tcache + RUNNER_TCACHE_BYTES > heap_end);
}

#endif /* HEAPTWIN_ORACLE_GLIBC_RUNNER_PROTOCOL_H_ */
