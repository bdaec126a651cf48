/* A deterministic schedule of heap calls from several threads (0 = main): the same in the C
   program run on real glibc (thread_schedule.c) and in the twin's test (thread_schedule_test.cc).
   Three schedules: 0, five threads for good; 1, twelve threads under M_ARENA_MAX 4, where a
   thread now and then exits and a new one takes its number; 2, the same with 24 threads and no
   M_ARENA_MAX (8 arenas per online CPU: 2 CPUs where the output was made). */
#include <stdint.h>
#define SCHED_MAX_THREADS 32
#define SCHED_SLOTS 64
#define SCHED_OPS 3000
enum { OP_MALLOC, OP_FREE, OP_CALLOC, OP_REALLOC, OP_MEMALIGN, OP_EXIT };
struct sched_op {
  int thread, kind, slot;
  uint64_t size, align;
};
struct sched_params {
  int threads, arena_max, exits;
};
static const struct sched_params sched_schedules[3] = {{5, 0, 0}, {12, 4, 1}, {24, 0, 1}};
static uint64_t sched_state = 0x9e3779b97f4a7c15ull;
static void sched_reset(int schedule) { sched_state = 0x9e3779b97f4a7c15ull + (uint64_t)schedule; }
static uint64_t sched_next(void) {
  sched_state = sched_state * 6364136223846793005ull + 1442695040888963407ull;
  return sched_state >> 33;
}
static uint64_t sched_size(void) {
  uint64_t r = sched_next() % 100;
  if (r < 60) return 1 + sched_next() % 0x100;
  if (r < 85) return 0x100 + sched_next() % 0x500;
  if (r < 97) return 0x600 + sched_next() % 0x4000;
  return 0x10000 + sched_next() % 0x30000; /* some mmapped */
}
static struct sched_op sched_make(const struct sched_params* p) {
  struct sched_op o;
  o.thread = (int)(sched_next() % (uint64_t)p->threads);
  uint64_t r = sched_next() % 100;
  o.kind = r < 45   ? OP_MALLOC
           : r < 80 ? OP_FREE
           : r < 88 ? OP_CALLOC
           : r < 96 ? OP_REALLOC
                    : OP_MEMALIGN;
  o.slot = (int)(sched_next() % SCHED_SLOTS);
  o.size = sched_size();
  o.align = (uint64_t)0x20 << (sched_next() % 6);
  if (p->exits && o.thread != 0 && sched_next() % 100 < 3) o.kind = OP_EXIT;
  return o;
}
