/* Run on real glibc 2.36 for the twin's arena tests: see README.md. */
#include "lockstep.h"
static void nop(void) {}
int main(void) {
  char* a = malloc(0x400);  // untouched size classes
  char* b = malloc(0x400);
  start(1);
  run(1, nop);
  char* c = malloc(0x400);
  printf("b - a = %#lx, c - b = %#lx\n", (long)(b - a), (long)(c - b));
  start(2);
  run(2, nop);
  char* d = malloc(0x400);
  printf("d - c = %#lx\n", (long)(d - c));
  return 0;
}
