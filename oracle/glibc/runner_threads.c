/* Threads in the runner's child (docs/heap-format.md, "Threads"). An op names the thread that
 * runs it (RunnerOp.thread); thread 0 is the child's own main thread, any other a real pthread
 * that the main thread creates just before that thread's first op, as a program would. The main
 * thread hands each op to its thread and waits until it is done (lock-step: one op at a time, in
 * the Program's order), so everything else the child does (records, digests, copied states)
 * stays on the main thread while every other thread waits.
 *
 * What creating a thread does to the heap is part of what a Program sees: glibc 2.36's
 * pthread_create callocs the new thread's dtv in the creating thread's arena (a 0x120 chunk
 * here, as in any program whose only TLS is libc's; the first such calloc also makes the main
 * thread's tcache). Threads never exit while the Program runs, and a child that started one
 * does not run another Program (runner_child.c): arenas, thread_arena and the free list cannot
 * be reset in place.
 *
 * Before glibc 2.34 pthread_create lives in libpthread, which the runner does not link (it
 * would change every older release's start-up): there `pthread_create` is a null weak symbol and
 * the parent refuses threaded Programs (glibc_side.cc). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "oracle/arena_chunk_name.h"
#include "oracle/glibc/runner_internal.h"
#include "oracle/read_arena_heaps.h"

#pragma weak pthread_create

#define RUNNER_MAX_THREADS ARENA_MAX_THREADS /* heaptwin::kMaxThreads */

/* glibc's HEAP_MAX_SIZE on 64-bit (2 * DEFAULT_MMAP_THRESHOLD_MAX): a non-main heap starts at
 * the HEAP_MAX_SIZE boundary at or below any of its chunks (heap_for_ptr). */
#define NON_MAIN_ARENA_BIT 4ull
#define IS_MMAPPED_BIT 2ull

struct Worker {
  pthread_t id;
  int started;
  struct RunnerBell bell; /* the worker sleeps on it */
  uint64_t given;         /* ops handed to it (written by the main thread) */
  uint64_t done;          /* ops it finished (written by the worker) */
  const struct RunnerOp* op;
  struct RunnerRecord* record;
  /* Where this thread's glibc thread-local `tcache` lies (0: unknown), found by the thread itself
   * before its first op (runner_thread_tcaches). */
  uint64_t tcache_slot;
};

static struct Worker workers[RUNNER_MAX_THREADS];
static struct RunnerBell main_bell; /* the main thread sleeps on it while a worker runs an op */
static int started_any;
/* Each worker's own stack for the fault handler (sigaltstack is per thread). */
static char worker_alt_stacks[RUNNER_MAX_THREADS][1 << 15];

static int op_waiting(void* ctx) {
  struct Worker* w = ctx;
  return __atomic_load_n(&w->given, __ATOMIC_ACQUIRE) != w->done;
}

static int op_finished(void* ctx) {
  struct Worker* w = ctx;
  return __atomic_load_n(&w->done, __ATOMIC_ACQUIRE) == w->given;
}

static void* worker_main(void* arg) {
  struct Worker* w = arg;
  stack_t ss;
  ss.ss_sp = worker_alt_stacks[w - workers];
  ss.ss_size = sizeof worker_alt_stacks[0];
  ss.ss_flags = 0;
  sigaltstack(&ss, NULL);
  /* As t0 finds its own (runner_tcache_pointer): errno and tcache both lie in libc's TLS block,
   * a fixed distance apart, and __errno_location() is this thread's errno. Published by the
   * release store of `done` after the first op. */
  if (request.errno_tls != 0 && request.tcache_tls != 0) {
    w->tcache_slot =
        (uint64_t)(uintptr_t)((char*)__errno_location() - request.errno_tls + request.tcache_tls);
  }
  for (;;) {
    runner_wait(&w->bell, op_waiting, w, shared->control.spin_cycles, -1);
    runner_run_op(w->op, w->record);
    __atomic_store_n(&w->done, w->done + 1, __ATOMIC_RELEASE);
    runner_ring(&main_bell);
  }
  return NULL;
}

static void fail(const char* why) {
  (void)!write(2, why, strlen(why));
  _exit(EXIT_RUNNER_FAULT);
}

void runner_run_op_on_thread(const struct RunnerOp* op, struct RunnerRecord* r) {
  if (op->thread == 0) {
    runner_run_op(op, r);
    return;
  }
  if (op->thread >= RUNNER_MAX_THREADS) fail("heaptwin runner: an op names a thread past t7\n");
  struct Worker* w = &workers[op->thread];
  if (!w->started) {
    if (!pthread_create) fail("heaptwin runner: no pthread_create (glibc before 2.34)\n");
    if (pthread_create(&w->id, NULL, worker_main, w) != 0) {
      fail("heaptwin runner: pthread_create failed\n");
    }
    w->started = 1;
    started_any = 1;
  }
  w->op = op;
  w->record = r;
  __atomic_store_n(&w->given, w->given + 1, __ATOMIC_RELEASE);
  runner_ring(&w->bell);
  runner_wait(&main_bell, op_finished, w, shared->control.spin_cycles, -1);
}

int runner_threads_started(void) { return started_any; }

uint32_t runner_thread_tcaches(uint64_t* tcaches) {
  if (!started_any || !(request.flags & RUNNER_THREAD_TCACHES)) return 0;
  uint32_t threads = 0;
  for (uint32_t t = 1; t < RUNNER_MAX_THREADS; ++t) {
    const struct Worker* w = &workers[t];
    if (!w->started) continue;
    if (w->tcache_slot == 0) return 0; /* not known: no opinion on any */
    /* The thread waits for its next op: its TLS is as its last op left it. */
    memcpy(&tcaches[t], (const void*)(uintptr_t)w->tcache_slot, sizeof tcaches[t]);
    threads |= 1u << t;
  }
  return threads;
}

/* ---- naming a chunk of a non-main arena ------------------------------------------------------ */

/* A word of this process's memory, or 0 when it is not readable (a Program may have forged the
 * pointer): runner_probe_word survives the fault. */
static int read_word(uint64_t address, uint64_t* out) { return runner_probe_word(address, out); }

static int read_word_at(void* ctx, uint64_t address, uint64_t* out) {
  (void)ctx;
  return read_word(address, out);
}

static int allocates(uint8_t kind) {
  return kind == RUNNER_MALLOC || kind == RUNNER_CALLOC || kind == RUNNER_REALLOC ||
         kind == RUNNER_MEMALIGN || kind == RUNNER_ALIGNED_ALLOC || kind == RUNNER_POSIX_MEMALIGN ||
         kind == RUNNER_VALLOC || kind == RUNNER_PVALLOC;
}

/* &main_arena: known from debug symbols, else found on the circular arena list from `arena`: the
 * one arena that is not the arena of the heap it would lie in (a non-main arena's malloc_state
 * sits in its first heap, right after that heap's heap_info, whose ar_ptr points back at it). */
static uint64_t main_arena_from(uint64_t arena, uint64_t next_offset) {
  if (request.arena != 0) return request.arena;
  uint64_t a = arena;
  for (int i = 0; i <= 64; ++i) {
    uint64_t owner;
    if (!read_word(a & ~(ARENA_HEAP_ALIGNMENT - 1), &owner) || owner != a) return a;
    if (!read_word(a + next_offset, &a)) return 0;
  }
  return 0;
}

/* After an allocating op in a Program with threads: a chunk outside the main heap, not mmapped,
 * with NON_MAIN_ARENA set, named by its arena, heap and offset when heap_info says so: its
 * ar_ptr is an arena of the list, and its prev chain leads to that arena's first heap (the one
 * holding the malloc_state). */
void runner_name_arena_chunk(const struct RunnerOp* op, struct RunnerRecord* r) {
  if (!started_any || !allocates(op->kind) || r->pointer == 0) return;
  if (r->pointer >= heap_base && r->pointer < r->heap_end) return;
  if ((r->chunk_size & (NON_MAIN_ARENA_BIT | IS_MMAPPED_BIT)) != NON_MAIN_ARENA_BIT) return;
  const uint64_t next_offset = request.layout.binmap + 16; /* malloc_state's next follows binmap */
  uint64_t any_arena;
  if (!read_word(r->pointer & ~(ARENA_HEAP_ALIGNMENT - 1), &any_arena))
    return; /* heap_info.ar_ptr */
  struct ArenaChunkName name;
  if (!arena_chunk_name(read_word_at, NULL, main_arena_from(any_arena, next_offset), next_offset,
                        r->pointer, &name)) {
    return;
  }
  r->arena = name.arena;
  r->arena_heap = name.heap;
  r->arena_heap_offset = name.offset;
}

/* After a read8: the threads' heaps its value may be named by, found as the twin side finds them
 * (read_arena_heaps.h), for the parent's naming (glibc_side.cc). Without threads main_arena's
 * list is empty but for a tcache that main_arena could not hold (docs/threads.md). Past
 * main_arena every word is probed: a Program may have forged the list. */
void runner_name_read_heaps(const struct RunnerOp* op, struct RunnerRecord* r) {
  _Static_assert(sizeof r->read_heaps / sizeof r->read_heaps[0] == READ_ARENA_HEAPS_MAX, "record");
  if (op->kind != RUNNER_READ8 || request.arena == 0) return;
  /* main_arena.next lies in libc's data, always readable: while it names main_arena itself (no
   * other arena: every Program without threads) nothing else is read. */
  const uint64_t next_offset = request.layout.binmap + 16;
  uint64_t next;
  memcpy(&next, (const void*)(uintptr_t)(request.arena + next_offset), sizeof next);
  if (next == request.arena) return;
  struct ReadArenaHeap heaps[READ_ARENA_HEAPS_MAX];
  const size_t n = read_arena_heaps(read_word_at, NULL, request.arena, next_offset,
                                    request.layout.top, r->value, r->pointer, heaps);
  for (size_t i = 0; i < n; ++i) r->read_heaps[i] = read_arena_heap_pack(&heaps[i]);
}
