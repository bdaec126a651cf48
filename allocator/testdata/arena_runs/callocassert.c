/* Run on real glibc 2.36 for the twin's arena tests: see README.md. */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char** argv) {
  mallopt(M_MMAP_MAX, 0);
  char* base = malloc(0x18);
  uintptr_t boundary = ((uintptr_t)base + 0x4000000) & ~(uintptr_t)0x3ffffff;
  malloc(boundary - (uintptr_t)base); /* the heap passes the boundary */
  char* victim = malloc(0x50);
  void* t[7];
  for (int i = 0; i < 7; i++) t[i] = malloc(0x50);
  for (int i = 0; i < 7; i++) free(t[i]);
  free(victim);                                                /* fastbin */
  ((uint64_t*)victim)[-1] = 0x65;                              /* NON_MAIN_ARENA */
  *(uint64_t*)boundary = argc > 1 ? 0 : 0x4141414141414140ull; /* heap_info.ar_ptr */
  fprintf(stderr, "victim above boundary by %#lx\n", (unsigned long)((uintptr_t)victim - boundary));
  void* c = calloc(1, 0x50);
  fprintf(stderr, "calloc returned victim: %d\n", c == victim);
  return 0;
}
