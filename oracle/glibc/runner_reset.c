/* The persistent child's reset: back to glibc's malloc as it was before its first call, with no
 * syscall and no page fault in the common case.
 *
 *  - libc's writable data (main_arena, mp_, global_max_fast, tcache_key, __curbrk, ...) is
 *    copied back from the server's pristine copy. That includes glibc's cached break __curbrk:
 *    the kernel's break stays where the Program left it, and glibc's first sbrk of the next
 *    Program moves it to exactly where a fresh process's first sbrk puts it (brk() sets the
 *    break, it does not add to it). Pages below that stay mapped, so they must hold zeros:
 *  - the heap bytes the Program can have written are zeroed, and only those. In glibc 2.36 (and
 *    2.31, 2.41) malloc writes the heap only below the top chunk's header + 0x10 (its size
 *    field): chunks are carved from top, and what is given back to top is below it. The highest
 *    top is not always visible after an op: _int_memalign carves nb + alignment + MINSIZE from
 *    top and gives the tail back (_int_free merges it into top), and _int_realloc's "newp ==
 *    next" path carves from top and frees the remainder into top; both may also set up the
 *    tcache first (0x290 more). For those two the bound is top before the op + what they can
 *    carve (runner_dirty_after). M_PERTURB fills stay inside these chunks. A Program that wrote
 *    memory itself (write8) is never reset: its child ends.
 *  - mappings the Program left (live mmapped chunks, counted by glibc in mp_.n_mmaps; the tcache
 *    struct is one under M_MMAP_THRESHOLD 0) are unmapped, reading /proc/self/maps only then.
 *    A heap that glibc continued with mmap (the break could not grow: the arena is marked
 *    non-contiguous) is not reset at all.
 *  - the thread's tcache pointer (TLS, not libc's data) goes back to NULL.
 *  - after a survived abort, the page glibc's abort path mapped for its message is unmapped. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "oracle/glibc/runner_internal.h"

/* ---- the pristine copy of libc's data, taken once in the server -------------------------- */

#define MAX_MAPS 1024
struct Range {
  uint64_t start, end;
};
static char maps_text[1 << 17];
static struct Range baseline[MAX_MAPS];
static int baseline_count;
/* libc's writable data: its rw mapping and the anonymous .bss tail after it. */
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
  int rw = perms[0] == 'r' && perms[1] == 'w';
  if (rw && is_libc_path(path) && libc_data_count == 0) {
    libc_data[libc_data_count].start = start;
    libc_data[libc_data_count].end = end;
    ++libc_data_count;
    last_libc_rw_end = end;
  } else if (libc_data_count == 1 && start == last_libc_rw_end && path[0] == 0 && rw) {
    libc_data[libc_data_count].start = start;
    libc_data[libc_data_count].end = end;
    ++libc_data_count;
    last_libc_rw_end = 0;
  } else {
    last_libc_rw_end = 0;
  }
}

int runner_save_pristine(void) {
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

/* ---- what the Program can have written in the heap ---------------------------------------- */

/* Below this (and above the heap base) the Program may have left non-zero bytes. */
static uint64_t dirty_end;

void runner_dirty_begin(void) { dirty_end = heap_base; }

static uint64_t saturating_add(uint64_t a, uint64_t b) { return a + b < a ? ~(uint64_t)0 : a + b; }

static void raise_dirty_end(uint64_t end) {
  if (end > dirty_end) dirty_end = end;
}

/* glibc's request2size, saturating. */
static uint64_t request2size(uint64_t n) {
  return n + 8 + 15 < 0x20 ? 0x20 : saturating_add(n, 8 + 15) & ~(uint64_t)15;
}

static uint64_t power_of_two_at_least(uint64_t n) {
  uint64_t p = 0x20; /* _mid_memalign: at least MINSIZE */
  while (p < n && p < ((uint64_t)1 << 62)) p <<= 1;
  return p;
}

/* What memalign-family ops and realloc can carve from top before giving part of it back: the
 * tcache struct (0x290), then the request (+ alignment + MINSIZE for memalign). */
static uint64_t carve_bound(const struct RunnerOp* op) {
  const uint64_t tcache_and_header = 0x290 + 0x10;
  switch (op->kind) {
    case RUNNER_REALLOC: return saturating_add(request2size(op->a), tcache_and_header);
    case RUNNER_MEMALIGN:
    case RUNNER_ALIGNED_ALLOC:
    case RUNNER_POSIX_MEMALIGN:
      return saturating_add(saturating_add(request2size(op->b), power_of_two_at_least(op->a)),
                            0x20 + 0x10 + tcache_and_header);
    case RUNNER_VALLOC:
    case RUNNER_PVALLOC:
      return saturating_add(request2size(saturating_add(op->a, 0xfff)), 0x1000 + 0x30 + tcache_and_header);
    default: return 0;
  }
}

void runner_dirty_after(const struct RunnerOp* op, const struct RunnerRecord* r, uint64_t top_before) {
  raise_dirty_end(runner_top(r->heap_end) + 0x10);
  /* Only a chunk carved from the heap can have moved top up and back down. */
  if (r->pointer != 0 && !(r->chunk_size & 2)) {
    uint64_t carve = carve_bound(op);
    if (carve != 0) raise_dirty_end(saturating_add(top_before, carve));
  }
}

/* ---- the reset ----------------------------------------------------------------------------- */

/* Unmaps what a Program mmapped and did not free: anonymous memory not in the baseline, other
 * than the child's own slot array. */
static void unmap_new(uint64_t start, uint64_t end, const char* perms, const char* path) {
  (void)perms;
  if (path[0] != 0) return;
  uint64_t slots_start, slots_end;
  runner_slots_mapping(&slots_start, &slots_end);
  uint64_t at = start;
  while (at < end) {
    uint64_t next_covered = end, covered_end = end;
    for (int i = 0; i <= baseline_count; ++i) {
      struct Range b = {slots_start, slots_end};
      if (i < baseline_count) b = baseline[i];
      if (b.end <= at || b.start >= end || b.start == b.end) continue;
      if (b.start <= at) {
        next_covered = at;
        covered_end = b.end;
        break;
      }
      if (b.start < next_covered) {
        next_covered = b.start;
        covered_end = b.end;
      }
    }
    if (next_covered > at) munmap((void*)(uintptr_t)at, (size_t)(next_covered - at));
    at = covered_end;
  }
}

#define NONCONTIGUOUS_BIT 2u

/* glibc's abort path keeps its message in a page of its own (__abort_msg, struct abort_msg_s:
 * the mapping's size first); 0 when there is none. */
static void unmap_abort_message(void) {
  uint64_t page;
  memcpy(&page, (const void*)(uintptr_t)request.abort_msg, sizeof page);
  if (page == 0) return;
  uint32_t size;
  memcpy(&size, (const void*)(uintptr_t)page, sizeof size);
  munmap((void*)(uintptr_t)page, size);
}

int runner_reset(int after_death) {
  int32_t arena_flags, n_mmaps;
  memcpy(&arena_flags, (const void*)(uintptr_t)(request.arena + request.layout.flags), 4);
  memcpy(&n_mmaps, (const void*)(uintptr_t)(request.mp + request.layout.mp_n_mmaps), 4);
  if (arena_flags & NONCONTIGUOUS_BIT) return 0;
  int scan_maps = n_mmaps != 0;
  if (after_death) {
    if (request.abort_msg != 0) unmap_abort_message();
    else scan_maps = 1;
  }
  uint64_t brk_now = (uint64_t)(uintptr_t)sbrk(0); /* glibc's __curbrk: no syscall */
  uint64_t end = dirty_end < brk_now ? dirty_end : brk_now;
  if (end > heap_base) memset((void*)(uintptr_t)heap_base, 0, (size_t)(end - heap_base));
  size_t at = 0;
  for (int i = 0; i < libc_data_count; ++i) {
    size_t n = (size_t)(libc_data[i].end - libc_data[i].start);
    memcpy((void*)(uintptr_t)libc_data[i].start, libc_saved + at, n);
    at += n;
  }
  char* tls_errno = (char*)__errno_location();
  memset(tls_errno - request.errno_tls + request.tcache_tls, 0, sizeof(void*));
  if (scan_maps) {
    if (read_maps() < 0) return 0;
    each_map(unmap_new);
  }
  return 1;
}
