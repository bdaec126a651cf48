/* Run on real glibc 2.36 for the twin's arena tests: see README.md. */
#include "lockstep.h"
static void nop(void) {}
int main(int argc, char** argv) {
  void* m = malloc(0x20);
  if (argc > 1) {
    start(1);
    run(1, nop);
  }
  void* t[7];
  for (int i = 0; i < 7; i++) t[i] = malloc(0x28);
  void* x = malloc(0x28);
  malloc(0x28);
  for (int i = 0; i < 7; i++) free(t[i]);
  free(x);
  uint64_t* fd = (uint64_t*)x;
  *fd = (((uintptr_t)x) >> 12) ^ 0x4141414141414148ull;
  for (int i = 0; i < 7; i++) malloc(0x28);
  fprintf(stderr, "taking x\n");
  void* y = malloc(0x28);
  fprintf(stderr, "got %s\n", y == x ? "x" : "other");
  void* z = malloc(0x28);
  fprintf(stderr, "then %p\n", z);
  (void)m;
  return 0;
}
