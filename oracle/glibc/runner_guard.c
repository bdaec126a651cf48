/* Keeping a persistent child after a Program that wrote memory itself (write8). Such a Program,
 * and glibc following the pointers it forged, can write anywhere; most fuzz inputs have one, and
 * a new fork per Program costs more than the Program. The child is kept only when everything a
 * later Program could see is provably as a fresh child has it:
 *  - libc's data: restored by every reset;
 *  - the heap: zeroed up to the dirty extent by every reset, and above it (where glibc never
 *    writes, but a forged pointer can) every resident page is scanned and cleared;
 *  - mappings: every baseline mapping is still there as it was (glibc can be made to munmap or
 *    mremap a forged mmapped chunk anywhere), and new ones are unmapped;
 *  - the guard regions (writable memory no reset rewrites: ld.so's data, the TLS block, ...):
 *    copied before the Program's first write8 and compared after it, except the TLS words
 *    malloc itself changes (errno, tcache, thread_arena);
 *  - the runner's own variables that outlive a Program: compared with the read-only picture
 *    (runner_maps.c) and with the shared control block.
 * Anything else (the stack's dead frames, scratch buffers) no later Program reads. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 35)
#include <sys/rseq.h>
#endif
#include <unistd.h>

#include "oracle/glibc/runner_internal.h"

static int guarded; /* the guard regions were copied for this Program */

void runner_guard_begin(void) { guarded = 0; }

void runner_guard_before_write(void) {
  if (guarded) return;
  int count;
  unsigned char* copy;
  const struct Range* regions = runner_guard_regions(&count, &copy);
  for (int i = 0; i < count; ++i) {
    uint64_t n = regions[i].end - regions[i].start;
    memcpy(copy, (const void*)(uintptr_t)regions[i].start, n);
    copy += n;
  }
  guarded = 1;
}

/* The TLS words malloc and the ops change: put back as in the copy before comparing. */
static void mask_tls_word(const struct Range* r, unsigned char* copy, int64_t tls_offset) {
  if (tls_offset == 0) return;
  uint64_t at =
      (uint64_t)(uintptr_t)__errno_location() - (uint64_t)request.errno_tls + (uint64_t)tls_offset;
  if (at < r->start || at + 8 > r->end) return;
  memcpy(copy + (at - r->start), (const void*)(uintptr_t)at, 8);
}

/* The kernel's rseq area (glibc >= 2.35 registers one in the TCB) changes whenever the thread
 * moves between CPUs. */
static void mask_rseq(const struct Range* r, unsigned char* copy) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 35)
  uint64_t tp;
  __asm__("mov %%fs:0, %0" : "=r"(tp));
  uint64_t at = tp + (uint64_t)__rseq_offset;
  uint64_t n = __rseq_size < 32 ? 32 : __rseq_size;
  if (__rseq_size == 0 || at < r->start || at + n > r->end) return;
  memcpy(copy + (at - r->start), (const void*)(uintptr_t)at, n);
#else
  (void)r;
  (void)copy;
#endif
}

static int guard_regions_intact(void) {
  int count;
  unsigned char* copy;
  const struct Range* regions = runner_guard_regions(&count, &copy);
  for (int i = 0; i < count; ++i) {
    uint64_t n = regions[i].end - regions[i].start;
    mask_tls_word(&regions[i], copy, request.errno_tls);
    mask_tls_word(&regions[i], copy, request.tcache_tls);
    mask_tls_word(&regions[i], copy, request.thread_arena_tls);
    mask_rseq(&regions[i], copy);
    if (memcmp(copy, (const void*)(uintptr_t)regions[i].start, n) != 0) return 0;
    copy += n;
  }
  return 1;
}

int runner_guard_after(uint64_t zeroed_to, uint64_t heap_end) {
  /* runner_child_intact() was checked before RUNNER_END (the parent may since have written the
   * next request, which it compares with). */
  if (!runner_core_intact()) return 0;
  if (guarded && !guard_regions_intact()) return 0;
  if (!runner_maps_intact()) return 0;
  /* Every resident heap page at or above `zeroed_to`, up to glibc's break (its whole page). */
  runner_zero_resident(zeroed_to, (heap_end + 4095) & ~(uint64_t)4095);
  return 1;
}
