/* Run on real glibc 2.36 for the twin's arena tests: see README.md. */
#include <unistd.h>
#include "lockstep.h"
static void* p[MAXT];
static int cur;
static void m(void) { p[cur] = malloc(0x20); }
static void* x;
static void* fr[8];
static void mx(void) {
  x = malloc(0x50);
  for (int i = 0; i < 8; i++) fr[i] = malloc(0x50);
}
static void* z;
static void m2x(void) { z = malloc(0x50); }
static void fx(void) {
  for (int i = 0; i < 7; i++) free(fr[i]);
  free(x);
}
int main(int argc, char** argv) {
  int mode = atoi(argv[1]);
  void* mainp = malloc(0x20);
  void* mainar = NULL;
  if (mode == 0) {  // arena_max 2: thread 1 new arena, thread 2 and 3 reuse
    mallopt(M_ARENA_MAX, 2);
    for (cur = 1; cur <= 4; cur++) {
      start(cur);
      run(cur, m);
    }
    for (int t = 1; t <= 4; t++) {
      heap_info* h = (heap_info*)HEAP(p[t]);
      int in_main = (SZ(p[t]) & 4) == 0;
      printf("t%d malloc(0x20): %s off %#lx size %#lx", t, in_main ? "main_arena" : "thread heap",
             in_main ? (unsigned long)((char*)p[t] - (char*)mainp) : OFF(p[t]), SZ(p[t]));
      if (!in_main)
        printf(" heap == t1's %d attached %lu", HEAP(p[t]) == HEAP(p[1]),
               AR(A_ATTACHED, h->ar_ptr));
      printf("\n");
    }
  } else if (mode == 1) {  // chunk freed by another thread
    start(1);
    run(1, mx);
    printf("t1's x off %#lx size %#lx\n", OFF(x), SZ(x));
    fx();  // main frees 7 into its tcache, then x
    heap_info* h = (heap_info*)HEAP(x);
    void* a = h->ar_ptr;
    printf(
        "after main frees 7 + x: arena fastbinsY[4] == x-0x10: %d (%#lx); main's tcache took the 7 "
        "(fr[6]'s key==fr[0]'s): %d\n",
        AR(0x10 + 4 * 8, a) == (uintptr_t)x - 0x10, OFF(AR(0x10 + 4 * 8, a)),
        ((uint64_t*)fr[6])[1] == ((uint64_t*)fr[0])[1]);
    void* y = malloc(0x50);
    printf("main malloc(0x50) gets fr[6]: %d\n", y == fr[6]);
    run(1, m2x);
    printf("t1 malloc(0x50) after: x? %d off %#lx\n", z == x, OFF(z));
  } else if (mode == 2) {  // thread exit -> free list; next thread reuses the arena
    cur = 1;
    start(1);
    run(1, m);
    void* t1 = p[1];
    stop(1);
    heap_info* h = (heap_info*)HEAP(t1);
    void* a = h->ar_ptr;
    mainar = (void*)AR(A_NEXT, a);
    printf(
        "after t1 exits: attached %lu next_free %#lx top off %#lx size %#lx; t1's 0x30 chunk size "
        "%#lx fd %#lx\n",
        AR(A_ATTACHED, a), AR(A_NEXT_FREE, a), OFF(AR(A_TOP, a)), SZ(AR(A_TOP, a) + 0x10), SZ(t1),
        ((uint64_t*)t1)[0]);
    cur = 2;
    start(2);
    run(2, m);
    printf("t2 malloc(0x20): same heap %d off %#lx size %#lx attached %lu\n",
           HEAP(p[2]) == HEAP(t1), OFF(p[2]), SZ(p[2]), AR(A_ATTACHED, a));
  } else if (mode == 3) {  // default arena limit: 8 * cores
    printf("nprocs %ld\n", sysconf(_SC_NPROCESSORS_ONLN));
    for (cur = 1; cur <= 20; cur++) {
      start(cur);
      run(cur, m);
    }
    for (int t = 1; t <= 20; t++) {
      int in_main = (SZ(p[t]) & 4) == 0;
      int same = 0;
      for (int u = 1; u < t; u++)
        if (HEAP(p[u]) == HEAP(p[t]) && !in_main) {
          same = u;
          break;
        }
      printf("t%d: %s%s%d\n", t, in_main ? "main_arena" : "own heap", same ? " shared with t" : "",
             same);
    }
  }
  return 0;
}
