/* glibc's break in the runner: the kernel's break only grows within a child; glibc's own break
 * (__curbrk) moves as it would in a fresh process.
 *
 * Why: every page the kernel gives back is a page fault when it is touched again, and on this
 * project's VMs a fault costs 10-15 us (a 64-op Program costs the twin about 10 us in all).
 * Each Program's first sbrk sets the break near the heap base again (the reset restores
 * __curbrk), so with real brk() calls every page a Program touched above its first 132 KiB was
 * unmapped and faulted in again by the next Program; systrim and heap shrinking did the same
 * within a Program. In the bench's fuzz inputs faults were over half of the glibc side's time.
 *
 * How: libc's brk() (sbrk's only way to the kernel; glibc's malloc grows and trims the main
 * heap through sbrk) is redirected here. Below the kernel's break, glibc's break moves without
 * the kernel: the pages glibc gives back are zeroed (only those resident) and stay mapped.
 * What glibc sees is a fresh process's:
 *  - memory glibc takes reads as zeros, as the kernel's fresh pages do (calloc relies on it);
 *  - the partial page at the break keeps its bytes, as the kernel keeps them;
 *  - a raise the kernel could refuse (overcommit's heuristic weighs the increment against RAM +
 *    swap) is made from glibc's break, with the kernel's break lowered there first: refused or
 *    granted as in a fresh process. Any smaller raise is granted from either break.
 * What differs: memory between glibc's break and the kernel's can be read and written, where
 * a fresh process faults. glibc itself never goes there on a heap it keeps intact, so only a
 * Program can: before an op that writes memory, that reads above glibc's break, or that hands
 * glibc a pointer it does not hold (a dangling one: runner_live.c; runner_ops.c asks), the
 * kernel's break goes back to glibc's for the rest of the Program (runner_brk_exact), and
 * that Program pays the faults. Making the kept pages inaccessible instead (mprotect) was
 * measured: on this VM changing a page's protection costs about as much as faulting it.
 * The reset starts the next Program keeping pages again (runner_brk_restart), and lowers the
 * kernel's break itself when it has grown large (runner_brk_release_above).
 * HEAPTWIN_RUNNER_KEEP_PAGES=0 in the runner's environment turns all of this off; the test
 * (runner_brk_test.cc) compares every Program's trace with and without it. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "oracle/glibc/runner_internal.h"

#define PAGE ((uint64_t)4096)

/* The kernel's overcommit heuristic refuses a brk increment of more pages than RAM + swap
 * (ARaiseIsWeighedFromGlibcsBreak asks for one page more). An increment that far below it is
 * granted from glibc's break, and so from the kernel's, which is at or above it; a larger one is
 * made against the kernel from glibc's own break (see above). The margin covers page rounding. */
#define EXACT_RAISE_MARGIN ((uint64_t)16 << 20)

static uint64_t** curbrk;     /* libc's __curbrk: glibc's break */
static uint64_t kernel_brk;   /* the kernel's break, as this process last set it */
static int installed;         /* 0: glibc calls the kernel's brk itself (and the kernel_brk above
                                 is not followed) */
static int exact;             /* the kernel's break is glibc's until the reset (runner_brk_exact) */
static uint64_t ram_and_swap; /* bytes (sysinfo); 0 when unknown: every raise is then exact */

static uint64_t page_up(uint64_t a) { return (a + PAGE - 1) & ~(PAGE - 1); }

/* Whether a fresh process's kernel could refuse to raise glibc's break by `increment`. */
static int may_be_refused(uint64_t increment) {
  return increment + EXACT_RAISE_MARGIN > ram_and_swap ||
         increment + EXACT_RAISE_MARGIN < increment;
}

static uint64_t glibc_brk(void) { return (uint64_t)(uintptr_t)*curbrk; }

static uint64_t kernel_set_brk(uint64_t at) {
  kernel_brk = (uint64_t)syscall(SYS_brk, (long)at);
  return kernel_brk;
}

/* Whether [start, stop), within one page, holds a byte that is not zero. */
static int dirty(uint64_t start, uint64_t stop) {
  static const unsigned char zeros[PAGE];
  return memcmp((const void*)(uintptr_t)start, zeros, (size_t)(stop - start)) != 0;
}

/* Zeroes what is resident of [from, to): one mincore per 16 MiB, no fault. A resident page that
 * reads as zeros is left alone: one only ever read maps the kernel's zero page, and writing it
 * would be a fault. */
void runner_zero_resident(uint64_t from, uint64_t to) {
  static unsigned char resident[4096];
  for (uint64_t at = from & ~(PAGE - 1); at < to;) {
    uint64_t pages = (to - at + PAGE - 1) / PAGE;
    if (pages > sizeof resident) pages = sizeof resident;
    if (mincore((void*)(uintptr_t)at, pages * PAGE, resident) != 0) memset(resident, 1, pages);
    for (uint64_t i = 0; i < pages; ++i, at += PAGE) {
      if (!(resident[i] & 1)) continue; /* never touched: zero */
      const uint64_t start = at < from ? from : at, stop = at + PAGE < to ? at + PAGE : to;
      if (dirty(start, stop)) memset((void*)(uintptr_t)start, 0, (size_t)(stop - start));
    }
  }
}

/* glibc's break from `from` down to `to`, both at most the kernel's break: what it gives back
 * must read as zeros when it takes it again. */
static void give_back(uint64_t from, uint64_t to) {
  const uint64_t start = page_up(to), end = page_up(from);
  if (start < end) runner_zero_resident(start, end);
}

/* libc's brk(): 0, or -1 with ENOMEM when the kernel refused. */
static int brk_kept(void* addr) {
  const uint64_t want = (uint64_t)(uintptr_t)addr, now = glibc_brk();
  if (exact || want < heap_base || now < heap_base || now > kernel_brk ||
      (want > now && may_be_refused(want - now))) {
    /* The kernel answers, from glibc's break, as in a fresh process. */
    if (kernel_brk != now) kernel_set_brk(now);
    const uint64_t before = kernel_brk;
    *curbrk = (uint64_t*)(uintptr_t)kernel_set_brk(want);
    runner_advise_huge(page_up(before), kernel_brk);
  } else if (want <= kernel_brk) {
    if (want < now) give_back(now, want);
    *curbrk = (uint64_t*)(uintptr_t)want;
  } else {
    /* Granted or refused as from glibc's break: refusal weighs increments near RAM + swap. */
    const uint64_t before = kernel_brk;
    if (kernel_set_brk(want) >= want) {
      runner_advise_huge(page_up(before), want);
      *curbrk = (uint64_t*)(uintptr_t)want;
    }
  }
  if ((uint64_t)(uintptr_t)*curbrk < want) {
    errno = ENOMEM;
    return -1;
  }
  return 0;
}

/* libc's madvise(): MADV_DONTNEED on glibc's heap (malloc_trim gives free chunks' pages back
 * that way) zeroes the resident pages instead, which is what the kernel's dropping them shows a
 * process, without the faults that touching them again costs. Everything else goes to the
 * kernel. */
static int madvise_kept(void* addr, size_t length, int advice) {
  const uint64_t at = (uint64_t)(uintptr_t)addr;
  if (advice == MADV_DONTNEED && !exact && installed && at >= heap_base && at % PAGE == 0 &&
      at + length >= at && at + length <= page_up(glibc_brk())) {
    runner_zero_resident(at, page_up(at + length));
    return 0;
  }
  const long r = syscall(SYS_madvise, addr, length, advice);
  if (r < 0) {
    errno = (int)-r;
    return -1;
  }
  return 0;
}

int runner_brk_install(void) {
  curbrk = (uint64_t**)runner_find_curbrk();
  if (curbrk == NULL) return 0;
  kernel_brk = (uint64_t)syscall(SYS_brk, 0L);
  struct sysinfo info;
  if (sysinfo(&info) == 0)
    ram_and_swap = ((uint64_t)info.totalram + info.totalswap) * info.mem_unit;
  /* madvise first: brk keeps pages only when madvise would keep them too (and ops check). */
  installed = runner_redirect((void*)&madvise, (void*)&madvise_kept) &&
              runner_redirect((void*)&brk, (void*)&brk_kept);
  return installed;
}

void runner_brk_restart(void) { exact = 0; }

uint64_t runner_brk_release_above(uint64_t limit) {
  if (!installed) kernel_brk = (uint64_t)syscall(SYS_brk, 0L);
  if (kernel_brk > limit) kernel_set_brk(limit);
  return kernel_brk;
}

void runner_brk_exact(void) {
  if (!installed) return;
  const uint64_t now = glibc_brk();
  if (kernel_brk != now) kernel_set_brk(now);
  exact = 1;
}

int runner_brk_kept(uint64_t address, uint64_t bytes) {
  if (!installed || exact) return 0;
  const uint64_t from = page_up(glibc_brk()), to = page_up(kernel_brk);
  const uint64_t end = address + bytes < address ? UINT64_MAX : address + bytes;
  return address < to && end > from;
}
