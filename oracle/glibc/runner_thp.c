/* Large memory glibc gets in the runner is backed by transparent huge pages.
 *
 * Why: a few fuzz inputs make glibc touch tens of MiB of memory it just got (calloc clears a
 * block, M_PERTURB fills one, byte by byte), and each 4 KiB page is a fault the kernel
 * zero-fills: in the main job's corpus 5% of the Programs took 84% of the runner's page faults
 * (most of them one calloc of 31.5 MiB from a heap grown to 4 GiB), and the runner's child
 * spent 80% of its CPU in the kernel. A 2 MiB fault replaces 512 (on this VM touching 32 MiB
 * took 28 ms in small pages, 3.4 ms in huge ones). This machine's THP mode is "madvise".
 *
 * How: libc's mmap() is redirected here (a jump written over its first bytes; glibc's malloc
 * calls mmap for mmapped chunks and its mmap fallback), which makes the very system call libc
 * would and then advises MADV_HUGEPAGE on what is new when it is 2 MiB or more. The heap's
 * growth gets the same advice from runner_brk.c, which redirects brk(). Addresses, contents and
 * errors are as libc's own functions leave them: the advice changes only how pages are
 * backed. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "oracle/glibc/runner_internal.h"

#define HUGE_PAGE ((uint64_t)2 << 20)

static void* mmap_advised(void* addr, size_t length, int prot, int flags, int fd, off_t offset) {
  long r = syscall(SYS_mmap, addr, length, prot, flags, fd, offset);
  if (r < 0 && r > -4096) {
    errno = (int)-r;
    return MAP_FAILED;
  }
  if ((flags & MAP_ANONYMOUS) && length >= HUGE_PAGE) madvise((void*)r, length, MADV_HUGEPAGE);
  return (void*)r;
}

void runner_advise_huge(uint64_t from, uint64_t to) {
  if (to >= from + HUGE_PAGE) madvise((void*)(uintptr_t)from, (size_t)(to - from), MADV_HUGEPAGE);
}

/* Writes "movabs $target, %rax; jmp *%rax" over the first 12 bytes of `fn`. */
int runner_redirect(void* fn, void* target) {
  unsigned char code[12] = {0x48, 0xb8};
  uint64_t t = (uint64_t)(uintptr_t)target;
  memcpy(code + 2, &t, 8);
  code[10] = 0xff;
  code[11] = 0xe0;
  const uint64_t page = 4096, at = (uint64_t)(uintptr_t)fn, first = at & ~(page - 1);
  const size_t span = (size_t)(((at + sizeof code + page - 1) & ~(page - 1)) - first);
  if (mprotect((void*)(uintptr_t)first, span, PROT_READ | PROT_WRITE | PROT_EXEC) != 0) return 0;
  memcpy((void*)(uintptr_t)at, code, sizeof code);
  return mprotect((void*)(uintptr_t)first, span, PROT_READ | PROT_EXEC) == 0;
}

int runner_thp_install(void) { return runner_redirect((void*)&mmap, (void*)&mmap_advised); }
