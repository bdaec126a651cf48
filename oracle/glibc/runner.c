/* The real-glibc runner: a fork server that runs each Program in a fresh fork of itself.
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
  write_all(RUNNER_FD_RESPONSE, &r, sizeof r);
  _exit(0);
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
    if (p != NULL) memcpy(&r->chunk_size, (char*)p - 8, sizeof r->chunk_size);
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

static void child(void) {
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

  /* A Program that never ends is killed by SIGPROF (default action: terminate) after its CPU
   * time; time spent waiting for the parent's snapshots does not count. */
  struct itimerval timer;
  memset(&timer, 0, sizeof timer);
  timer.it_value.tv_sec = request.timeout_ms / 1000;
  timer.it_value.tv_usec = (request.timeout_ms % 1000) * 1000;
  setitimer(ITIMER_PROF, &timer, NULL);

  memset(slots, 0, sizeof slots);
  heap_base = (uint64_t)(uintptr_t)sbrk(0);
  struct RunnerRecord r;
  memset(&r, 0, sizeof r);
  r.kind = RUNNER_START;
  r.pid = getpid();
  r.heap_base = heap_base;
  r.heap_end = heap_base;
  write_all(RUNNER_FD_RESPONSE, &r, sizeof r);

  for (uint32_t i = 0; i < request.op_count; ++i) {
    current_op = i;
    memset(&r, 0, sizeof r);
    run_op(&ops[i], &r);
    r.kind = RUNNER_RETURNED;
    r.index = i;
    r.heap_base = heap_base;
    r.heap_end = (uint64_t)(uintptr_t)sbrk(0);
    r.tcache = tcache_pointer();
    if (!write_all(RUNNER_FD_RESPONSE, &r, sizeof r)) _exit(3);
    if (request.snapshots) {
      char ack;
      if (!read_all(RUNNER_FD_ACK, &ack, 1)) _exit(3);
    }
  }
  _exit(0);
}

int main(void) {
  for (;;) {
    if (!read_all(RUNNER_FD_REQUEST, &request, sizeof request)) return 0;
    if (request.magic != RUNNER_MAGIC || request.op_count > RUNNER_MAX_OPS) return 2;
    if (!read_all(RUNNER_FD_REQUEST, ops, sizeof ops[0] * request.op_count)) return 0;

    int err[2];
    if (pipe(err) != 0) return 4;
    pid_t pid = fork();
    if (pid < 0) return 5;
    if (pid == 0) {
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
