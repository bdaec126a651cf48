// Lock-step threads: run(t, fn) runs fn on thread t (1..N, 0 = main) and waits for it.
#include <malloc.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#define MAXT 40
typedef void (*job_fn)(void);
static sem_t go[MAXT], done[MAXT];
static job_fn job[MAXT];
static pthread_t tid[MAXT];
static int quit[MAXT];
static void* worker(void* arg) {
  int t = (int)(intptr_t)arg;
  for (;;) {
    sem_wait(&go[t]);
    if (quit[t]) return NULL;
    job[t]();
    sem_post(&done[t]);
  }
}
static void start(int t) {
  sem_init(&go[t], 0, 0);
  sem_init(&done[t], 0, 0);
  pthread_create(&tid[t], 0, worker, (void*)(intptr_t)t);
}
static void run(int t, job_fn f) {
  if (t == 0) {
    f();
    return;
  }
  job[t] = f;
  sem_post(&go[t]);
  sem_wait(&done[t]);
}
static void stop(int t) {
  quit[t] = 1;
  sem_post(&go[t]);
  pthread_join(tid[t], 0);
}
#define HEAP(p) ((uintptr_t)(p) & ~(uintptr_t)(64 * 1024 * 1024 - 1))
#define OFF(p) ((uintptr_t)(p)-HEAP(p))
typedef struct {
  void *ar_ptr, *prev;
  size_t size, mprotect_size, pagesize;
} heap_info;
#define AR(field_off, a) (*(uint64_t*)((char*)(a) + (field_off)))
#define A_TOP 0x60
#define A_NEXT 0x870
#define A_NEXT_FREE 0x878
#define A_ATTACHED 0x880
#define A_SYSMEM 0x888
#define A_MAXSYSMEM 0x890
#define SZ(p) (((uint64_t*)(p))[-1])
