/* Run on real glibc 2.36 for the twin's arena tests: see README.md. */
#include <string.h>
#include "lockstep.h"
static char *c, *r, *m, *r2, *v;
static void work(void) {
  c = calloc(4, 0x20);
  memset(c, 'C', 0x80);
  r = realloc(c, 0x200);
  m = memalign(0x100, 0x40);
  v = malloc(0x100);
}
int main(void) {
  void* mm = malloc(0x20);
  start(1);
  run(1, work);
  printf("t1 calloc(4,0x20) off %#lx size %#lx\n", OFF(c), SZ(c));
  printf("t1 realloc(c,0x200) off %#lx size %#lx first byte %c\n", OFF(r), SZ(r), r[0]);
  printf("t1 memalign(0x100,0x40) off %#lx size %#lx\n", OFF(m), SZ(m));
  printf("t1 malloc(0x100) off %#lx size %#lx\n", OFF(v), SZ(v));
  r2 = realloc(r, 0x400);  // main thread reallocs t1's block: in t1's arena
  printf("main realloc(r,0x400) off %#lx size %#lx same heap %d\n", OFF(r2), SZ(r2),
         HEAP(r2) == HEAP(r));
  void* y = malloc(0x200);
  printf("main malloc(0x200) == old r %d\n", y == (void*)r);
  void* cm = calloc(1, 0x30);
  printf("main calloc(1,0x30) in main arena %d\n", (SZ(cm) & 4) == 0);
  (void)mm;
  return 0;
}
