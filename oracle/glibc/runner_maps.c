/* The runner's picture of its own address space, taken once in the server before any child:
 * the mappings that exist before any Program (the baseline), libc's writable data and a copy of
 * it as it is before the first malloc, and the writable memory a reset does not rewrite (the
 * guard regions: ld.so's data, the TLS block, ...). Kept in a mapping of its own that is made
 * read-only, so a Program that writes memory cannot change what every later reset relies on (a
 * write there faults, in a fresh child as in a reused one). No stdio, no malloc. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "oracle/glibc/runner_internal.h"

#define MAX_MAPS 512
#define MAX_GUARD 32

struct Pristine {
  struct Range baseline[MAX_MAPS];
  int baseline_count;
  struct Range libc_data[2]; /* libc's rw mapping and the anonymous .bss tail after it */
  int libc_data_count;
  struct Range guard[MAX_GUARD];
  int guard_count;
  uint64_t libc_bytes, guard_bytes;
  uint64_t heap_base;
  struct RunnerShared* shared;
  /* then libc_bytes of libc's data as it was before the first malloc */
};

static struct Pristine* pristine;
static unsigned char* guard_copy; /* guard_bytes, writable: the child's copy before a write8 */
static uint64_t pristine_bytes, guard_copy_bytes;
static char maps_text[1 << 17];

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

/* Reads /proc/self/maps into maps_text; its length, or -1. */
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

typedef void (*MapFn)(void* ctx, uint64_t start, uint64_t end, const char* perms, const char* path);

/* Calls fn for each mapping of maps_text. */
static void each_map(MapFn fn, void* ctx) {
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
    char path[512];
    size_t n = (size_t)(eol - q) < sizeof path - 1 ? (size_t)(eol - q) : sizeof path - 1;
    memcpy(path, q, n);
    path[n] = 0;
    fn(ctx, start, end, perms, path);
  }
}

static int is_libc_path(const char* path) {
  const char* base = strrchr(path, '/');
  base = base ? base + 1 : path;
  return strncmp(base, "libc.so", 7) == 0 || strncmp(base, "libc-2.", 7) == 0;
}

static int contains(uint64_t start, uint64_t end, const void* p) {
  uint64_t a = (uint64_t)(uintptr_t)p;
  return a >= start && a < end;
}

/* ---- the picture, in the server ------------------------------------------------------------ */

struct Scan {
  struct Pristine* p;
  uint64_t last_libc_rw_end;
  char runner_path[512]; /* the runner's own file: its writable pages hold runner variables */
};

static void note_map(void* ctx, uint64_t start, uint64_t end, const char* perms, const char* path) {
  struct Scan* s = ctx;
  struct Pristine* p = s->p;
  if (p->baseline_count < MAX_MAPS) {
    p->baseline[p->baseline_count].start = start;
    p->baseline[p->baseline_count].end = end;
    ++p->baseline_count;
  }
  if (contains(start, end, (const void*)(uintptr_t)&runner_memory_setup)) {
    strncpy(s->runner_path, path, sizeof s->runner_path - 1);
  }
  int rw = perms[0] == 'r' && perms[1] == 'w';
  int libc_tail = p->libc_data_count == 1 && start == s->last_libc_rw_end && path[0] == 0;
  s->last_libc_rw_end = 0;
  if (rw && is_libc_path(path) && p->libc_data_count == 0) {
    p->libc_data[p->libc_data_count].start = start;
    p->libc_data[p->libc_data_count].end = end;
    ++p->libc_data_count;
    s->last_libc_rw_end = end;
    return;
  }
  if (rw && libc_tail) {
    p->libc_data[p->libc_data_count].start = start;
    p->libc_data[p->libc_data_count].end = end;
    ++p->libc_data_count;
    return;
  }
  /* Guard regions: private writable memory no reset rewrites, other than the heap, the stack
   * (dead frames), the runner's own variables (checked one by one: runner_guard.c) and the
   * shared memory (the protocol; a fresh child shares it too). */
  if (!rw || perms[3] != 'p' || strcmp(path, "[heap]") == 0 || strcmp(path, "[stack]") == 0 ||
      contains(start, end, &heap_base) || contains(start, end, &request) ||
      (path[0] != 0 && strcmp(path, s->runner_path) == 0) || contains(start, end, maps_text) ||
      p->guard_count == MAX_GUARD) {
    return;
  }
  p->guard[p->guard_count].start = start;
  p->guard[p->guard_count].end = end;
  ++p->guard_count;
  p->guard_bytes += end - start;
}

/* glibc's cached break (__curbrk) is a word of libc's data holding sbrk(0): the one that follows
 * the break when it moves. Found so rather than by symbol, which a runner of another glibc
 * would have to be told. */
void* runner_find_curbrk(void) {
  static struct Pristine scan;
  static struct Scan s;
  memset(&scan, 0, sizeof scan);
  memset(&s, 0, sizeof s);
  s.p = &scan;
  if (read_maps() < 0) return NULL;
  each_map(note_map, &s);
  const uint64_t before = (uint64_t)(uintptr_t)sbrk(0);
  uint64_t* found[8];
  int n = 0;
  for (int i = 0; i < scan.libc_data_count; ++i) {
    for (uint64_t at = scan.libc_data[i].start; at + 8 <= scan.libc_data[i].end && n < 8; at += 8) {
      if (*(uint64_t*)(uintptr_t)at == before) found[n++] = (uint64_t*)(uintptr_t)at;
    }
  }
  if (sbrk(4096) == (void*)-1) return NULL;
  uint64_t* curbrk = NULL;
  int moved = 0;
  for (int i = 0; i < n; ++i) {
    if (*found[i] == before + 4096) {
      curbrk = found[i];
      ++moved;
    }
  }
  if (sbrk(-4096) == (void*)-1) return NULL;
  return moved == 1 && *curbrk == before ? curbrk : NULL;
}

int runner_memory_setup(void) {
  static struct Pristine scan; /* the picture is taken before the mapping that keeps it exists */
  if (read_maps() < 0) return 0;
  static struct Scan s;
  s.p = &scan;
  each_map(note_map, &s);
  if (scan.libc_data_count == 0) return 0;
  for (int i = 0; i < scan.libc_data_count; ++i)
    scan.libc_bytes += scan.libc_data[i].end - scan.libc_data[i].start;
  scan.heap_base = heap_base;
  scan.shared = shared;
  pristine_bytes = (sizeof scan + scan.libc_bytes + 4095) & ~(uint64_t)4095;
  guard_copy_bytes = (scan.guard_bytes + 4095) & ~(uint64_t)4095;
  void* map = mmap(NULL, pristine_bytes + guard_copy_bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED) return 0;
  pristine = map;
  memcpy(pristine, &scan, sizeof scan);
  unsigned char* at = (unsigned char*)(pristine + 1);
  for (int i = 0; i < scan.libc_data_count; ++i) {
    uint64_t n = scan.libc_data[i].end - scan.libc_data[i].start;
    memcpy(at, (const void*)(uintptr_t)scan.libc_data[i].start, n);
    at += n;
  }
  guard_copy = (unsigned char*)map + pristine_bytes;
  return mprotect(pristine, pristine_bytes, PROT_READ) == 0;
}

/* ---- in the child -------------------------------------------------------------------------- */

void runner_restore_libc_data(void) {
  const unsigned char* at = (const unsigned char*)(pristine + 1);
  for (int i = 0; i < pristine->libc_data_count; ++i) {
    uint64_t n = pristine->libc_data[i].end - pristine->libc_data[i].start;
    memcpy((void*)(uintptr_t)pristine->libc_data[i].start, at, n);
    at += n;
  }
}

/* Mappings the child itself made or keeps apart from the baseline. */
static int own_mapping(uint64_t start, uint64_t end, struct Range* out) {
  uint64_t s, e;
  runner_slots_mapping(&s, &e);
  struct Range own[2] = {{s, e},
                         {(uint64_t)(uintptr_t)pristine,
                          (uint64_t)(uintptr_t)pristine + pristine_bytes + guard_copy_bytes}};
  for (int i = 0; i < 2; ++i) {
    if (own[i].start != own[i].end && own[i].start < end && own[i].end > start) {
      *out = own[i];
      return 1;
    }
  }
  return 0;
}

struct Tidy {
  int intact;
  int seen[MAX_MAPS];
};

/* Unmaps what a Program mmapped and did not free: anonymous memory in neither the baseline nor
 * the child's own mappings. With `t`, also notes which baseline mappings are still there as
 * they were. */
static void tidy_map(void* ctx, uint64_t start, uint64_t end, const char* perms, const char* path) {
  (void)perms;
  struct Tidy* t = ctx;
  for (int i = 0; t != NULL && i < pristine->baseline_count; ++i) {
    const struct Range b = pristine->baseline[i];
    /* The heap and the stack move their ends; the rest must be where they were. */
    int same = b.start == start && (b.end == end || strcmp(path, "[heap]") == 0);
    if (same || (strcmp(path, "[stack]") == 0 && b.end == end)) t->seen[i] = 1;
  }
  if (path[0] != 0) return;
  uint64_t at = start;
  while (at < end) {
    uint64_t next_covered = end, covered_end = end;
    for (int i = 0; i <= pristine->baseline_count; ++i) {
      struct Range b;
      if (i < pristine->baseline_count) {
        b = pristine->baseline[i];
      } else if (!own_mapping(at, end, &b)) {
        continue;
      }
      if (b.end <= at || b.start >= end) continue;
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

int runner_unmap_new(void) {
  if (read_maps() < 0) return 0;
  each_map(tidy_map, NULL);
  return 1;
}

int runner_maps_intact(void) {
  static struct Tidy t;
  memset(&t, 0, sizeof t);
  if (read_maps() < 0) return 0;
  each_map(tidy_map, &t);
  for (int i = 0; i < pristine->baseline_count; ++i) {
    if (!t.seen[i]) return 0;
  }
  return 1;
}

const struct Range* runner_guard_regions(int* count, unsigned char** copy) {
  *count = pristine->guard_count;
  *copy = guard_copy;
  return pristine->guard;
}

int runner_core_intact(void) {
  return pristine != NULL && heap_base == pristine->heap_base && shared == pristine->shared;
}
