/* The classic libc leak and what an exploit does with it: frees a chunk into the unsorted bin,
 * reads its fd (the bin's head: main_arena + 0x60, + 0x8 from 2.43) and prints it relative to
 * libc's base; then reads global_max_fast, mp_.mmap_threshold and mp_.sbrk_base (the heap's
 * start, as an offset from the chunk) through addresses derived from the leak, and writes
 * global_max_fast = 0 through one (fastbins off), after which a freed 0x30 chunk past a full
 * tcache goes to the unsorted bin (its bk is then the bin's head in main_arena), not to a
 * fastbin. Then it writes mp_.tcache_count = 1 through the leak: a second freed 0x40 chunk finds
 * its tcache bin full and goes past it (to the unsorted bin, or from 2.41 its small bin).
 *
 * With ARENA, main_arena's size, it then starts and joins a thread (the process is then
 * multi-threaded for good, so fork runs malloc's fork handlers), forks, and the child prints each
 * word of main_arena that the fork changed (the handler detaches every arena but the thread's).
 *
 * usage: libc_leak UNSORTED GMF MP SBRK COUNT [ARENA]   the unsorted bin head's offset in
 * main_arena, the signed distances global_max_fast - main_arena ("-": the release has none) and
 * mp_ - main_arena, and the offsets of sbrk_base and tcache_count in mp_ (the test reads them
 * from libc's debug symbols and the release's layout). Prints only offsets: the same lines on
 * any address layout. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void say(const char* what, uintptr_t v, uintptr_t libc) {
  if (v >= libc && v - libc < 0x1000000)
    printf("%s: libc+0x%lx\n", what, (unsigned long)(v - libc));
  else
    printf("%s: not in libc\n", what);
}

/* Forks; the child prints the words of main_arena (`size` bytes at `arena`) that differ from
 * before the fork, then mallocs and frees once. */
static void* do_nothing(void* arg) { return arg; }

static int fork_and_compare(const unsigned char* arena, size_t size) {
  static unsigned char before[0x1000];
  if (size > sizeof before || size % 8 != 0) return 4;
  pthread_t thread;
  if (pthread_create(&thread, 0, do_nothing, 0) != 0 || pthread_join(thread, 0) != 0) return 6;
  memcpy(before, arena, size);
  fflush(stdout);
  const pid_t pid = fork();
  if (pid < 0) return 5;
  if (pid == 0) {
    int changed = 0;
    for (size_t at = 0; at < size; at += 8) {
      uint64_t was, now;
      memcpy(&was, before + at, 8);
      memcpy(&now, arena + at, 8);
      if (was != now) {
        printf("child: main_arena+0x%zx changed 0x%lx -> 0x%lx\n", at, (unsigned long)was,
               (unsigned long)now);
        changed = 1;
      }
    }
    if (!changed) printf("child: main_arena as before the fork\n");
    free(malloc(0x18));
    fflush(stdout);
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  printf("child exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 6 && argc != 7) return 2;
  Dl_info info;
  if (!dladdr((void*)&printf, &info)) return 3;
  const uintptr_t libc = (uintptr_t)info.dli_fbase;
  const long unsorted = strtol(argv[1], 0, 0), mp_from_arena = strtol(argv[3], 0, 0);
  const int has_gmf = strcmp(argv[2], "-") != 0;
  const long gmf_from_arena = has_gmf ? strtol(argv[2], 0, 0) : 0;
  const long sbrk_in_mp = strtol(argv[4], 0, 0), count_in_mp = strtol(argv[5], 0, 0);

  char* a = malloc(0x4f8);
  void* guard = malloc(0x18);
  free(a);
  const uintptr_t fd = *(uintptr_t*)a;
  say("unsorted chunk's fd", fd, libc);
  const uintptr_t arena = fd - unsorted;
  uintptr_t* global_max_fast = (uintptr_t*)(arena + gmf_from_arena);
  char* mp = (char*)(arena + mp_from_arena);
  if (has_gmf) printf("global_max_fast through the leak: 0x%lx\n", (unsigned long)*global_max_fast);
  printf("mp_.mmap_threshold through the leak: 0x%lx\n", (unsigned long)*(uintptr_t*)(mp + 0x10));
  printf("mp_.sbrk_base through the leak: chunk-0x%lx\n",
         (unsigned long)((uintptr_t)a - *(uintptr_t*)(mp + sbrk_in_mp)));

  if (has_gmf) *global_max_fast = 0;
  void* cached[7];
  for (int i = 0; i < 7; ++i) cached[i] = malloc(0x28);
  char* victim = malloc(0x28);
  void* fence = malloc(0x18);
  for (int i = 0; i < 7; ++i) free(cached[i]);
  free(victim);
  say("0x30 chunk freed past a full tcache, its bk", ((uintptr_t*)victim)[1], libc);

  /* Two 0x40 chunks, the first cached, the second past a tcache bin that mp_.tcache_count now
   * says is full. */
  *(uintptr_t*)(mp + count_in_mp) = 1;
  char* first = malloc(0x38);
  char* second = malloc(0x38);
  void* fence2 = malloc(0x18);
  free(first);
  free(second);
  say("0x40 chunk freed with mp_.tcache_count 1, its bk", ((uintptr_t*)second)[1], libc);
  (void)guard;
  (void)fence;
  (void)fence2;
  if (argc == 7) return fork_and_compare((const unsigned char*)arena, strtoul(argv[6], 0, 0));
  return 0;
}
