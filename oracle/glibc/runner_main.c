/* The real-glibc runner: a server process that keeps one child ready to run Programs, and forks
 * the next child whenever one ends. The child runs Program after Program and resets glibc's
 * malloc in place between them (argv[last] == "persistent"), or runs one and ends (fork mode).
 *
 * Plain C, no stdio, and no allocation of its own: the server never calls malloc, so every child
 * starts with glibc's malloc untouched (no heap, no tcache), as a fresh process does. glibc's
 * fatal messages go to the child's fd 2, a pipe the server reads after the child is gone
 * (LIBC_FATAL_STDERR_=1 keeps glibc from writing to /dev/tty instead). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oracle/glibc/runner_internal.h"

struct RunnerShared* shared;
uint64_t heap_base;

/* A runner whose parent died (a fuzzer killed mid-Program) must go too: a child waiting for a
 * request that will never come would wait for ever. */
static void die_with_parent(pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(0); /* it died before we asked */
}

/* What the child wrote to fd 2; the child is gone, so the pipe holds all of it. */
static uint32_t read_message(int fd) {
  char* message = shared->control.message;
  size_t len = 0;
  while (len < RUNNER_MAX_MESSAGE) {
    ssize_t n = read(fd, message + len, RUNNER_MAX_MESSAGE - len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    len += (size_t)n;
  }
  return (uint32_t)len;
}

static int record_room(void* ctx) {
  uint64_t at = *(const uint64_t*)ctx;
  return at - __atomic_load_n(&shared->control.records_read, __ATOMIC_ACQUIRE) < RUNNER_RECORD_RING;
}

/* The child died. Shows the parent every record it wrote, and when it died inside a Program
 * (abort, fault, time limit, killed), that Program's RUNNER_END with the wait status. */
static void report_death(int status, int message_fd) {
  uint64_t at = __atomic_load_n(&shared->control.records_written, __ATOMIC_ACQUIRE);
  uint32_t len = read_message(message_fd);
  if (__atomic_load_n(&shared->control.in_program, __ATOMIC_ACQUIRE) != 0) {
    if (!record_room(&at)) {
      __atomic_store_n(&shared->control.records_published, at, __ATOMIC_RELEASE);
      runner_ring(&shared->control.parent_bell);
      runner_wait(&shared->control.child_bell, record_room, &at, 0, -1);
    }
    struct RunnerRecord* r = &shared->records[at % RUNNER_RECORD_RING];
    memset(r, 0, sizeof *r);
    r->kind = RUNNER_END;
    r->error = status;
    r->value = len;
    ++at;
    __atomic_store_n(&shared->control.records_written, at, __ATOMIC_RELEASE);
    __atomic_store_n(&shared->control.in_program, 0, __ATOMIC_RELEASE);
  }
  __atomic_store_n(&shared->control.records_published, at, __ATOMIC_RELEASE);
  runner_ring(&shared->control.parent_bell);
}

/* One child at a time, for ever (the parent kills us, or we die with it). */
static int serve(void) {
  const pid_t self = getpid();
  for (;;) {
    int err[2];
    if (pipe(err) != 0) return 4;
    pid_t pid = fork();
    if (pid < 0) return 5;
    if (pid == 0) {
      die_with_parent(self);
      dup2(err[1], 2);
      close(err[1]);
      runner_child(err[0]);
    }
    close(err[1]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    report_death(status, err[0]);
    close(err[0]);
    if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_BAD_REQUEST) return EXIT_BAD_REQUEST;
  }
}

/* Where the break starts is random (ASLR, page granularity), and so would be the heap offset of
 * any memalign with an alignment above a page. Starting the heap 16 MiB above a 64 MiB boundary
 * makes those deterministic, and the twin's heap starts the same way (simulated_memory.cc): a
 * chunk whose NON_MAIN_ARENA bit is set sends free to heap_for_ptr, the 64 MiB (HEAP_MAX_SIZE)
 * boundary at or below it, which then lies in the guard below the heap for the first 48 MiB and
 * at heap+0x3000000 above them, on every side (house_of_mind forges a heap_info there). The
 * pages skipped, at least HEAP_GUARD of them, are made inaccessible: below a fresh process's
 * randomised break lies unmapped memory, so a write just below the heap faults there, and must
 * fault here too (the twin's does). */
#define HEAP_MAX_SIZE_ALIGNMENT (64u << 20)
#define HEAP_BASE_OFFSET (16u << 20)
#define HEAP_GUARD (16u << 20)

static int align_heap(void) {
  uintptr_t brk_now = (uintptr_t)sbrk(0);
  /* The first address at least HEAP_GUARD above the break that is HEAP_BASE_OFFSET above a
   * 64 MiB boundary. */
  uintptr_t target = (brk_now + HEAP_GUARD + HEAP_MAX_SIZE_ALIGNMENT - 1 - HEAP_BASE_OFFSET) /
                         HEAP_MAX_SIZE_ALIGNMENT * HEAP_MAX_SIZE_ALIGNMENT +
                     HEAP_BASE_OFFSET;
  uintptr_t pad = target - brk_now;
  if (sbrk((intptr_t)pad) == (void*)-1) return 0;
  uintptr_t guard = (brk_now + 4095) & ~(uintptr_t)4095;
  if (mprotect((void*)guard, brk_now + pad - guard, PROT_NONE) != 0) return 0;
  heap_base = (uint64_t)(uintptr_t)sbrk(0);
  return 1;
}

int main(int argc, char** argv) {
  die_with_parent(getppid());
  /* Before the heap, the picture and the saved libc data: its allocations go elsewhere. */
  runner_warm_backtrace();
  if (!align_heap()) return 7;
  void* map = mmap(NULL, sizeof(struct RunnerShared), PROT_READ | PROT_WRITE, MAP_SHARED,
                   RUNNER_FD_SHARED, 0);
  if (map == MAP_FAILED) return 8;
  shared = (struct RunnerShared*)map;
  shared->control.heap_base = heap_base;
  /* This process never mallocs, so its libc data is the pristine state every persistent child
   * resets to: saved once here, inherited by each child. */
  int persistent = argc > 1 && strcmp(argv[argc - 1], "persistent") == 0;
  /* Before the picture: it changes libc's text mappings. */
  runner_thp_install();
  /* HEAPTWIN_RUNNER_KEEP_PAGES=0: every brk and madvise goes to the kernel (runner_brk_test
   * compares the two). */
  const char* keep = getenv("HEAPTWIN_RUNNER_KEEP_PAGES");
  if (keep == NULL || strcmp(keep, "0") != 0) runner_brk_install();
  /* In fork mode too: its mapping is part of every child's address space, so glibc's mmapped
   * chunks land at the same addresses in both modes. */
  if (!runner_memory_setup() && persistent) return 6;
  return serve();
}
