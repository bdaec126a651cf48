/* What the runner's files share (runner_*.c). The runner never calls malloc itself: every
 * malloc call its child makes is an op of the Program it runs. */
#ifndef HEAPTWIN_ORACLE_GLIBC_RUNNER_INTERNAL_H_
#define HEAPTWIN_ORACLE_GLIBC_RUNNER_INTERNAL_H_

#include <stdint.h>

#include "oracle/arena_walk.h"
#include "oracle/glibc/runner_handoff.h"
#include "oracle/glibc/runner_protocol.h"

/* Exit codes of a child. */
#define EXIT_DIED_IN_PROGRAM 9 /* a fault ended the Program (its record is written) */
#define EXIT_RECYCLE 10        /* finished a Program it must not outlive, or fork mode */
#define EXIT_BAD_REQUEST 2     /* a parent of another protocol: the server stops too */
#define EXIT_RUNNER_FAULT 11   /* the runner's own code faulted: a bug, reported as an error */

extern struct RunnerShared* shared;
extern struct RunnerRequest request; /* the child's copy of the Program's request */
extern uint64_t heap_base;

/* runner_ops.c: one op, and the slots it reads and assigns. */
int runner_prepare_slots(uint32_t count); /* 0: the slot array cannot be mapped */
void runner_run_op(const struct RunnerOp* op, struct RunnerRecord* r);
/* The slot array's mapping, which the reset must not unmap. */
void runner_slots_mapping(uint64_t* start, uint64_t* end);

/* runner_child.c: a word of this process, or 0 when reading it faults (a forged pointer). Main
 * thread only, outside an op. */
int runner_probe_word(uint64_t address, uint64_t* out);

/* runner_threads.c: an op on the thread it names (created at its first op), lock-step. */
void runner_run_op_on_thread(const struct RunnerOp* op, struct RunnerRecord* r);
int runner_threads_started(void); /* 1: this child must not run another Program */
/* The other threads' tcaches (RUNNER_THREAD_TCACHES): tcaches[t] (of ARENA_MAX_THREADS) for each
 * thread t of the returned ArenaWhere::threads; 0 when none, or when they cannot be found. */
uint32_t runner_thread_tcaches(uint64_t* tcaches);
/* Sets r->arena, arena_heap, arena_heap_offset for a returned chunk of a non-main arena. */
void runner_name_arena_chunk(const struct RunnerOp* op, struct RunnerRecord* r);
void runner_name_read_heaps(const struct RunnerOp* op, struct RunnerRecord* r);

/* runner_maps.c: the address space as it was before any Program (see there). */
struct Range {
  uint64_t start, end;
};
int runner_memory_setup(void); /* in the server; 0 when libc's data cannot be found */
void runner_restore_libc_data(void);
int runner_unmap_new(void);   /* 0: /proc/self/maps unreadable */
int runner_maps_intact(void); /* also unmaps new mappings; 0: a baseline mapping changed */
const struct Range* runner_guard_regions(int* count, unsigned char** copy);
int runner_core_intact(void);

/* runner_guard.c: keeping the child after a Program that wrote memory (see there). */
void runner_guard_begin(void);
void runner_guard_before_write(void);
int runner_guard_after(uint64_t zeroed_to, uint64_t heap_end); /* 0: the child must go */
int runner_child_intact(void); /* runner_child.c: its own counters agree with the shared ones */

/* runner_state.c: what the child reports about glibc's state after an op. */
uint64_t runner_tcache_pointer(void);
/* Remembers the tcache TLS pointer before the child's first op, for runner_reset. */
void runner_note_pristine_tcache(void);
void runner_pin_tcache_key(void);
uint64_t runner_digest(const struct RunnerRecord* r, struct ArenaDigestPace* pace);
/* Copies the state into the state ring (waits for room), sets r->state. */
void runner_copy_state(struct RunnerRecord* r, int first_op);
uint64_t runner_top(
    uint64_t heap_end); /* main_arena.top, or heap_base while it is not in the heap */

/* runner_reset.c: the persistent child's reset (see there). */
void runner_dirty_begin(void);
void runner_dirty_after(const struct RunnerOp* op, const struct RunnerRecord* r,
                        uint64_t top_before);
/* 0: this child cannot be reset (a new one must take over). after_death: the Program ended in
 * a survived abort or fault; wrote: it ran a write8. */
int runner_reset(int after_death, int wrote);

/* runner_live.c: the chunks glibc handed out in this Program and still holds (see there). */
void runner_live_begin(void); /* a new Program: none */
void runner_live_add(uint64_t pointer);
void runner_live_remove(uint64_t pointer);
int runner_live_has(uint64_t pointer); /* 0 also when the set is full (it stops tracking) */

/* runner_backtrace.c: before 2.26, sets up the backtrace malloc_printerr takes, with its
 * allocations kept out of the heap (see there). In the server, before anything is pictured. */
void runner_warm_backtrace(void);

/* runner_thp.c: huge pages for glibc's large mappings and heap growth (see there); in the
 * server, before runner_memory_setup. 0: not (fully) installed. */
int runner_thp_install(void);
void runner_advise_huge(uint64_t from, uint64_t to); /* [from, to) when 2 MiB or more */
/* Writes a jump to `target` over the first bytes of libc's function `fn`; 0 on failure. */
int runner_redirect(void* fn, void* target);

/* runner_brk.c: glibc's break without giving pages back to the kernel (see there). */
int runner_brk_install(void); /* in the server, after runner_thp_install; 0: not installed */
/* 1: [address, address + bytes) lies partly where a fresh process would fault and this one
 * would not (between glibc's break and the kernel's). */
int runner_brk_kept(uint64_t address, uint64_t bytes);
/* The kernel's break at glibc's, and kept there until runner_brk_restart: before an op that
 * may touch memory glibc does not keep (a write8, a read pointer). */
void runner_brk_exact(void);
void runner_brk_restart(void); /* the reset: the next Program keeps pages again */
/* Lowers the kernel's break to `limit` when it is above; the kernel's break after. */
uint64_t runner_brk_release_above(uint64_t limit);
void runner_zero_resident(uint64_t from, uint64_t to); /* [from, to); faults nothing in */
/* runner_maps.c: &__curbrk in libc's data, found by moving the break once; NULL if not found. */
void* runner_find_curbrk(void);

/* runner_child.c: the child, and waiting for the parent from inside it. */
void runner_child(int message_read_fd) __attribute__((noreturn));
void runner_child_wait(RunnerReadyFn ready, void* ctx);
void runner_publish(void); /* records and op progress, so a parent can go on */

#endif /* HEAPTWIN_ORACLE_GLIBC_RUNNER_INTERNAL_H_ */
