/* Run on real glibc 2.36 for the twin's arena tests: see README.md. */
#include "lockstep.h"
static void* p1;
static void m(void) { p1 = malloc(0x20); }
int main(void) {
  char* a = malloc(0x400);
  start(1);
  char* b = malloc(0x400);
  run(1, m);
  stop(1);  // join
  char* c = malloc(0x400);
  start(1);  // a new thread, cached stack?
  char* d = malloc(0x400);
  char* e = malloc(0x110);  // the size of a DTV chunk: from the tcache if join freed it
  fprintf(stderr, "b-a %#lx c-b %#lx d-c %#lx e-a %#lx\n", (long)(b - a), (long)(c - b),
          (long)(d - c), (long)(e - a));
  return 0;
}
