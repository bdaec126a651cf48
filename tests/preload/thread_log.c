/* Threads in lock-step, every malloc-family result logged, one line per call
 * ("t2 malloc 0x18 -> 0x7ffff0000b70"), with write(2) only (stdio would allocate). A turn
 * variable fixes which thread runs when, and each thread's exit is waited for (pthread_join)
 * before the next step, so the log is the same on every run. Run under setarch -R on real glibc
 * and with the drop-in library: the logs must be identical (preload_threads_test).
 *
 *   thread_log SCENARIO   four | arena_max | exits | corrupt
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { kThreads = 4, kBlocks = 8 };

static int turn; /* the id of the thread that may run (0: main) */
static void* blocks[kThreads + 2][kBlocks];
static int scenario_rounds;

static void logf_(int me, const char* fmt, ...) {
  char buf[256];
  int n = snprintf(buf, sizeof buf, "t%d ", me);
  va_list ap;
  va_start(ap, fmt);
  n += vsnprintf(buf + n, sizeof buf - (size_t)n, fmt, ap);
  va_end(ap);
  if (n > (int)sizeof buf - 2) n = (int)sizeof buf - 2;
  buf[n++] = '\n';
  if (write(1, buf, (size_t)n) != n) _exit(3);
}

static void* M(int me, size_t n) {
  void* p = malloc(n);
  logf_(me, "malloc %#zx -> %p", n, p);
  return p;
}
static void F(int me, void* p) {
  free(p);
  logf_(me, "free %p", p);
}
static void* C(int me, size_t n, size_t e) {
  void* p = calloc(n, e);
  logf_(me, "calloc %#zx %#zx -> %p", n, e, p);
  return p;
}
static void* R(int me, void* o, size_t n) {
  void* p = realloc(o, n);
  logf_(me, "realloc %p %#zx -> %p", o, n, p);
  return p;
}

static void wait_turn(int me) {
  while (__atomic_load_n(&turn, __ATOMIC_ACQUIRE) != me) sched_yield();
}
static void give_turn(int to) { __atomic_store_n(&turn, to, __ATOMIC_RELEASE); }

/* Thread `me`'s step r of scenario "four": its own blocks, one of its neighbour's freed here
 * (a chunk of another arena), calloc, realloc. */
static void step(int me, int r) {
  void** b = blocks[me];
  static const size_t sizes[] = {0x18, 0x48, 0x98, 0x418, 0x1008, 0x28, 0x3018, 0x88};
  int other = me == 1 ? kThreads : me - 1;
  switch (r) {
    case 0:
      for (int i = 0; i < kBlocks; ++i) b[i] = M(me, sizes[i]);
      F(me, b[1]);
      b[1] = NULL;
      break;
    case 1:
      if (blocks[other][2] != NULL) {
        F(me, blocks[other][2]);
        blocks[other][2] = NULL;
      }
      b[1] = C(me, 4, 0x40);
      b[3] = R(me, b[3], 0x800);
      b[4] = R(me, b[4], 0x20);
      break;
    default:
      for (int i = 0; i < kBlocks; ++i) {
        if (b[i] != NULL && i % 2 == r % 2) {
          F(me, b[i]);
          b[i] = NULL;
        }
      }
      b[0] = M(me, 0x38 + (size_t)r * 0x10);
      break;
  }
}

static void* worker(void* arg) {
  int me = (int)(uintptr_t)arg;
  for (int r = 0; r < scenario_rounds; ++r) {
    wait_turn(me);
    step(me, r);
    give_turn(me == kThreads ? 0 : me + 1);
  }
  /* The thread's last turn: it exits while the others wait (main joins it). */
  wait_turn(me);
  return NULL;
}

/* Four threads, three rounds each in turn; then each exits in turn (its tcache and arena given
 * back), and a fifth thread starts on an arena from the free list. */
static void four(int rounds) {
  pthread_t t[kThreads + 1];
  scenario_rounds = rounds;
  void* mine = M(0, 0x28);
  for (uintptr_t i = 1; i <= kThreads; ++i) pthread_create(&t[i], NULL, worker, (void*)i);
  for (int r = 0; r < rounds; ++r) {
    give_turn(1);
    wait_turn(0);
    logf_(0, "round %d done", r);
  }
  for (int i = 1; i <= kThreads; ++i) {
    give_turn(i);
    pthread_join(t[i], NULL);
    logf_(0, "joined t%d", i);
    if (i == 2) { /* a block of a thread that has gone */
      F(0, blocks[2][5]);
      blocks[2][5] = NULL;
    }
  }
  for (int i = 1; i <= kThreads; ++i) {
    for (int k = 0; k < kBlocks; ++k) {
      if (blocks[i][k] != NULL) F(0, blocks[i][k]);
    }
  }
  F(0, mine);
}

/* Two chunks of one size taken and two left in the tcache at exit: glibc frees them into the
 * arena (tcache_thread_shutdown, head first), so the next thread on that arena gets them in the
 * other order. */
static void* late(void* arg) {
  int me = (int)(uintptr_t)arg;
  void* a = M(me, 0x58);
  void* b = M(me, 0x58);
  void* q = M(me, 0x2008);
  F(me, a);
  F(me, b);
  blocks[me][0] = q;
  return NULL;
}

/* Threads started and joined one at a time: each new one takes the arena the last left on the
 * free list. */
static void exits(void) {
  for (uintptr_t i = 1; i <= kThreads; ++i) {
    pthread_t t;
    pthread_create(&t, NULL, late, (void*)i);
    pthread_join(t, NULL);
    logf_(0, "joined t%d", (int)i);
  }
  for (int i = 1; i <= kThreads; ++i) F(0, blocks[i][0]);
}

/* After a thread's run (exits' first thread), main_arena's heap is corrupted as pointer_log's
 * corrupt does it: a free unsorted chunk's size changed, then a call that leaves the bins alone.
 * heaptwin exec --check goes on checking main_arena once threads exist, and stops there. */
static void corrupt(void) {
  pthread_t t;
  pthread_create(&t, NULL, late, (void*)(uintptr_t)1);
  pthread_join(t, NULL);
  size_t* a = M(0, 0x500);
  void* b = M(0, 0x20);
  F(0, a);
  a[-1] = 0x4f1;
  logf_(0, "mallopt M_PERTURB 0 -> %d", mallopt(M_PERTURB, 0));
  logf_(0, "not stopped");
  F(0, b);
}

int main(int argc, char** argv) {
  const char* s = argc > 1 ? argv[1] : "four";
  if (strcmp(s, "four") == 0) {
    four(3);
  } else if (strcmp(s, "arena_max") == 0) {
    mallopt(M_ARENA_MAX, 2); /* threads share main_arena and one new arena */
    four(3);
  } else if (strcmp(s, "exits") == 0) {
    exits();
  } else if (strcmp(s, "corrupt") == 0) {
    corrupt();
  } else {
    return 2;
  }
  logf_(0, "done");
  return 0;
}
