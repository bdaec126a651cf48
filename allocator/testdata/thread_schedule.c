/* A schedule of allocator/thread_schedule_test.cc on real glibc: the main thread and pthreads,
   run in lock-step (each call on its thread while the others wait on a semaphore), every result
   printed as the test prints the twin's. On Debian 12 (glibc 2.36-9+deb12u14, 2 online CPUs),
   for SCHEDULE 0, 1 and 2:
     gcc -O0 -pthread -o /tmp/thread_schedule allocator/testdata/thread_schedule.c
     /tmp/thread_schedule SCHEDULE > allocator/testdata/thread_schedule_SCHEDULE_2.36.txt
   Nothing prints until the end (stdio's buffer would be a malloc of its own). A thread that
   exits is joined and a new one started under its number: glibc reuses the stack it cached, DTV
   included, so neither calls malloc (seen: the main thread's next blocks come from top). */
#include <malloc.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thread_schedule_ops.h"

#define HEAP(p) ((uintptr_t)(p) & ~(uintptr_t)(64 * 1024 * 1024 - 1))

static sem_t go[SCHED_MAX_THREADS], done[SCHED_MAX_THREADS];
static pthread_t tid[SCHED_MAX_THREADS];
static void* slots[SCHED_SLOTS];
static struct sched_op cur;
static void* result;
static char out[SCHED_OPS * 64 + 4096];
static size_t outn;
static uintptr_t main_base;
static uintptr_t heaps[64];
static int nheaps;

static void do_op(void) {
  void** s = &slots[cur.slot];
  switch (cur.kind) {
    case OP_MALLOC:
      if (*s) free(*s);
      *s = malloc(cur.size);
      result = *s;
      break;
    case OP_FREE:
      free(*s);
      *s = NULL;
      result = NULL;
      break;
    case OP_CALLOC:
      if (*s) free(*s);
      *s = calloc(1, cur.size);
      result = *s;
      break;
    case OP_REALLOC: {
      void* n = realloc(*s, cur.size);
      if (n) *s = n;
      result = n;
      break;
    }
    case OP_MEMALIGN:
      if (*s) free(*s);
      *s = memalign(cur.align, cur.size);
      result = *s;
      break;
  }
  if (result) memset(result, 0x5a, cur.size < 64 ? cur.size : 64);
}

static void* worker(void* arg) {
  int t = (int)(intptr_t)arg;
  for (;;) {
    sem_wait(&go[t]);
    if (cur.kind == OP_EXIT) return NULL; /* __malloc_arena_thread_freeres runs */
    do_op();
    sem_post(&done[t]);
  }
}

static void start(int t) {
  sem_init(&go[t], 0, 0);
  sem_init(&done[t], 0, 0);
  pthread_create(&tid[t], NULL, worker, (void*)(intptr_t)t);
}

static void describe(int i, void* p) {
  uint64_t size = p ? ((uint64_t*)p)[-1] : 0;
  if (!p) {
    outn += sprintf(out + outn, "%d null\n", i);
  } else if (size & 2) {
    outn += sprintf(out + outn, "%d mmap %#lx\n", i, (unsigned long)((uintptr_t)p & 0xfff));
  } else if (!(size & 4)) {
    outn += sprintf(out + outn, "%d main %#lx size %#lx\n", i,
                    (unsigned long)((uintptr_t)p - main_base), (unsigned long)size);
  } else {
    uintptr_t h = HEAP(p);
    int k = 0;
    while (k < nheaps && heaps[k] != h) k++;
    if (k == nheaps) heaps[nheaps++] = h;
    outn += sprintf(out + outn, "%d heap%d %#lx size %#lx\n", i, k,
                    (unsigned long)((uintptr_t)p - h), (unsigned long)size);
  }
}

int main(int argc, char** argv) {
  const int schedule = argc > 1 ? atoi(argv[1]) : 0;
  const struct sched_params* p = &sched_schedules[schedule];
  sched_reset(schedule);
  main_base = (uintptr_t)malloc(0x18);
  if (p->arena_max) mallopt(M_ARENA_MAX, p->arena_max);
  for (int t = 1; t < p->threads; t++) start(t); /* each callocs its DTV in main_arena */
  for (int i = 0; i < SCHED_OPS; i++) {
    cur = sched_make(p);
    if (cur.thread == 0) {
      do_op();
    } else if (cur.kind == OP_EXIT) {
      sem_post(&go[cur.thread]);
      pthread_join(tid[cur.thread], NULL);
      start(cur.thread);
      continue;
    } else {
      sem_post(&go[cur.thread]);
      sem_wait(&done[cur.thread]);
    }
    if (cur.kind != OP_FREE) describe(i, result);
  }
  fwrite(out, 1, outn, stdout);
  return 0;
}
