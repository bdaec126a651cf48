#include "tools/export_c.h"

#include <algorithm>
#include <cctype>
#include <cinttypes>
#include <cstdio>
#include <limits>
#include <sstream>

#include "program/heap_format.h"
#include "tools/export_c_reads.h"

namespace heaptwin {

namespace {

// Ops per function. Measured with gcc 12 -O0 on a Program of 100,000 mallocs and frees: in one
// function, 136 s and 2.3 GB; in functions of 1,000 ops, 15-22 s and 0.5 GB.
constexpr size_t kOpsPerFunction = 1000;

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

// A size as the .heap wrote it: values above INT64_MAX are `(size_t)-0x1`, as `malloc -1` reads.
std::string c_size(uint64_t v) {
  if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return "(size_t)-" + hex(0 - v);
  return hex(v);
}

std::string c_signed(int64_t v) {
  return v < 0 ? "-" + hex(0 - static_cast<uint64_t>(v)) : hex(static_cast<uint64_t>(v));
}

// " + 0x10", " - 0x10", or nothing.
std::string c_delta(int64_t d) {
  if (d == 0) return "";
  return d < 0 ? " - " + hex(0 - static_cast<uint64_t>(d)) : " + " + hex(static_cast<uint64_t>(d));
}

// A C string literal.
std::string c_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\%03o", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// Text safe inside a /* */ comment.
std::string in_comment(std::string s) {
  for (size_t at = s.find("*/"); at != std::string::npos; at = s.find("*/", at)) s.replace(at, 2, "* /");
  return s;
}

// Slot `a` is the C variable p_a (a prefix keeps every slot name clear of C's keywords and of
// libc's names: a slot may be called `index` or `free_list`). `null` is the variable null_slot,
// NULL like any slot no op has assigned, but opaque to the compiler (see kPrelude).
std::string slot_var(const Program& p, SlotId slot) {
  if (slot == kNullSlot) return "null_slot";
  return "p_" + std::string(p.slot_names[slot]);
}

std::string address_expr(const Program& p, bool is_heap, SlotId slot, int64_t delta) {
  return (is_heap ? std::string("heap_base") : "addr(" + slot_var(p, slot) + ")") + c_delta(delta);
}

// A write8 value, computed at the time of the op as docs/heap-format.md says.
std::string value_expr(const Program& p, const Value& v) {
  switch (v.kind) {
    case Value::Kind::kLiteral: return hex(v.literal);
    case Value::Kind::kSlot: return address_expr(p, false, v.slot, v.delta);
    case Value::Kind::kHeap: return address_expr(p, true, v.slot, v.delta);
    case Value::Kind::kProtect: {
      std::string target =
          v.target_kind == Value::Kind::kLiteral
              ? hex(v.target_literal)
              : address_expr(p, v.target_kind == Value::Kind::kHeap, v.target_slot, v.target_delta);
      return "protect_ptr(" + address_expr(p, v.pos_is_heap, v.slot, v.delta) + ", " + target + ")";
    }
  }
  return "0";
}

// glibc's <malloc.h> names for mallopt's parameters; a number stays a number.
std::string mallopt_param(int32_t param) {
  const char* name = mallopt_name(param);
  return name ? name : std::to_string(param);
}

// The statements of one op, after its op() line.
std::string op_code(const Program& p, const Op& op) {
  const std::string dst = slot_var(p, op.dst), src = slot_var(p, op.src);
  auto allocating = [&](const std::string& call) {
    return "  " + dst + " = " + call + ";\n  allocated(" + dst + ");\n";
  };
  switch (op.kind) {
    case OpKind::kMalloc: return allocating("malloc(" + c_size(op.a) + ")");
    case OpKind::kCalloc: return allocating("calloc(" + c_size(op.a) + ", " + c_size(op.b) + ")");
    case OpKind::kRealloc: return allocating("realloc(" + src + ", " + c_size(op.a) + ")");
    case OpKind::kMemalign:
      return allocating("memalign(" + c_size(op.a) + ", " + c_size(op.b) + ")");
    case OpKind::kAlignedAlloc:
      return allocating("aligned_alloc(" + c_size(op.a) + ", " + c_size(op.b) + ")");
    case OpKind::kValloc: return allocating("valloc(" + c_size(op.a) + ")");
    case OpKind::kPvalloc: return allocating("pvalloc(" + c_size(op.a) + ")");
    case OpKind::kPosixMemalign:
      // As the runner: the slot is NULL when posix_memalign returns an error.
      return "  posix_result = NULL;\n  posix_error = posix_memalign(&posix_result, " + c_size(op.a) +
             ", " + c_size(op.b) + ");\n  " + dst +
             " = posix_error ? NULL : posix_result;\n  allocated_with_error(" + dst +
             ", posix_error);\n";
    case OpKind::kFree: return "  free(" + src + ");\n  done();\n";
    case OpKind::kUsableSize: return "  value(malloc_usable_size(" + src + "));\n";
    case OpKind::kWrite8:
      return "  write8(" + src + ", " + c_signed(op.offset) + ", " + value_expr(p, op.value) +
             ");\n  done();\n";
    case OpKind::kMallopt: {
      const int32_t v = static_cast<int32_t>(static_cast<int64_t>(op.a));
      return "  value_of_int(mallopt(" + mallopt_param(op.param) + ", " +
             (v < 0 ? std::to_string(v) : hex(static_cast<uint64_t>(v))) + "));\n";
    }
    case OpKind::kTrim: return "  value_of_int(malloc_trim(" + c_size(op.a) + "));\n";
    case OpKind::kRead8: return read8_code(dst, src, op.offset);
  }
  return "  /* an op this exporter does not know */\n";
}

// What the program does besides the ops: output without stdio, the heap base, faults. Plain C99
// with glibc's headers (those of 2.31 too, for builds against an old sysroot).
constexpr const char* kPrelude = R"C(#define _GNU_SOURCE
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
 * page would land at another offset from run to run. So the heap starts on a 16 MiB boundary,
 * the pages skipped (at least 16 MiB) made inaccessible, as below a fresh process's break, and
 * the heap base is sbrk(0) after that, before the first op: where glibc puts the tcache struct. */

static uint64_t heap_base;

static int align_heap(void) {
  const uintptr_t alignment = (uintptr_t)16 << 20, guard_size = (uintptr_t)16 << 20;
  uintptr_t brk_now = (uintptr_t)sbrk(0);
  uintptr_t pad = (alignment - brk_now % alignment) % alignment;
  if (pad < guard_size) pad += alignment;
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
 * IS_MMAPPED as its mapping's length (prev_size, memalign's leader, + chunk size: the chunk size
 * alone depends on where the kernel put the mapping) and the pointer's offset in its page; else
 * the offset from the heap base. */
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
  if (size & 2) {
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

bool reads_memory(const Program& program) {
  for (const Op& op : program.ops) {
    if (op.kind == OpKind::kRead8) return true;
  }
  return false;
}

// Whether the Program reads or writes memory itself: then it can see tcache_key.
bool touches_memory(const Program& program) {
  for (const Op& op : program.ops) {
    if (op.kind == OpKind::kWrite8 || op.kind == OpKind::kRead8) return true;
  }
  return false;
}

// Whether `code` names `id` as a whole identifier (not inside p_null_slot, say).
bool uses_identifier(const std::string& code, const std::string& id) {
  auto ident = [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'; };
  for (size_t at = code.find(id); at != std::string::npos; at = code.find(id, at + 1)) {
    const size_t end = at + id.size();
    if ((at == 0 || !ident(code[at - 1])) && (end == code.size() || !ident(code[end]))) return true;
  }
  return false;
}

std::string header_comment(const Program& program, const ExportOptions& o) {
  const bool host = o.release.empty() || o.release == "2.36";
  const std::string release = host ? "2.36 (the host's)" : o.release;
  std::ostringstream c;
  c << "/* heaptwin export of " << in_comment(o.source) << "\n * (" << program.ops.size() << " op"
    << (program.ops.size() == 1 ? "" : "s") << " over " << program.slot_count() - 1 << " slot"
    << (program.slot_count() == 2 ? "" : "s") << "), for glibc " << release << ".\n";
  if (!o.description.empty()) {
    c << " *\n";
    std::istringstream lines(o.description);
    for (std::string line; std::getline(lines, line);) {
      c << " *" << (line.empty() ? "" : "   " + in_comment(line)) << "\n";
    }
  }
  c << " *\n"
       " * It performs the Program's ops one after the other on the real malloc of the libc it runs\n"
       " * under, and prints each op's outcome as `heaptwin run FILE.heap --on glibc` does:\n"
       " *   N: OP  -> OUTCOME\n"
       " * a pointer as its offset from the heap base (the start of the brk heap, where glibc puts\n"
       " * the tcache struct), `mmapped LENGTH +OFFSET` for an mmapped chunk (its mapping's length,\n"
       " * the pointer's offset in its page), `NULL (ERRNO)`, `value V` (malloc_usable_size,\n"
       " * mallopt, trim), `done` (free, write8), `read V` (read8: what it read, named as heaptwin's\n"
       " * sides name it: heap+N, main_arena+N, a number, ...). An op's line starts before the op runs: where\n"
       " * glibc aborts, its message follows on stderr and the program ends by SIGABRT; a fault\n"
       " * prints `fault: SIGSEGV at heap+OFFSET` (or the raw address) and ends by the signal.\n"
       " * Nothing allocates between ops (output is write(2) from a static buffer, slots are static\n"
       " * variables: slot `a` is p_a), so the heap holds only what the Program made.\n";
  if (touches_memory(program)) {
    c << " * glibc's tcache_key (2.34 on) is heaptwin's, as on heaptwin's sides: see pin_tcache_key.\n";
  }
  c << " *\n";
  std::string loader = o.loader.empty() ? "<sysroot>/ld-linux-x86-64.so.2" : o.loader;
  std::string dir = o.library_dir.empty() ? "<folder of its libc.so.6>" : o.library_dir;
  int minor = 36;
  std::sscanf(o.release.c_str(), "2.%d", &minor);
  const std::string file = "t.c";
  const std::string no_aslr = "without address randomisation, as heaptwin's glibc runner runs:\n";
  if (host) {
    c << " * Build it, and run it " << no_aslr
      << " *   gcc -o t " << file << " && setarch -R ./t\n"
         " * Under another glibc release (its loader, and the folder holding its libc.so.6):\n"
         " *   setarch -R <sysroot>/ld-linux-x86-64.so.2 --library-path <dir> ./t\n"
         " * (before 2.34, built against that release's headers and crt files: docs/export.md)\n";
  } else if (minor >= 34) {
    c << " * Build it, and run it under glibc " << o.release << "'s loader " << no_aslr
      << " *   gcc -o t " << file << "\n"
      << " *   setarch -R " << in_comment(loader) << " --library-path " << in_comment(dir) << " ./t\n";
  } else {
    std::string root = o.old_abi_sysroot.empty() ? "<sysroot of an old glibc>" : o.old_abi_sysroot;
    c << " * Build it against an old glibc's headers and crt files (built against the host's, it\n"
         " * needs GLIBC_2.34 and does not start under "
      << o.release << "; `heaptwin run --glibc 2.31` unpacks Debian's\n"
         " * 2.31 into ~/.cache/heaptwin/glibc-2.31), and run it under glibc "
      << o.release << "'s loader\n * " << no_aslr
      << " *   gcc " << in_comment(old_glibc_build_flags(root)) << " -o t " << file << "\n"
      << " *   setarch -R " << in_comment(loader) << " --library-path " << in_comment(dir) << " ./t\n";
  }
  const std::string option = !o.release_option.empty() ? o.release_option
                             : host                      ? std::string()
                                                         : "--glibc " + o.release;
  c << " * Compare with `heaptwin run " << in_comment(o.source) << " --on glibc"
    << (option.empty() ? "" : " " + in_comment(option)) << "`.\n";
  c << " */\n";
  return c.str();
}

}  // namespace

std::string old_glibc_build_flags(const std::string& sysroot) {
  // The sysroot has glibc's headers but not the kernel's (linux/, asm/): the host's serve.
  return "--sysroot=" + sysroot + " -B" + sysroot + "/usr/lib/x86_64-linux-gnu" +
         " -idirafter /usr/include/x86_64-linux-gnu -idirafter /usr/include";
}

std::string heap_description(const std::string& text) {
  std::string out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    size_t start = line.find_first_not_of(" \t\r");
    if (start == std::string::npos) continue;
    if (line[start] != '#') break;
    std::string rest = line.substr(start + 1);
    if (!rest.empty() && rest[0] == ' ') rest.erase(0, 1);
    while (!rest.empty() && (rest.back() == '\r' || rest.back() == ' ')) rest.pop_back();
    out += rest + "\n";
  }
  return out;
}

std::string export_c(const Program& program, const ExportOptions& options) {
  std::string c = header_comment(program, options);
  c += kPrelude;
  const bool reads = reads_memory(program);
  if (reads) c += read8_support_code(program, options.release);
  std::string body;
  const size_t n = program.ops.size();
  const size_t functions = n <= kOpsPerFunction ? 1 : (n + kOpsPerFunction - 1) / kOpsPerFunction;
  for (size_t f = 0; f < functions; ++f) {
    const size_t first = f * kOpsPerFunction, last = std::min(n, first + kOpsPerFunction);
    body += "\nstatic void ";
    body += functions == 1 ? "run_program" : "run_ops_" + std::to_string(first);
    body += "(void) {\n";
    for (size_t i = first; i < last; ++i) {
      const Op& op = program.ops[i];
      body += "  op(" + std::to_string(i) + ", " + c_string(print_op(program, op)) + ");\n";
      body += op_code(program, op);
      if (reads) body += follow_mappings_code(op, slot_var(program, op.dst));
    }
    body += "}\n";
  }
  // Only what the ops use (an unused static is a compiler warning).
  if (body.find("posix_result") != std::string::npos) {
    c += "static void *posix_result; /* posix_memalign's pointer and return value */\n"
         "static int posix_error;\n";
  }
  if (uses_identifier(body, "null_slot")) {
    c += "static void *volatile null_slot; /* the script's `null` */\n";
  }
  for (SlotId s = 1; s < program.slot_count(); ++s) {
    c += "static void *volatile " + slot_var(program, s) + ";\n";
  }
  c += body;
  if (functions > 1) {
    c += "\nstatic void run_program(void) {\n";
    for (size_t f = 0; f < functions; ++f) {
      c += "  run_ops_" + std::to_string(f * kOpsPerFunction) + "();\n";
    }
    c += "}\n";
  }
  c += "\nint main(void) {\n"
       "  note_environment();\n";
  if (touches_memory(program)) {
    c += "  pin_tcache_key(); /* the Program reads or forges memory: it might read the key */\n";
  }
  c += "  if (!align_heap()) {\n"
       "    say(\"cannot move the program break to a 16 MiB boundary\\n\");\n"
       "    return 2;\n"
       "  }\n"
       "  catch_faults();\n" +
       std::string(reads ? kFindReadPlaces : "") +
       "  put(\"# \");\n"
       "  put(" + c_string(options.source) + ");\n"
       "  put(\" on glibc \");\n"
       "  put(gnu_get_libc_version());\n"
       "  end_line();\n"
       "  run_program();\n"
       "  return 0;\n"
       "}\n";
  return c;
}

}  // namespace heaptwin
