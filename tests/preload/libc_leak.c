/* The classic libc leak and what an exploit does with it: frees a chunk into the unsorted bin,
 * reads its fd (main_arena + 0x60) and prints it relative to libc's base; then reads
 * global_max_fast and mp_.mmap_threshold through addresses derived from the leak, and writes
 * global_max_fast = 0 through one (fastbins off), after which a freed 0x30 chunk past a full
 * tcache goes to the unsorted bin (its bk is then the bin's head in main_arena), not to a fastbin.
 *
 * usage: libc_leak GMF MP   the signed distances global_max_fast - main_arena, mp_ - main_arena
 * (the test reads them from libc's debug symbols). Prints only offsets: the same lines on any
 * address layout. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static void say(const char* what, uintptr_t v, uintptr_t libc) {
  if (v >= libc && v - libc < 0x1000000) printf("%s: libc+0x%lx\n", what, (unsigned long)(v - libc));
  else printf("%s: not in libc\n", what);
}

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  Dl_info info;
  if (!dladdr((void*)&printf, &info)) return 3;
  const uintptr_t libc = (uintptr_t)info.dli_fbase;
  const long gmf_from_arena = strtol(argv[1], 0, 0), mp_from_arena = strtol(argv[2], 0, 0);

  char* a = malloc(0x4f8);
  void* guard = malloc(0x18);
  free(a);
  const uintptr_t fd = *(uintptr_t*)a;
  say("unsorted chunk's fd", fd, libc);
  const uintptr_t arena = fd - 0x60;
  uintptr_t* global_max_fast = (uintptr_t*)(arena + gmf_from_arena);
  printf("global_max_fast through the leak: 0x%lx\n", (unsigned long)*global_max_fast);
  printf("mp_.mmap_threshold through the leak: 0x%lx\n",
         (unsigned long)*(uintptr_t*)(arena + mp_from_arena + 0x10));

  *global_max_fast = 0;
  void* cached[7];
  for (int i = 0; i < 7; ++i) cached[i] = malloc(0x28);
  char* victim = malloc(0x28);
  void* fence = malloc(0x18);
  for (int i = 0; i < 7; ++i) free(cached[i]);
  free(victim);
  say("0x30 chunk freed past a full tcache, its bk", ((uintptr_t*)victim)[1], libc);
  (void)guard;
  (void)fence;
  return 0;
}
