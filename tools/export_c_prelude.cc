// The fixed C text of every exported program (export_c.h), between its comment and its slots:
// output without stdio, the heap base as the glibc runner sets it up, the outcome lines, write8,
// faults, and tcache_key pinned as heaptwin's sides pin it.
#include "tools/export_c_internal.h"

namespace heaptwin::c_export {

extern const char kPrelude[] = R"C(#define _GNU_SOURCE
#include <errno.h>
#include <gnu/libc-version.h>
#include <malloc.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

/* A Program asks for absurd sizes and alignments on purpose (malloc -1, callocs that overflow,
 * memalign 0x18): no compiler warning about them. Helpers a Program does not use are no
 * warning either. */
#if defined(__clang__)
#pragma clang diagnostic ignored "-Wunknown-warning-option"
#pragma clang diagnostic ignored "-Wnon-power-of-two-alignment"
#pragma clang diagnostic ignored "-Wbuiltin-assume-aligned-alignment"
#elif defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wpragmas"
#pragma GCC diagnostic ignored "-Walloc-size-larger-than="
#endif
#define MAYBE_UNUSED __attribute__((unused))

/* ---- output: a static buffer and write(2); stdio would put its buffer in the heap ---------- */

static char out[4096];
static size_t out_used;

static void flush_out(void) {
  size_t done_bytes = 0;
  while (done_bytes < out_used) {
    ssize_t n = write(1, out + done_bytes, out_used - done_bytes);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done_bytes += (size_t)n;
  }
  out_used = 0;
}

static void put(const char *s) {
  for (; *s; ++s) {
    if (out_used == sizeof out) flush_out();
    out[out_used++] = *s;
  }
}

static void put_number(uint64_t v, unsigned base) {
  char digits[24];
  int n = sizeof digits - 1;
  digits[n] = '\0';
  do {
    digits[--n] = "0123456789abcdef"[v % base];
    v /= base;
  } while (v != 0);
  put(digits + n);
}

static void put_hex(uint64_t v) {
  put("0x");
  put_number(v, 16);
}

static void put_signed_hex(int64_t v) {
  if (v < 0) put("-");
  put_hex(v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
}

static void end_line(void) {
  put("\n");
  flush_out();
}

/* ---- the heap base, as heaptwin's glibc runner sets it up (oracle/glibc/runner_main.c) -------
 * The break starts page-aligned and, with address randomisation, anywhere: a memalign above a
 * page would land at another offset from run to run. So the heap starts 16 MiB above a 64 MiB
 * boundary (heap_for_ptr's boundaries then lie at the same heap offsets too), the pages skipped
 * (at least 16 MiB) made inaccessible, as below a fresh process's break, and the heap base is
 * sbrk(0) after that, before the first op: where glibc puts the tcache struct. */

static uint64_t heap_base;

static int align_heap(void) {
  const uintptr_t boundary = (uintptr_t)64 << 20, offset = (uintptr_t)16 << 20;
  const uintptr_t guard_size = (uintptr_t)16 << 20;
  uintptr_t brk_now = (uintptr_t)sbrk(0);
  uintptr_t target = (brk_now + guard_size + boundary - 1 - offset) / boundary * boundary + offset;
  uintptr_t pad = target - brk_now;
  if (sbrk((intptr_t)pad) == (void *)-1) return 0;
  uintptr_t guard = (brk_now + 4095) & ~(uintptr_t)4095;
  if (mprotect((void *)guard, brk_now + pad - guard, PROT_NONE) != 0) return 0;
  heap_base = (uint64_t)(uintptr_t)sbrk(0);
  return 1;
}

/* ---- outcomes, as `heaptwin run` prints them (docs/op-semantics.md) ----------------------- */

/* Each op's line starts before the op runs ("3: free a  -> "), so the op that ends the program
 * is named: glibc's abort message follows on stderr. errno is 0 when the op starts. */
static void op(uint64_t index, const char *text) {
  put_number(index, 10);
  put(": ");
  put(text);
  put("  -> ");
  flush_out();
  errno = 0;
}

static MAYBE_UNUSED void done(void) {
  put("done");
  end_line();
}

static MAYBE_UNUSED void value(uint64_t v) {
  put("value ");
  put_hex(v);
  end_line();
}

/* mallopt's and malloc_trim's int, widened as the runner widens it. */
static MAYBE_UNUSED void value_of_int(int v) { value((uint64_t)(int64_t)v); }

/* An allocating op's result: NULL with errno (posix_memalign: its return value); a chunk with
 * IS_MMAPPED outside the heap as its mapping's length (prev_size, memalign's leader, + chunk
 * size: the chunk size alone depends on where the kernel put the mapping) and the pointer's
 * offset in its page; else (also a heap chunk whose IS_MMAPPED a write8 forged) the offset from
 * the heap base. */
static MAYBE_UNUSED void allocated_with_error(void *p, int error) {
  if (p == NULL) {
    put("NULL (");
    switch (error) {
      case 0: put("0"); break;
      case ENOMEM: put("ENOMEM"); break;
      case EINVAL: put("EINVAL"); break;
      case EFAULT: put("EFAULT"); break;
      default: put_number((uint64_t)error, 10);
    }
    put(")");
    end_line();
    return;
  }
  uint64_t size, lead;
  memcpy(&size, (const char *)p - 8, sizeof size);
  const uint64_t at = (uint64_t)(uintptr_t)p;
  if ((size & 2) && !(at >= heap_base && at < (uint64_t)(uintptr_t)sbrk(0))) {
    memcpy(&lead, (const char *)p - 16, sizeof lead);
    put("mmapped ");
    put_hex((size & ~(uint64_t)7) + lead);
    put(" +");
    put_hex((uint64_t)(uintptr_t)p & 0xfff);
  } else {
    put_signed_hex((int64_t)((uint64_t)(uintptr_t)p - heap_base));
  }
  end_line();
}

static MAYBE_UNUSED void allocated(void *p) { allocated_with_error(p, errno); }

/* ---- write8 values ------------------------------------------------------------------------ */

static MAYBE_UNUSED uint64_t addr(void *p) { return (uint64_t)(uintptr_t)p; }

/* glibc's PROTECT_PTR (safe-linking, 2.32 on): the position's page number xor the target. */
static MAYBE_UNUSED uint64_t protect_ptr(uint64_t pos, uint64_t target) { return (pos >> 12) ^ target; }

/* 8 bytes at the slot's pointer + offset (the null slot: at the offset itself). */
static MAYBE_UNUSED void write8(void *slot, int64_t offset, uint64_t v) {
  *(volatile uint64_t *)(uintptr_t)(addr(slot) + (uint64_t)offset) = v;
}

/* ---- faults: the outcome, then the program dies by the signal, as it would have ------------ */

static char fault_stack[1 << 16];

static void on_fault(int sig, siginfo_t *info, void *context) {
  uint64_t a = (uint64_t)(uintptr_t)info->si_addr;
  (void)context;
  put("fault: ");
  if (sig == SIGSEGV) {
    put("SIGSEGV");
  } else if (sig == SIGBUS) {
    put("SIGBUS");
  } else {
    put("signal ");
    put_number((uint64_t)sig, 10);
  }
  if (a >= heap_base && a - heap_base < ((uint64_t)1 << 32)) {
    put(" at heap+");
    put_hex(a - heap_base);
  } else {
    put(" at ");
    put_hex(a);
  }
  end_line();
  raise(sig); /* SA_RESETHAND: the default action, once this handler returns */
}

static void catch_faults(void) {
  stack_t ss;
  struct sigaction sa;
  ss.ss_sp = fault_stack;
  ss.ss_size = sizeof fault_stack;
  ss.ss_flags = 0;
  sigaltstack(&ss, NULL);
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);
}

/* To stderr, for notes and the program's own errors. */
static void say(const char *s) {
  size_t n = strlen(s);
  while (n > 0) {
    ssize_t w = write(2, s, n);
    if (w <= 0) return;
    s += w;
    n -= (size_t)w;
  }
}

/* ---- tcache_key, pinned as heaptwin's sides pin it (oracle/side.h, kPinnedTcacheKey) -------
 * glibc 2.34 on draws the key that marks a chunk in tcache from getrandom(2), once, when malloc
 * starts. A Program that forges a size over a cached chunk can read it (its PREV_INUSE bit),
 * and would then print differently from run to run. The runner overwrites the key after the op
 * that started malloc; here getrandom itself answers with heaptwin's key: a seccomp filter
 * turns the call (nothing but malloc makes it in this program) into SIGSYS, whose handler fills
 * the buffer. Older releases make no such call (their key is the tcache's address). */

static void on_getrandom(int sig, siginfo_t *info, void *context) {
  static const uint64_t key = 0x9e3779b97f4a7c15ull;
  greg_t *r = ((ucontext_t *)context)->uc_mcontext.gregs;
  unsigned char *buffer = (unsigned char *)(uintptr_t)r[REG_RDI];
  size_t length = (size_t)r[REG_RSI], i;
  (void)sig;
  (void)info;
  for (i = 0; i < length; ++i) buffer[i] = (unsigned char)(key >> (8 * (i % 8)));
  r[REG_RAX] = (greg_t)length; /* what getrandom returns */
}

static MAYBE_UNUSED void pin_tcache_key(void) {
  struct sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getrandom, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog program;
  struct sigaction sa;
  program.len = (unsigned short)(sizeof filter / sizeof filter[0]);
  program.filter = filter;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_getrandom;
  sa.sa_flags = SA_SIGINFO;
  if (sigaction(SIGSYS, &sa, NULL) != 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
    say("# note: tcache_key is not pinned (no seccomp filter here): a Program that reads it "
        "through a forged size can print differently from run to run\n");
  }
}

/* heaptwin's runner runs malloc without these; here they would change what it prints. */
static void note_environment(void) {
  extern char **environ;
  char **e;
  for (e = environ; e != NULL && *e != NULL; ++e) {
    if (strncmp(*e, "GLIBC_TUNABLES=", 15) == 0 || strncmp(*e, "MALLOC_", 7) == 0 ||
        strncmp(*e, "LD_PRELOAD=", 11) == 0) {
      say("# note: the environment sets ");
      say(*e);
      say(" (heaptwin's glibc runner runs without it)\n");
    }
  }
}

/* ---- the Program ---------------------------------------------------------------------------
 * Slots are volatile: the compiler must neither drop an allocation nobody seems to use nor
 * assume anything about a pointer malloc returned (a poisoned list returns what it was given). */
)C";

}  // namespace heaptwin::c_export
