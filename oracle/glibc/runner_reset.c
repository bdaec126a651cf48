/* The persistent child's reset: back to glibc's malloc as it was before its first call, with no
 * syscall and no page fault in the common case.
 *
 *  - libc's writable data (main_arena, mp_, global_max_fast, tcache_key, __curbrk, ...) is
 *    copied back from the server's pristine copy. That includes glibc's cached break __curbrk,
 *    back at the heap base: the pages above stay mapped (runner_brk.c keeps them), so they must
 *    hold zeros:
 *  - the heap bytes the Program can have written are zeroed, and only those. In glibc 2.36 (and
 *    2.31, 2.41) malloc writes the heap only below the top chunk's header + 0x10 (its size
 *    field): chunks are carved from top, and what is given back to top is below it. The highest
 *    top is not always visible after an op: _int_memalign carves nb + alignment + MINSIZE from
 *    top and gives the tail back (_int_free merges it into top), and _int_realloc's "newp ==
 *    next" path carves from top and frees the remainder into top; both may also set up the
 *    tcache first (0x290 more; 0x300 from 2.42). For those two the bound is top before the op +
 * what they can carve (runner_dirty_after). M_PERTURB fills stay inside these chunks. A Program
 * that wrote memory itself (write8) is reset only when runner_guard.c proves it left nothing else.
 *    Pages of that extent the Program never touched are left alone (zero_heap). Above 64 MiB
 *    of heap the kernel's break is lowered: those pages go back to the kernel.
 *  - mappings the Program left (live mmapped chunks, counted by glibc in mp_.n_mmaps; the tcache
 *    struct is one under M_MMAP_THRESHOLD 0) are unmapped, reading /proc/self/maps only then.
 *    A heap that glibc continued with mmap (the break could not grow: the arena is marked
 *    non-contiguous) has every new mapping unmapped and the whole brk heap cleared.
 *  - the thread's tcache pointer (TLS, not libc's data) goes back to what it was before the
 *    first op: NULL, or from 2.42 &__tcache_dummy (malloc reads through it unconditionally).
 *  - after a survived abort, the page glibc's abort path mapped for its message is unmapped. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "oracle/glibc/runner_internal.h"

/* ---- what the Program can have written in the heap ---------------------------------------- */

/* Below this (and above the heap base) the Program may have left non-zero bytes. */
static uint64_t dirty_end;

void runner_dirty_begin(void) { dirty_end = heap_base; }

static uint64_t saturating_add(uint64_t a, uint64_t b) { return a + b < a ? ~(uint64_t)0 : a + b; }

static void raise_dirty_end(uint64_t end) {
  if (end > dirty_end) dirty_end = end;
}

/* glibc's request2size, saturating. */
static uint64_t request2size(uint64_t n) {
  return n + 8 + 15 < 0x20 ? 0x20 : saturating_add(n, 8 + 15) & ~(uint64_t)15;
}

static uint64_t power_of_two_at_least(uint64_t n) {
  uint64_t p = 0x20; /* _mid_memalign: at least MINSIZE */
  while (p < n && p < ((uint64_t)1 << 62)) p <<= 1;
  return p;
}

/* What memalign-family ops and realloc can carve from top before giving part of it back: the
 * tcache struct (0x290; 0x300 from 2.42), then the request (+ alignment + MINSIZE for memalign). */
static uint64_t carve_bound(const struct RunnerOp* op) {
  const uint64_t tcache_and_header = 0x300 + 0x10;
  switch (op->kind) {
    case RUNNER_REALLOC: return saturating_add(request2size(op->a), tcache_and_header);
    case RUNNER_MEMALIGN:
    case RUNNER_ALIGNED_ALLOC:
    case RUNNER_POSIX_MEMALIGN:
      return saturating_add(saturating_add(request2size(op->b), power_of_two_at_least(op->a)),
                            0x20 + 0x10 + tcache_and_header);
    case RUNNER_VALLOC:
    case RUNNER_PVALLOC:
      return saturating_add(request2size(saturating_add(op->a, 0xfff)),
                            0x1000 + 0x30 + tcache_and_header);
    default: return 0;
  }
}

void runner_dirty_after(const struct RunnerOp* op, const struct RunnerRecord* r,
                        uint64_t top_before) {
  raise_dirty_end(runner_top(r->heap_end) + 0x10);
  /* Only a chunk carved from the heap can have moved top up and back down. */
  if (r->pointer != 0 && !(r->chunk_size & 2)) {
    uint64_t carve = carve_bound(op);
    if (carve != 0) raise_dirty_end(saturating_add(top_before, carve));
  }
}

/* ---- the reset ----------------------------------------------------------------------------- */

/* glibc's abort path keeps its message in a page of its own (__abort_msg, struct abort_msg_s:
 * the mapping's size first); 0 when there is none. */
static void unmap_abort_message(void) {
  uint64_t page;
  memcpy(&page, (const void*)(uintptr_t)request.abort_msg, sizeof page);
  if (page == 0) return;
  uint32_t size;
  memcpy(&size, (const void*)(uintptr_t)page, sizeof size);
  munmap((void*)(uintptr_t)page, size);
}

#define NONCONTIGUOUS_BIT 2u

/* Zeroes [heap_base, end). A large extent is mostly pages the Program never touched (a big
 * block's interior): writing them would fault each one in (on this VM ~10 us a page). So above
 * 16 pages only the resident ones are cleared (one mincore call); the others read as zeros
 * already. */
static void zero_heap(uint64_t end) {
  const uint64_t page = 4096, small = 16 * page;
  if (end <= heap_base) return;
  if (end - heap_base <= small) {
    memset((void*)(uintptr_t)heap_base, 0, (size_t)(end - heap_base));
    return;
  }
  runner_zero_resident(heap_base, end);
}

/* The tcache TLS pointer before this child's first op (runner_note_pristine_tcache). */
static uint64_t pristine_tcache;
static int pristine_tcache_known;

void runner_note_pristine_tcache(void) {
  if (pristine_tcache_known || (request.errno_tls == 0 && request.tcache_tls == 0)) return;
  pristine_tcache = runner_tcache_pointer();
  pristine_tcache_known = 1;
}

/* Above this much heap the reset lowers the kernel's break instead of looking for the pages to
 * clear: mincore costs a byte per page, and breaks grown to a TiB took the attack corpus's
 * replay 255,000 mincore calls of 16 MiB each. */
static const uint64_t kScannedHeapBytes = (uint64_t)64 << 20;

int runner_reset(int after_death, int wrote) {
  int32_t arena_flags, n_mmaps;
  memcpy(&arena_flags, (const void*)(uintptr_t)(request.arena + request.layout.flags), 4);
  memcpy(&n_mmaps, (const void*)(uintptr_t)(request.mp + request.layout.mp_n_mmaps), 4);
  /* A heap glibc continued with mmap (sbrk failed; sysmalloc's fallback marked the arena
   * non-contiguous): the new space is a mapping, which the maps scan unmaps, and sysmalloc wrote
   * fenceposts and freed the old top at the end of the brk heap, above what dirty_end follows,
   * so the whole brk heap is cleared (its resident pages). */
  const int noncontiguous = (arena_flags & NONCONTIGUOUS_BIT) != 0;
  int scan_maps = n_mmaps != 0 || noncontiguous;
  if (after_death) {
    /* After a write8 __abort_msg itself may be forged: the maps scan (runner_guard_after)
     * finds the page instead. */
    if (request.abort_msg != 0 && !wrote)
      unmap_abort_message();
    else
      scan_maps = 1;
  }
  uint64_t brk_now = (uint64_t)(uintptr_t)sbrk(0); /* glibc's __curbrk: no syscall */
  /* The kernel takes the pages above back (they read as zeros when the break grows again). */
  const uint64_t kernel_brk = runner_brk_release_above(heap_base + kScannedHeapBytes);
  if (kernel_brk < brk_now) brk_now = kernel_brk;
  /* The partial page at the break is kept by every kernel (and by runner_brk.c): up to its end. */
  const uint64_t brk_page_end = (brk_now + 4095) & ~(uint64_t)4095;
  uint64_t end = dirty_end < brk_page_end && !noncontiguous ? dirty_end : brk_page_end;
  zero_heap(end);
  runner_restore_libc_data();
  char* tls_errno = (char*)__errno_location();
  memcpy(tls_errno - request.errno_tls + request.tcache_tls, &pristine_tcache, sizeof(void*));
  /* A Program that wrote memory: everything checked (runner_guard.c), mappings included. */
  const int reusable = wrote ? runner_guard_after(end > heap_base ? end : heap_base, brk_now)
                             : !scan_maps || runner_unmap_new();
  runner_brk_restart();
  return reusable;
}
