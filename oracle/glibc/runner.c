/* The real-glibc runner: a fork server that runs each Program in a fresh fork of itself, or
 * (argv[1] == "persistent") forks one long-lived child that runs Program after Program and
 * resets glibc's malloc in place between them, and a new child only after one died.
 *
 * Plain C, no stdio, and no allocation of its own: the server never calls malloc, so every
 * child starts with glibc's malloc untouched (no heap, no tcache), as a fresh process does. The
 * Program's ops are the only malloc calls the child makes. glibc's fatal messages go to fd 2,
 * which is a pipe the server reads after the child is gone (LIBC_FATAL_STDERR_=1 keeps glibc
 * from writing to /dev/tty instead). */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oracle/glibc/runner_protocol.h"

static struct RunnerRequest request;
static struct RunnerOp ops[RUNNER_MAX_OPS];
static uint64_t slots[RUNNER_MAX_SLOTS];
static uint64_t heap_base;
static uint32_t current_op;
static char alt_stack[1 << 16];
static char message[RUNNER_MAX_MESSAGE];
static int persistent;
static struct RunnerShared* shared;
/* A persistent child that ends inside a Program (a fault) exits with this; any other exit of
 * it ends the server too. */
#define EXIT_DIED_IN_PROGRAM 9
/* A persistent child that finished a Program it must not outlive (see persistent_child). */
#define EXIT_RECYCLE 10

static int read_all(int fd, void* buf, size_t n) {
  char* p = buf;
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return 0;
    p += r;
    n -= (size_t)r;
  }
  return 1;
}

static int write_all(int fd, const void* buf, size_t n) {
  const char* p = buf;
  while (n > 0) {
    ssize_t r = write(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return 0;
    p += r;
    n -= (size_t)r;
  }
  return 1;
}

/* The magic word first: a parent of another protocol is refused before we wait for more. */
static int read_request_header(void) {
  if (!read_all(RUNNER_FD_REQUEST, &request.magic, sizeof request.magic)) return 0;
  if (request.magic != RUNNER_MAGIC) return 1;
  return read_all(RUNNER_FD_REQUEST, (char*)&request + sizeof request.magic,
                  sizeof request - sizeof request.magic);
}

/* A record for the parent: into shared memory when no snapshots are wanted, else the pipe. */
static int emit(const struct RunnerRecord* r) {
  if (shared != NULL && !request.snapshots) {
    uint32_t n = shared->count;
    if (n >= RUNNER_MAX_OPS + 2) return 0;
    memcpy(&shared->records[n], r, sizeof *r);
    __atomic_store_n(&shared->count, n + 1, __ATOMIC_RELEASE);
    return 1;
  }
  return write_all(RUNNER_FD_RESPONSE, r, sizeof *r);
}

/* A fault inside an op: report it and leave; the Program ends here, as in a real process. */
static void on_fault(int sig, siginfo_t* info, void* context) {
  (void)context;
  struct RunnerRecord r;
  memset(&r, 0, sizeof r);
  r.kind = RUNNER_FAULT;
  r.index = current_op;
  r.signal = sig;
  r.address = (uint64_t)(uintptr_t)info->si_addr;
  r.heap_base = heap_base;
  emit(&r);
  _exit(persistent ? EXIT_DIED_IN_PROGRAM : 0);
}

static uint64_t tcache_pointer(void) {
  if (request.errno_tls == 0 && request.tcache_tls == 0) return 0;
  char* tls_errno = (char*)__errno_location();
  uint64_t value;
  memcpy(&value, tls_errno - request.errno_tls + request.tcache_tls, sizeof value);
  return value;
}

static uint64_t address_of(uint8_t kind, uint16_t slot, int64_t delta, uint64_t literal) {
  switch (kind) {
    case RUNNER_VALUE_SLOT: return slots[slot] + (uint64_t)delta;
    case RUNNER_VALUE_HEAP: return heap_base + (uint64_t)delta;
    default: return literal;
  }
}

static uint64_t resolve_value(const struct RunnerOp* op) {
  if (op->value_kind != RUNNER_VALUE_PROTECT) {
    return address_of(op->value_kind, op->value_slot, op->value_delta, op->value_literal);
  }
  uint64_t pos = (op->value_pos_is_heap ? heap_base : slots[op->value_slot]) + (uint64_t)op->value_delta;
  uint64_t target = address_of(op->value_target_kind, op->value_target_slot,
                               op->value_target_delta, op->value_target_literal);
  return (pos >> 12) ^ target;
}

/* Runs one op; fills the pointer/value/error fields of r. */
static void run_op(const struct RunnerOp* op, struct RunnerRecord* r) {
  void* p = NULL;
  int allocates = 1;
  errno = 0;
  switch (op->kind) {
    case RUNNER_MALLOC: p = malloc(op->a); break;
    case RUNNER_CALLOC: p = calloc(op->a, op->b); break;
    case RUNNER_REALLOC: p = realloc((void*)(uintptr_t)slots[op->src], op->a); break;
    case RUNNER_MEMALIGN: p = memalign(op->a, op->b); break;
    case RUNNER_ALIGNED_ALLOC: p = aligned_alloc(op->a, op->b); break;
    case RUNNER_POSIX_MEMALIGN: {
      int e = posix_memalign(&p, op->a, op->b);
      if (e != 0) p = NULL;
      r->value = (uint64_t)e;
      r->error = e;
      break;
    }
    case RUNNER_VALLOC: p = valloc(op->a); break;
    case RUNNER_PVALLOC: p = pvalloc(op->a); break;
    default: allocates = 0; break;
  }
  if (allocates) {
    if (op->kind != RUNNER_POSIX_MEMALIGN) r->error = errno;
    r->pointer = (uint64_t)(uintptr_t)p;
    if (p != NULL) {
      memcpy(&r->chunk_size, (char*)p - 8, sizeof r->chunk_size);
      if (r->chunk_size & 2) {
        /* An mmapped chunk reports its mapping's length (prev_size holds the leader that
           memalign gave back): the chunk size alone depends on where the kernel put the
           mapping, the length does not. */
        uint64_t lead;
        memcpy(&lead, (char*)p - 16, sizeof lead);
        r->chunk_size = ((r->chunk_size & ~(uint64_t)7) + lead) | (r->chunk_size & 7);
      }
    }
    slots[op->dst] = (uint64_t)(uintptr_t)p;
    return;
  }
  switch (op->kind) {
    case RUNNER_FREE: free((void*)(uintptr_t)slots[op->src]); break;
    case RUNNER_USABLE_SIZE:
      r->value = malloc_usable_size((void*)(uintptr_t)slots[op->src]);
      break;
    case RUNNER_WRITE8: {
      uint64_t value = resolve_value(op);
      volatile uint64_t* at = (volatile uint64_t*)(uintptr_t)(slots[op->src] + (uint64_t)op->offset);
      *at = value;
      break;
    }
    case RUNNER_MALLOPT: r->value = (uint64_t)(int64_t)mallopt(op->param, (int)op->a); break;
    case RUNNER_TRIM: r->value = (uint64_t)(int64_t)malloc_trim(op->a); break;
    default: break;
  }
  r->error = errno;
}

static void install_handlers(void) {
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
}

static void set_timer(uint32_t ms) {
  /* A Program that never ends is killed by SIGPROF (default action: terminate) after its CPU
   * time; time spent waiting for the parent's snapshots does not count. */
  struct itimerval timer;
  memset(&timer, 0, sizeof timer);
  timer.it_value.tv_sec = ms / 1000;
  timer.it_value.tv_usec = (ms % 1000) * 1000;
  setitimer(ITIMER_PROF, &timer, NULL);
}

/* Copied snapshots: the arena, mp_, global_max_fast and the heap after this op, into the shared
 * state area. A state that does not fit is not copied (the parent then runs the Program again,
 * pausing the child instead). */
static uint64_t state_used;
static uint64_t top_high; /* the highest top header of this Program so far (its end) */
static void copy_state(struct RunnerRecord* r) {
  /* The heap up to the highest top header the Program has had: every chunk that ever existed
   * lies below it (chunks are carved from top), so a snapshot reads no further, not even a
   * stale bin entry that top has swallowed since; above it is top's untouched interior, most
   * of a young heap. (main_arena.top is at 0x60 from 2.27 on.) */
  uint64_t heap_len = r->heap_end - heap_base;
  uint64_t top = *(const uint64_t*)(uintptr_t)(request.arena + 0x60);
  if (top >= heap_base && top + 0x10 <= r->heap_end) {
    if (top + 0x10 > top_high) top_high = top + 0x10;
    if (top_high - heap_base < heap_len) heap_len = top_high - heap_base;
  }
  /* With M_MMAP_THRESHOLD 0 the tcache struct itself is an mmapped chunk: copied after the heap. */
  int tcache_apart = runner_tcache_outside_heap(r->tcache, heap_base, r->heap_end);
  uint64_t need = (uint64_t)request.arena_bytes + request.mp_bytes + 8 + heap_len +
                  (tcache_apart ? RUNNER_TCACHE_BYTES : 0);
  if (shared == NULL || need > RUNNER_STATE_BYTES - state_used) return;
  unsigned char* at = shared->state + state_used;
  memcpy(at, (void*)(uintptr_t)request.arena, request.arena_bytes);
  at += request.arena_bytes;
  memcpy(at, (void*)(uintptr_t)request.mp, request.mp_bytes);
  at += request.mp_bytes;
  memcpy(at, (void*)(uintptr_t)request.global_max_fast, 8);
  at += 8;
  memcpy(at, (void*)(uintptr_t)heap_base, heap_len);
  at += heap_len;
  if (tcache_apart) memcpy(at, (void*)(uintptr_t)r->tcache, RUNNER_TCACHE_BYTES);
  r->state_copied = 1;
  r->state_offset = state_used;
  r->state_heap_bytes = heap_len;
  state_used += (need + 15) & ~(uint64_t)15;
}

/* See RunnerRequest.tcache_key. Entries' next pointers are safe-linked from 2.32 on; the
 * chunks come from the op that initialised malloc, so their lists are intact. */
static void pin_tcache_key(void) {
  uint64_t* key = (uint64_t*)(uintptr_t)request.tcache_key;
  uint64_t old = *key;
  if (old == 0) return; /* malloc not initialised yet */
  *key = request.tcache_key_value;
  uint64_t tcache = tcache_pointer();
  if (tcache == 0) return;
  const uint16_t* counts = (const uint16_t*)(uintptr_t)tcache;
  const uint64_t* entries = (const uint64_t*)(uintptr_t)(tcache + 64 * sizeof(uint16_t));
  for (int bin = 0; bin < 64; ++bin) {
    uint64_t e = entries[bin];
    for (uint16_t n = 0; e != 0 && n < counts[bin]; ++n) {
      uint64_t* entry = (uint64_t*)(uintptr_t)e;
      if (entry[1] == old) entry[1] = request.tcache_key_value;
      e = (e >> 12) ^ entry[0];
    }
  }
}

/* Runs the Program in `request`/`ops`; 1 when some op returned an mmapped chunk. */
static int run_program(void) {
  int mmapped = 0;
  set_timer(request.timeout_ms);
  memset(slots, 0, sizeof slots);
  if (shared != NULL) shared->count = 0;
  state_used = 0;
  top_high = 0;
  struct RunnerRecord r;
  memset(&r, 0, sizeof r);
  r.kind = RUNNER_START;
  r.pid = getpid();
  r.heap_base = heap_base;
  r.heap_end = heap_base;
  emit(&r);

  int key_pinned = request.tcache_key == 0;
  for (uint32_t i = 0; i < request.op_count; ++i) {
    current_op = i;
    memset(&r, 0, sizeof r);
    run_op(&ops[i], &r);
    if (!key_pinned && *(uint64_t*)(uintptr_t)request.tcache_key != 0) {
      pin_tcache_key();
      key_pinned = 1;
    }
    if (r.chunk_size & 2) mmapped = 1;
    r.kind = RUNNER_RETURNED;
    r.index = i;
    r.heap_base = heap_base;
    r.heap_end = (uint64_t)(uintptr_t)sbrk(0);
    r.tcache = tcache_pointer();
    if (request.arena != 0 && !request.snapshots) copy_state(&r);
    if (!emit(&r)) _exit(3);
    if (request.snapshots) {
      char ack;
      if (!read_all(RUNNER_FD_ACK, &ack, 1)) _exit(3);
    }
  }
  set_timer(0);
  return mmapped;
}

static void child(void) {
  install_handlers();
  heap_base = (uint64_t)(uintptr_t)sbrk(0);
  run_program();
  _exit(0);
}

/* ---- persistent mode: reset glibc's malloc in place ------------------------------------ */

#define MAX_MAPS 1024
struct Range {
  uint64_t start, end;
};
static char maps_text[1 << 17];
static struct Range baseline[MAX_MAPS];
static int baseline_count;
/* libc's writable data (its rw mapping and the anonymous .bss tail after it), as it was before
 * the first malloc: main_arena, mp_, global_max_fast, tcache_key, __curbrk, ... */
static struct Range libc_data[2];
static int libc_data_count;
static char libc_saved[1 << 20];

static uint64_t parse_hex(const char** p) {
  uint64_t v = 0;
  for (;;) {
    char c = **p;
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return v;
    v = v * 16 + (uint64_t)d;
    ++*p;
  }
}

/* Reads /proc/self/maps into maps_text (no stdio, no malloc); its length, or -1. */
static long read_maps(void) {
  int fd = open("/proc/self/maps", O_RDONLY);
  if (fd < 0) return -1;
  long len = 0;
  for (;;) {
    ssize_t n = read(fd, maps_text + len, sizeof maps_text - 1 - (size_t)len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    len += n;
  }
  close(fd);
  maps_text[len] = 0;
  return len;
}

/* Calls fn(start, end, perms, path) for each mapping. */
static void each_map(void (*fn)(uint64_t, uint64_t, const char*, const char*)) {
  const char* p = maps_text;
  while (*p) {
    const char* line = p;
    while (*p && *p != '\n') ++p;
    const char* eol = p;
    if (*p) ++p;
    const char* q = line;
    uint64_t start = parse_hex(&q);
    if (*q++ != '-') continue;
    uint64_t end = parse_hex(&q);
    ++q;
    char perms[5];
    memcpy(perms, q, 4);
    perms[4] = 0;
    /* the path follows perms, offset, dev and inode */
    int fields = 0;
    while (q < eol && fields < 4) {
      while (q < eol && *q != ' ') ++q;
      while (q < eol && *q == ' ') ++q;
      ++fields;
    }
    static char path[512];
    size_t n = (size_t)(eol - q) < sizeof path - 1 ? (size_t)(eol - q) : sizeof path - 1;
    memcpy(path, q, n);
    path[n] = 0;
    fn(start, end, perms, path);
  }
}

static int is_libc_path(const char* path) {
  const char* base = strrchr(path, '/');
  base = base ? base + 1 : path;
  return strncmp(base, "libc.so", 7) == 0 || strncmp(base, "libc-2.", 7) == 0;
}

static uint64_t last_libc_rw_end;
static void note_map(uint64_t start, uint64_t end, const char* perms, const char* path) {
  if (baseline_count < MAX_MAPS) {
    baseline[baseline_count].start = start;
    baseline[baseline_count].end = end;
    ++baseline_count;
  }
  if (perms[0] == 'r' && perms[1] == 'w' && is_libc_path(path) && libc_data_count == 0) {
    libc_data[libc_data_count].start = start;
    libc_data[libc_data_count].end = end;
    ++libc_data_count;
    last_libc_rw_end = end;
  } else if (libc_data_count == 1 && start == last_libc_rw_end && path[0] == 0 &&
             perms[0] == 'r' && perms[1] == 'w') {
    libc_data[libc_data_count].start = start;
    libc_data[libc_data_count].end = end;
    ++libc_data_count;
    last_libc_rw_end = 0;
  } else {
    last_libc_rw_end = 0;
  }
}

/* Takes the pristine copy. 0 when libc's data cannot be found or is too large. */
static int save_pristine(void) {
  if (read_maps() < 0) return 0;
  each_map(note_map);
  if (libc_data_count == 0) return 0;
  size_t at = 0;
  for (int i = 0; i < libc_data_count; ++i) {
    size_t n = (size_t)(libc_data[i].end - libc_data[i].start);
    if (at + n > sizeof libc_saved) return 0;
    memcpy(libc_saved + at, (void*)(uintptr_t)libc_data[i].start, n);
    at += n;
  }
  return 1;
}

/* Unmaps what a Program mmapped and did not free: anonymous memory not in the baseline. */
static void unmap_new(uint64_t start, uint64_t end, const char* perms, const char* path) {
  (void)perms;
  if (path[0] != 0) return;
  uint64_t at = start;
  while (at < end) {
    uint64_t next_covered = end, covered_end = end;
    for (int i = 0; i < baseline_count; ++i) {
      if (baseline[i].end <= at || baseline[i].start >= end) continue;
      if (baseline[i].start <= at) {
        next_covered = at;
        covered_end = baseline[i].end;
        break;
      }
      if (baseline[i].start < next_covered) {
        next_covered = baseline[i].start;
        covered_end = baseline[i].end;
      }
    }
    if (next_covered > at) munmap((void*)(uintptr_t)at, (size_t)(next_covered - at));
    at = covered_end;
  }
}

/* Back to the state before the first malloc: the break where it was (the kernel drops the
 * pages, so the next heap is zero-filled as a fresh one is), libc's data, the thread's tcache
 * pointer (TLS, not libc's data) and any mapping the Program left behind. */
static void reset_malloc(int mmapped) {
  if ((uint64_t)(uintptr_t)sbrk(0) != heap_base) syscall(SYS_brk, (long)heap_base);
  size_t at = 0;
  for (int i = 0; i < libc_data_count; ++i) {
    size_t n = (size_t)(libc_data[i].end - libc_data[i].start);
    memcpy((void*)(uintptr_t)libc_data[i].start, libc_saved + at, n);
    at += n;
  }
  char* tls_errno = (char*)__errno_location();
  memset(tls_errno - request.errno_tls + request.tcache_tls, 0, sizeof(void*));
  if (mmapped && read_maps() >= 0) each_map(unmap_new);
}

/* A runner whose parent died (a fuzzer killed mid-Program) must go too: a child waiting for a
 * request that will never come spins (next_request). Cleared by fork: each child sets it again. */
static void die_with_parent(void) { prctl(PR_SET_PDEATHSIG, SIGKILL); }

/* Spinning only pays when both sides have a CPU of their own; the parent says how long. */
static uint32_t spin_rounds;

static int new_request(void) {
  return __atomic_load_n(&shared->request_seq, __ATOMIC_ACQUIRE) !=
         __atomic_load_n(&shared->consumed_seq, __ATOMIC_RELAXED);
}

/* The next request, from shared memory (doorbell on the pipe) or from the pipe itself. */
static int next_request(void) {
  if (shared == NULL) {
    if (!read_request_header()) return 0;
    if (request.magic != RUNNER_MAGIC || request.op_count > RUNNER_MAX_OPS) _exit(2);
    return read_all(RUNNER_FD_REQUEST, ops, sizeof ops[0] * request.op_count);
  }
  for (uint32_t i = 0; i < spin_rounds && !new_request(); ++i) __builtin_ia32_pause();
  char bell;
  if (!read_all(RUNNER_FD_REQUEST, &bell, 1)) return 0;
  while (!new_request()) __builtin_ia32_pause(); /* the bell comes first, the seq right after */
  uint32_t seq = __atomic_load_n(&shared->request_seq, __ATOMIC_ACQUIRE);
  __atomic_store_n(&shared->consumed_seq, seq, __ATOMIC_RELAXED);
  memcpy(&request, &shared->request, sizeof request);
  if (request.magic != RUNNER_MAGIC || request.op_count > RUNNER_MAX_OPS) _exit(2);
  memcpy(ops, shared->ops, sizeof ops[0] * request.op_count);
  spin_rounds = request.spin_rounds;
  return 1;
}

static void persistent_child(void) {
  install_handlers();
  for (;;) {
    if (!next_request()) _exit(0);
    if (request.tcache_tls == 0) _exit(2);
    /* A Program that writes memory itself may have made glibc write anywhere (the runner's own
     * data, ld.so's): nothing after it runs in this process. */
    int corrupts = 0;
    for (uint32_t i = 0; i < request.op_count; ++i) corrupts |= ops[i].kind == RUNNER_WRITE8;
    int mmapped = run_program();
    if (!corrupts) reset_malloc(mmapped);
    struct RunnerRecord end;
    memset(&end, 0, sizeof end);
    end.kind = RUNNER_END;
    if (!write_all(RUNNER_FD_RESPONSE, &end, sizeof end)) _exit(0);
    if (shared != NULL) {
      __atomic_store_n(&shared->done_seq, __atomic_load_n(&shared->consumed_seq, __ATOMIC_RELAXED),
                       __ATOMIC_RELEASE);
    }
    if (corrupts) _exit(EXIT_RECYCLE);
  }
}

/* The persistent server: one child at a time; when it dies inside a Program, report how and
 * start the next. When it exits (the request pipe closed, or it could not start), so do we. */
static int persistent_server(void) {
  /* This process never mallocs, so its libc data is the pristine state every child resets to:
   * saved once here, inherited by each child (a corrupting Program costs a child). */
  heap_base = (uint64_t)(uintptr_t)sbrk(0);
  if (!save_pristine()) return 6;
  for (;;) {
    int err[2];
    if (pipe(err) != 0) return 4;
    pid_t pid = fork();
    if (pid < 0) return 5;
    if (pid == 0) {
      die_with_parent();
      close(err[0]);
      dup2(err[1], 2);
      close(err[1]);
      persistent_child();
    }
    close(err[1]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    size_t len = 0;
    for (;;) {
      ssize_t n = read(err[0], message + len, sizeof message - len);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      len += (size_t)n;
      if (len == sizeof message) break;
    }
    close(err[0]);
    if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_RECYCLE) continue; /* END already sent */
    if (WIFEXITED(status) && WEXITSTATUS(status) != EXIT_DIED_IN_PROGRAM) return WEXITSTATUS(status);
    struct RunnerRecord end;
    memset(&end, 0, sizeof end);
    end.kind = RUNNER_END;
    end.status = status;
    end.message_len = (uint32_t)len;
    if (!write_all(RUNNER_FD_RESPONSE, &end, sizeof end)) return 0;
    if (!write_all(RUNNER_FD_RESPONSE, message, len)) return 0;
  }
}

/* Where the break starts is random (ASLR, page granularity), and so would be the heap offset of
 * any memalign with an alignment above a page. Starting the heap on a 16 MiB boundary makes
 * those deterministic (and a twin can do the same). The pages skipped, at least HEAP_GUARD of
 * them, are made inaccessible: below a fresh process's randomised break lies unmapped memory,
 * so a write just below the heap faults there, and must fault here too (the twin's does). */
#define HEAP_BASE_ALIGNMENT (16u << 20)
#define HEAP_GUARD (16u << 20)

int main(int argc, char** argv) {
  die_with_parent();
  persistent = argc > 1 && strcmp(argv[argc - 1], "persistent") == 0;
  uintptr_t brk_now = (uintptr_t)sbrk(0);
  uintptr_t pad = (HEAP_BASE_ALIGNMENT - brk_now % HEAP_BASE_ALIGNMENT) % HEAP_BASE_ALIGNMENT;
  if (pad < HEAP_GUARD) pad += HEAP_BASE_ALIGNMENT;
  if (sbrk((intptr_t)pad) == (void*)-1) return 7;
  uintptr_t guard = (brk_now + 4095) & ~(uintptr_t)4095;
  if (mprotect((void*)guard, brk_now + pad - guard, PROT_NONE) != 0) return 7;
  void* map = mmap(NULL, sizeof(struct RunnerShared), PROT_READ | PROT_WRITE, MAP_SHARED,
                   RUNNER_FD_SHARED, 0);
  shared = map == MAP_FAILED ? NULL : (struct RunnerShared*)map;
  if (persistent) return persistent_server();
  for (;;) {
    if (!read_request_header()) return 0;
    if (request.magic != RUNNER_MAGIC || request.op_count > RUNNER_MAX_OPS) return 2;
    if (!read_all(RUNNER_FD_REQUEST, ops, sizeof ops[0] * request.op_count)) return 0;

    int err[2];
    if (pipe(err) != 0) return 4;
    pid_t pid = fork();
    if (pid < 0) return 5;
    if (pid == 0) {
      die_with_parent();
      close(RUNNER_FD_REQUEST);
      close(err[0]);
      dup2(err[1], 2);
      close(err[1]);
      child();
    }
    close(err[1]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    /* The child is gone, so the pipe holds all it wrote. */
    size_t len = 0;
    for (;;) {
      ssize_t n = read(err[0], message + len, sizeof message - len);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      len += (size_t)n;
      if (len == sizeof message) break;
    }
    close(err[0]);
    struct RunnerRecord end;
    memset(&end, 0, sizeof end);
    end.kind = RUNNER_END;
    end.status = status;
    end.message_len = (uint32_t)len;
    if (!write_all(RUNNER_FD_RESPONSE, &end, sizeof end)) return 0;
    if (!write_all(RUNNER_FD_RESPONSE, message, len)) return 0;
  }
}
