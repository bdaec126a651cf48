/* Run on real glibc 2.36 for the twin's arena tests: see README.md. */
#include "lockstep.h"
static void *p0, *p1, *p2, *before, *after;
static void m0(void) { p0 = malloc(0x20); }
static void m1(void) { p1 = malloc(0x20); }
static void m2(void) { p2 = malloc(0x20); }
int main(void) {
  run(0, m0);
  before = malloc(0x18);
  free(before);
  start(1);
  after = malloc(0x18);
  free(after);
  printf("main first malloc(0x20) heap off from sbrk base: chunk %#lx size %#lx\n",
         (unsigned long)((char*)p0 - (char*)sbrk(0)), SZ(p0));
  printf("pthread_create moved main's next 0x20 malloc by %#lx\n",
         (unsigned long)((char*)after - (char*)before));
  run(1, m1);
  heap_info* h = (heap_info*)HEAP(p1);
  void* a = h->ar_ptr;
  printf("t1 malloc(0x20): off %#lx size %#lx\n", OFF(p1), SZ(p1));
  printf("heap_info: ar_ptr off %#lx prev %p size %#lx mprotect %#lx pagesize %#lx\n",
         (uintptr_t)a - (uintptr_t)h, h->prev, h->size, h->mprotect_size, h->pagesize);
  void* mainar = (void*)AR(A_NEXT, a);
  printf(
      "arena: top off %#lx topsize %#lx sysmem %#lx max %#lx next-main %ld next_free %#lx attached "
      "%lu flags %#x mutex %d\n",
      (unsigned long)(AR(A_TOP, a) - (uintptr_t)h), SZ(AR(A_TOP, a) + 0x10), AR(A_SYSMEM, a),
      AR(A_MAXSYSMEM, a), (long)((char*)mainar - (char*)mainar), AR(A_NEXT_FREE, a),
      AR(A_ATTACHED, a), *(int*)((char*)a + 4), *(int*)a);
  printf("main_arena.next == arena: %d, main attached %lu\n", AR(A_NEXT, mainar) == (uintptr_t)a,
         AR(A_ATTACHED, mainar));
  // first chunk: tcache
  uint64_t* first = (uint64_t*)((char*)h + 0x8d0);
  printf("chunk at 0x8d0: size %#lx\n", first[1]);
  start(2);
  run(2, m2);
  heap_info* h2 = (heap_info*)HEAP(p2);
  printf(
      "t2 malloc(0x20): off %#lx size %#lx; heap2 - heap1 = %ld MiB; arena2.next==arena1 %d "
      "main.next==arena2 %d\n",
      OFF(p2), SZ(p2), ((long)(uintptr_t)h2 - (long)(uintptr_t)h) / (1 << 20),
      AR(A_NEXT, h2->ar_ptr) == (uintptr_t)a, AR(A_NEXT, mainar) == (uintptr_t)h2->ar_ptr);
  stop(1);
  stop(2);
  return 0;
}
