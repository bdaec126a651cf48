/* Waiting for the other process, shared by the runner (C) and the parent (C++): spin on the
 * shared counters for a bounded time, then sleep on a futex word (a RunnerBell) until the other
 * side rings it. A side rings only when the bell says that its owner sleeps, so handing work to
 * a peer that is spinning costs no syscall at all.
 *
 * Why no wake-up is lost: the waiter announces `sleeping`, then (after a full fence) looks at
 * the condition once more before it sleeps; the other side changes the condition, then (after a
 * full fence) looks at `sleeping`. One of the two sees the other's store. The futex call itself
 * sleeps only while `seq` still holds what the waiter read before announcing, and ringing bumps
 * `seq`, so a ring between the last look and the sleep is not lost either. */
#ifndef HEAPTWIN_ORACLE_GLIBC_RUNNER_HANDOFF_H_
#define HEAPTWIN_ORACLE_GLIBC_RUNNER_HANDOFF_H_

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include "oracle/glibc/runner_protocol.h"

/* Rings `bell` if its owner sleeps. Call after publishing what the owner waits for. */
static inline void runner_ring(struct RunnerBell* bell) {
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  if (__atomic_load_n(&bell->sleeping, __ATOMIC_RELAXED)) {
    __atomic_fetch_add(&bell->seq, 1, __ATOMIC_SEQ_CST);
    syscall(SYS_futex, &bell->seq, FUTEX_WAKE, INT_MAX, (void*)0, (void*)0, 0);
  }
}

typedef int (*RunnerReadyFn)(void* ctx);

/* Pure spinning (pause) for about a microsecond, the time the peer needs for a short step. */
#define RUNNER_PURE_SPIN_CYCLES 3000u

/* Waits on `bell` (owned by the caller) until ready(ctx): `spin_cycles` TSC cycles of spinning,
 * then sleeps. 1 when ready; 0 when timeout_ms (> 0) passed first (the caller checks on its peer
 * and waits again); timeout_ms < 0 waits for ever. A signal only makes it look again.
 * After the first microsecond the spin yields the CPU at each round: when the peer (or another
 * process) waits for this CPU, it runs at once instead of after the spin. */
static inline int runner_wait(struct RunnerBell* bell, RunnerReadyFn ready, void* ctx,
                              uint64_t spin_cycles, int timeout_ms) {
  if (ready(ctx)) return 1;
  const uint64_t start = __rdtsc();
  uint64_t spun;
  while ((spun = __rdtsc() - start) < spin_cycles) {
    if (spun < RUNNER_PURE_SPIN_CYCLES) {
      _mm_pause();
    } else {
      sched_yield();
    }
    if (ready(ctx)) return 1;
  }
  struct timespec limit;
  limit.tv_sec = timeout_ms / 1000;
  limit.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
  for (;;) {
    uint32_t seq = __atomic_load_n(&bell->seq, __ATOMIC_ACQUIRE);
    __atomic_store_n(&bell->sleeping, 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (ready(ctx)) {
      __atomic_store_n(&bell->sleeping, 0, __ATOMIC_RELAXED);
      return 1;
    }
    long r = syscall(SYS_futex, &bell->seq, FUTEX_WAIT, seq, timeout_ms < 0 ? (void*)0 : &limit,
                     (void*)0, 0);
    int timed_out = r != 0 && errno == ETIMEDOUT;
    __atomic_store_n(&bell->sleeping, 0, __ATOMIC_RELAXED);
    if (ready(ctx)) return 1;
    if (timed_out) return 0;
  }
}

#endif /* HEAPTWIN_ORACLE_GLIBC_RUNNER_HANDOFF_H_ */
