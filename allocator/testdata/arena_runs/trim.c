/* Run on real glibc 2.36 for the twin's arena tests: see README.md. */
#include <string.h>
#include "lockstep.h"
static char *a, *b;
static void work(void) {
  a = malloc(0x8000);
  b = malloc(0x20);
  memset(a, 'A', 0x8000);
  free(a);
}
int main(void) {
  void* m = malloc(0x20);
  start(1);
  run(1, work);
  int r0 = malloc_trim(0);
  printf(
      "malloc_trim(0) = %d; a off %#lx; word at a+0x1000: %#lx, at a+0x10: %#lx, at a+0x7ff8 "
      "%#lx\n",
      r0, OFF(a), *(uint64_t*)(a + 0x1000), *(uint64_t*)(a + 0x10), *(uint64_t*)(a + 0x7ff8));
  int r1 = malloc_trim(0);
  printf("again: %d\n", r1);
  (void)m;
  return 0;
}
