/* The runner's child: takes a request, runs its ops as they stream in, writes one record per op
 * and RUNNER_END, then resets glibc's malloc in place and takes the next (persistent), or ends
 * and lets the server fork a fresh child (fork mode; after a Program that wrote memory; after
 * one that left a heap the reset cannot undo).
 *
 * Between Programs it makes no syscall of its own: the hang guard is a periodic CPU-time timer
 * armed once per child (see on_tick), the handoff spins before it sleeps (runner_handoff.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include "oracle/glibc/runner_internal.h"

struct RunnerRequest request;

static uint64_t record_pos;   /* the next record's position */
static uint64_t record_shown; /* what the parent has been shown (records_published) */
static uint64_t op_pos;       /* the next op's position */
static uint32_t taken_seq;
static char alt_stack[1 << 16];

/* The hang guard's view: `progress` moves at every op, `busy` says a Program's op is running
 * (not waiting for the parent, not between Programs). */
static volatile uint64_t progress;
static volatile int busy;
static volatile int in_op;

/* Surviving a Program's death. An op that aborts (malloc_printerr) or faults in a Program that
 * has not written memory itself leaves nothing the reset does not undo: glibc's state is in
 * libc's data and the heap, abort's locks and message pointer too. So a persistent child jumps
 * back out of the signal handler, reports the death as a dead child would, resets, and goes
 * on: a new fork costs far more than the reset. */
static sigjmp_buf recover_point;
static volatile int recoverable; /* a death in the running op can be survived */
static volatile int died;        /* 0, or the signal that ended the Program */
static struct RunnerOp running_op;
static uint64_t running_top_before;
static int message_fd = -1;       /* the read end of our own fd 2 */
static volatile int wrote_memory; /* the Program ran a write8 (survives the jump) */
_Static_assert(sizeof(sigjmp_buf) <= sizeof(((struct RunnerControl*)0)->recover_copy),
               "RunnerControl.recover_copy holds a sigjmp_buf");

/* ---- waiting for the parent ------------------------------------------------------------- */

void runner_publish(void) {
  __atomic_store_n(&shared->control.ops_read, op_pos, __ATOMIC_RELEASE);
  if (record_shown != record_pos) {
    record_shown = record_pos;
    __atomic_store_n(&shared->control.records_published, record_pos, __ATOMIC_RELEASE);
  }
  runner_ring(&shared->control.parent_bell);
}

void runner_child_wait(RunnerReadyFn ready, void* ctx) {
  int was_busy = busy;
  busy = 0; /* time spent waiting for the parent is not the op's */
  runner_wait(&shared->control.child_bell, ready, ctx, shared->control.spin_cycles, -1);
  busy = was_busy;
}

/* ---- records -------------------------------------------------------------------------------- */

static int record_room(void* ctx) {
  (void)ctx;
  return record_pos - __atomic_load_n(&shared->control.records_read, __ATOMIC_ACQUIRE) <
         RUNNER_RECORD_RING;
}

/* The slot of the next record, zeroed (waits while the ring is full). */
static struct RunnerRecord* record_slot(void) {
  if (!record_room(NULL)) {
    runner_publish();
    runner_child_wait(record_room, NULL);
  }
  struct RunnerRecord* r = &shared->records[record_pos % RUNNER_RECORD_RING];
  memset(r, 0, sizeof *r);
  return r;
}

static int record_consumed(void* ctx) {
  (void)ctx;
  return __atomic_load_n(&shared->control.records_read, __ATOMIC_ACQUIRE) >= record_pos;
}

/* The record in its slot is complete. The parent is shown records in batches (each showing
 * costs it a cache miss), or one by one when it reads the paused child after each. */
static void record_done(int pause) {
  ++record_pos;
  __atomic_store_n(&shared->control.records_written, record_pos, __ATOMIC_RELEASE);
  if (pause) {
    runner_publish();
    runner_child_wait(record_consumed, NULL);
  } else if (record_pos - record_shown >= RUNNER_RECORD_RING / 4) {
    runner_publish();
  }
}

/* ---- signals -------------------------------------------------------------------------------- */

/* Whether the running op's death can be survived. After a write8 the jump buffer itself may
 * have been overwritten: it must still be as set (the copy in the shared control block). */
static int can_recover(void) {
  if (!recoverable) return 0;
  return memcmp(recover_point, shared->control.recover_copy, sizeof recover_point) == 0 &&
         runner_core_intact();
}

/* A word read by the runner itself where a Program may have forged the pointer (runner_threads.c
 * follows heap_info and arena lists): a fault there returns 0 instead of ending the child. A
 * plain load: process_vm_readv on the child's own memory had cost a tenth of a threaded
 * Program's CPU (getpid and the copy, word by word). */
static sigjmp_buf probe_point;
static volatile int probing;

int runner_probe_word(uint64_t address, uint64_t* out) {
  if (sigsetjmp(probe_point, 0)) {
    probing = 0;
    return 0;
  }
  probing = 1;
  *out = *(volatile const uint64_t*)(uintptr_t)address;
  probing = 0;
  return 1;
}

/* A fault inside an op: report it and leave; the Program ends here, as in a real process. */
static void on_fault(int sig, siginfo_t* info, void* context) {
  (void)context;
  if (probing) siglongjmp(probe_point, 1);
  if (!in_op) _exit(EXIT_RUNNER_FAULT);
  in_op = 0;
  struct RunnerRecord* r = record_slot();
  r->kind = RUNNER_FAULT;
  r->error = sig;
  r->pointer = (uint64_t)(uintptr_t)info->si_addr;
  record_done(0);
  if (can_recover()) {
    died = sig;
    siglongjmp(recover_point, 1);
  }
  runner_publish();
  _exit(EXIT_DIED_IN_PROGRAM);
}

/* glibc's abort(): survived when it can be, else returning lets abort() end the process. */
static void on_abort(int sig) {
  if (!in_op || !can_recover()) return;
  in_op = 0;
  died = sig;
  siglongjmp(recover_point, 1);
}

/* The hang guard. A timer armed once per child fires every TICK_MS of the child's CPU time;
 * an op that has not finished after request.timeout_ms of it is killed (SIGPROF, which the
 * server reports as a time limit). Waiting for the parent does not count. */
#define TICK_MS 20
static uint64_t last_progress;
static uint32_t stalled_ms;

static void on_tick(int sig) {
  (void)sig;
  if (!busy || progress != last_progress) {
    last_progress = progress;
    stalled_ms = 0;
    return;
  }
  stalled_ms += TICK_MS;
  if (stalled_ms < request.timeout_ms) return;
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigaction(SIGPROF, &dfl, NULL);
  raise(SIGPROF); /* delivered when this handler returns */
}

static void install_signals(void) {
  stack_t ss;
  ss.ss_sp = alt_stack;
  ss.ss_size = sizeof alt_stack;
  ss.ss_flags = 0;
  sigaltstack(&ss, NULL);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);
  struct sigaction ab;
  memset(&ab, 0, sizeof ab);
  ab.sa_handler = on_abort;
  ab.sa_flags = SA_NODEFER;
  sigaction(SIGABRT, &ab, NULL);
  struct sigaction tick;
  memset(&tick, 0, sizeof tick);
  tick.sa_handler = on_tick;
  tick.sa_flags = SA_RESTART;
  sigaction(SIGPROF, &tick, NULL);
  struct itimerval every;
  every.it_interval.tv_sec = 0;
  every.it_interval.tv_usec = TICK_MS * 1000;
  every.it_value = every.it_interval;
  setitimer(ITIMER_PROF, &every, NULL);
}

/* ---- the Program ---------------------------------------------------------------------------- */

static int op_available(void* ctx) {
  (void)ctx;
  return __atomic_load_n(&shared->control.ops_written, __ATOMIC_ACQUIRE) > op_pos;
}

/* The next op, copied out of the ring (the parent may reuse its slot once we publish). */
static void next_op(struct RunnerOp* op) {
  if (!op_available(NULL)) {
    runner_publish();
    runner_child_wait(op_available, NULL);
  }
  memcpy(op, &shared->ops[op_pos % RUNNER_OP_RING], sizeof *op);
  ++op_pos;
  if (op_pos % (RUNNER_OP_RING / 4) == 0) runner_publish();
}

/* Runs the Program's ops; 1 when one of them wrote memory (write8). */
static int run_ops(void) {
  const int pause = (request.flags & RUNNER_PAUSE) != 0;
  const int reset = (request.flags & RUNNER_RESET) != 0;
  int corrupts = 0;
  int key_pinned = request.tcache_key == 0;
  struct ArenaDigestPace pace = {0, 0}; /* the twin side paces its digests alike */
  for (uint64_t i = 0; i < request.op_count; ++i) {
    next_op(&running_op);
    const struct RunnerOp* op = &running_op;
    if (op->kind == RUNNER_WRITE8) {
      if (reset && (request.flags & RUNNER_KEEP_WRITERS)) runner_guard_before_write();
      corrupts = 1;
      wrote_memory = 1;
    }
    /* Only the main thread can jump back to recover_point. */
    recoverable = reset && op->thread == 0 && (!corrupts || (request.flags & RUNNER_KEEP_WRITERS));
    running_top_before = reset ? runner_top((uint64_t)(uintptr_t)sbrk(0)) : 0;
    struct RunnerRecord* r = record_slot();
    ++progress;
    in_op = 1;
    runner_run_op_on_thread(op, r);
    in_op = 0;
    if (!key_pinned && *(const uint64_t*)(uintptr_t)request.tcache_key != 0) {
      runner_pin_tcache_key();
      key_pinned = 1;
    }
    r->kind = RUNNER_RETURNED;
    r->heap_end = (uint64_t)(uintptr_t)sbrk(0); /* glibc's cached break: no syscall */
    runner_name_arena_chunk(op, r);
    runner_name_read_heaps(op, r);
    r->tcache = runner_tcache_pointer();
    if (reset) runner_dirty_after(op, r, running_top_before);
    if (request.flags & RUNNER_COPY_STATE) runner_copy_state(r, i == 0);
    if (request.flags & RUNNER_DIGESTS) r->digest = runner_digest(r, &pace);
    /* A paused child's other threads' tcaches, for the parent's live snapshots (none: 0). */
    if (pause) shared->control.threads = runner_thread_tcaches(shared->control.thread_tcaches);
    record_done(pause);
  }
  recoverable = 0;
  return corrupts;
}

/* The Program; 1 when it wrote memory. A survived death lands here (see `died`). */
static int run_program(void) {
  died = 0;
  wrote_memory = 0;
  runner_guard_begin();
  if (request.flags & RUNNER_RESET) runner_dirty_begin();
  int jumped = sigsetjmp(recover_point, 0);
  if (!jumped) memcpy(shared->control.recover_copy, recover_point, sizeof recover_point);
  if (jumped) {
    in_op = 0;
    recoverable = 0;
    /* What the op that died wrote is bounded as for any op (it may have carved from top). */
    struct RunnerRecord r;
    memset(&r, 0, sizeof r);
    r.pointer = 1;
    r.heap_end = (uint64_t)(uintptr_t)sbrk(0);
    runner_dirty_after(&running_op, &r, running_top_before);
    return wrote_memory;
  }
  return run_ops();
}

/* What glibc wrote to fd 2 in a survived abort, into the message area; its length. */
static uint32_t take_message(void) {
  uint32_t len = 0;
  while (len < RUNNER_MAX_MESSAGE) {
    ssize_t n = read(message_fd, shared->control.message + len, RUNNER_MAX_MESSAGE - len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    len += (uint32_t)n;
  }
  return len;
}

static int request_waiting(void* ctx) {
  (void)ctx;
  return __atomic_load_n(&shared->control.request_seq, __ATOMIC_ACQUIRE) != taken_seq;
}

/* Takes the next request; 0 when it is not for this runner. */
static int take_request(void) {
  runner_child_wait(request_waiting, NULL);
  taken_seq = __atomic_load_n(&shared->control.request_seq, __ATOMIC_ACQUIRE);
  memcpy(&request, &shared->request, sizeof request);
  shared->control.taken_seq = taken_seq;
  if (request.magic != RUNNER_MAGIC || request.slot_count > RUNNER_MAX_SLOTS) return 0;
  op_pos = request.first_op;
  __atomic_store_n(&shared->control.in_program, taken_seq, __ATOMIC_RELEASE);
  return 1;
}

/* RUNNER_END: status 0 (ran to its end, or a fault record precedes it), or the wait status a
 * child killed by `died` would have had, with glibc's message. */
static void end_program(void) {
  uint32_t length = died == SIGABRT ? take_message() : 0;
  struct RunnerRecord* r = record_slot();
  r->kind = RUNNER_END;
  r->error = died == SIGABRT ? SIGABRT : 0;
  r->value = length;
  ++record_pos;
  __atomic_store_n(&shared->control.records_written, record_pos, __ATOMIC_RELEASE);
  /* From here on the server does not report this Program again if we die. */
  __atomic_store_n(&shared->control.in_program, 0, __ATOMIC_RELEASE);
  runner_publish();
}

int runner_child_intact(void) {
  uint64_t slots_start, slots_end;
  runner_slots_mapping(&slots_start, &slots_end);
  const struct RunnerControl* c = &shared->control;
  return runner_core_intact() && memcmp(&request, &shared->request, sizeof request) == 0 &&
         record_pos == c->records_written && taken_seq == c->taken_seq &&
         /* a Program that died stopped before its last op */
         op_pos >= request.first_op && op_pos <= request.first_op + request.op_count &&
         slots_start == c->slots_start && slots_end == c->slots_end;
}

void runner_child(int message_read_fd) {
  message_fd = message_read_fd;
  fcntl(message_fd, F_SETFL, O_NONBLOCK);
  install_signals();
  shared->control.child_pid = getpid();
  taken_seq = shared->control.taken_seq;
  record_pos = record_shown = shared->control.records_written;
  for (;;) {
    if (!take_request()) _exit(EXIT_BAD_REQUEST);
    runner_note_pristine_tcache();
    int slots_ok = runner_prepare_slots(request.slot_count);
    busy = 1;
    int corrupts = slots_ok ? run_program() : 0;
    busy = 0;
    if (!slots_ok) {
      /* The parent checks the slot count first: only an mmap failure gets here. */
      static const char why[] = "heaptwin runner: cannot map the Program's slot array\n";
      (void)!write(2, why, sizeof why - 1);
      _exit(EXIT_RUNNER_FAULT);
    }
    /* A Program that wrote memory may have changed the runner itself: checked before the
     * parent sees RUNNER_END (and may write the next request). */
    int keep = (request.flags & RUNNER_RESET) && !runner_threads_started() &&
               (!corrupts || ((request.flags & RUNNER_KEEP_WRITERS) && runner_child_intact()));
    end_program();
    if (!keep || !runner_reset(died != 0, corrupts)) _exit(EXIT_RECYCLE);
  }
}
