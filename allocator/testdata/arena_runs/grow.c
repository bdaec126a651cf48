/* Run on real glibc 2.36 for the twin's arena tests: see README.md. */
#include <string.h>
#include "lockstep.h"
static void* ptrs[4000];
static int n;
static heap_info* h1;
static void grow(void) {
  void* p = malloc(0x20);
  h1 = (heap_info*)HEAP(p);
  void* a = h1->ar_ptr;
  size_t last = h1->size;
  for (n = 0; n < 4000; n++) {
    ptrs[n] = malloc(0x10000);
    heap_info* h = (heap_info*)HEAP(ptrs[n]);
    if (h != h1) {
      printf(
          "alloc %d of 0x10000: new heap at heap1%+ld MiB, chunk off %#lx size %#lx; prev==heap1 "
          "%d ar_ptr==a %d size %#lx mprotect %#lx\n",
          n, ((long)(uintptr_t)h - (long)(uintptr_t)h1) >> 20, OFF(ptrs[n]), SZ(ptrs[n]),
          h->prev == h1, h->ar_ptr == a, h->size, h->mprotect_size);
      printf("  heap1 size %#lx mprotect %#lx; arena sysmem %#lx top off %#lx topsize %#lx\n",
             h1->size, h1->mprotect_size, AR(A_SYSMEM, a), OFF(AR(A_TOP, a)),
             SZ(AR(A_TOP, a) + 0x10));
      // old top / fenceposts: last chunk of heap1
      void* prevp = ptrs[n - 1];
      uint64_t* after = (uint64_t*)((char*)prevp - 0x10 + (SZ(prevp) & ~7ul));
      printf("  after heap1's last chunk (off %#lx): size %#lx; next: %#lx %#lx; at +size: %#lx\n",
             OFF(after), after[1], after[3], after[5], 0ul);
      for (uint64_t* q = (uint64_t*)((char*)after + (after[1] & ~7ul));
           (char*)q < (char*)h1 + h1->size; q += 2)
        printf("    off %#lx: prev %#lx size %#lx\n", OFF(q), q[0], q[1]);
      break;
    }
    if (h1->size != last && n < 3) {
      printf("alloc %d: heap1 grew to %#lx (mprotect %#lx), sysmem %#lx\n", n, h1->size,
             h1->mprotect_size, AR(A_SYSMEM, a));
    }
    last = h1->size;
  }
  // third heap: fill heap2
  heap_info* h2 = (heap_info*)HEAP(ptrs[n]);
  for (n++; n < 4000; n++) {
    ptrs[n] = malloc(0x10000);
    heap_info* h = (heap_info*)HEAP(ptrs[n]);
    if (h != h2) {
      printf("third heap at heap1%+ld MiB (prev==heap2 %d)\n",
             ((long)(uintptr_t)h - (long)(uintptr_t)h1) >> 20, h->prev == h2);
      break;
    }
  }
  // free everything of the last heap: heap_trim deletes it?
  heap_info* h3 = (heap_info*)HEAP(ptrs[n]);
  size_t before = AR(A_SYSMEM, a);
  free(ptrs[n]);
  printf(
      "freed the only chunk of heap3: sysmem %#lx -> %#lx, top in heap %+ld MiB off %#lx size "
      "%#lx\n",
      before, AR(A_SYSMEM, a), ((long)HEAP(AR(A_TOP, a)) - (long)(uintptr_t)h1) >> 20,
      OFF(AR(A_TOP, a)), SZ(AR(A_TOP, a) + 0x10));
  // free the last few of heap2 -> shrink
  before = AR(A_SYSMEM, a);
  for (int k = 1; k <= 40; k++) free(ptrs[n - k]);
  printf(
      "freed last 40 chunks of heap2: sysmem %#lx -> %#lx heap2 size %#lx mprotect %#lx top off "
      "%#lx size %#lx\n",
      before, AR(A_SYSMEM, a), h2->size, h2->mprotect_size, OFF(AR(A_TOP, a)),
      SZ(AR(A_TOP, a) + 0x10));
  (void)h3;
}
int main(void) {
  start(1);
  run(1, grow);
  stop(1);
  return 0;
}
