/* A deterministic single-threaded program that logs every malloc-family result, one line per
 * call ("malloc 0x18 -> 0x5555555592a0"), with write(2) only (stdio would allocate its own
 * buffers, which are logged allocations too but not ones this program names). Run under
 * setarch -R once on real glibc and once with the drop-in library: the logs must be identical.
 *
 *   pointer_log SCENARIO     basic | calloc | realloc | memalign | mallopt | mmap | info |
 *                            stress | double_free | threads | maps | corrupt
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void logf_(const char* fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > (int)sizeof buf - 2) n = (int)sizeof buf - 2;
  buf[n++] = '\n';
  if (write(1, buf, (size_t)n) != n) _exit(3);
}

static void* M(size_t n) {
  void* p = malloc(n);
  logf_("malloc %#zx -> %p", n, p);
  return p;
}
static void F(void* p) {
  free(p);
  logf_("free %p", p);
}
static void* C(size_t n, size_t e) {
  void* p = calloc(n, e);
  logf_("calloc %#zx %#zx -> %p", n, e, p);
  return p;
}
static void* R(void* o, size_t n) {
  void* p = realloc(o, n);
  logf_("realloc %p %#zx -> %p", o, n, p);
  return p;
}

static void basic(void) {
  void *p[64], *q[24];
  size_t sizes[] = {0x18, 0x28, 0x38, 0x48, 0x68, 0x88, 0x108, 0x208, 0x418, 0x818, 0x1018, 0x4018};
  for (int i = 0; i < 48; ++i) p[i] = M(sizes[i % 12] + (size_t)(i / 12) * 8);
  for (int i = 0; i < 48; i += 2) F(p[i]); /* tcache fills, then fastbins and unsorted */
  for (int i = 0; i < 24; ++i) q[i] = M(sizes[(i * 5) % 12]);
  for (int i = 1; i < 48; i += 2) F(p[i]); /* coalescing neighbours */
  void* big = M(0x5000);                   /* malloc_consolidate, unsorted sort */
  for (int i = 0; i < 24; ++i) F(q[i]);
  F(big);
  for (int i = 0; i < 16; ++i) p[i] = M(0x30000 + (size_t)i * 0x1000); /* grows top (sbrk) */
  for (int i = 0; i < 16; ++i) F(p[i]); /* trims top back (systrim) */
  void* z = M(0);
  F(z);
  errno = 0;
  void* huge = malloc(SIZE_MAX - 64);
  logf_("malloc huge -> %p errno %d", huge, errno);
}

static void callocs(void) {
  void *a = C(4, 0x20), *b = C(1, 0x500), *c = C(0x100, 0x10);
  unsigned char* x = M(0x78);
  memset(x, 0xab, 0x78);
  F(x);
  unsigned char* y = C(1, 0x78); /* from the tcache: cleared */
  int dirty = 0;
  for (int i = 0; i < 0x78; ++i) dirty |= y[i];
  logf_("calloc cleared %d", !dirty);
  F(a);
  F(b);
  F(c);
  F(y);
  void* big = C(1, 0x30000); /* mmapped: not cleared again */
  F(big);
  errno = 0;
  void* ovf = calloc(SIZE_MAX / 2, 4);
  logf_("calloc overflow -> %p errno %d", ovf, errno);
}

static void reallocs(void) {
  char* a = R(NULL, 0x20);
  strcpy(a, "kept");
  a = R(a, 0x40); /* grows into top in place */
  void* fence = M(0x20);
  a = R(a, 0x400); /* moves */
  logf_("contents %s", a);
  a = R(a, 0x30); /* shrinks in place, splits */
  void* b = M(0x100);
  F(fence);
  a = R(a, 0x60);    /* takes the free neighbour */
  void* z = R(b, 0); /* frees, returns NULL */
  (void)z;
  void* m = R(NULL, 0x40000); /* mmapped */
  m = R(m, 0x80000);          /* mremap */
  m = R(m, 0x100);            /* shrink of an mmapped chunk: stays */
  F(m);
  F(a);
}

static void memaligns(void) {
  void* a = memalign(0x40, 0x100);
  logf_("memalign 0x40 0x100 -> %p", a);
  void* b = memalign(0x1000, 0x30);
  logf_("memalign 0x1000 0x30 -> %p", b);
  void* c = aligned_alloc(0x100, 0x200);
  logf_("aligned_alloc 0x100 0x200 -> %p", c);
  void* d = NULL;
  int rc = posix_memalign(&d, 0x80, 0x90);
  logf_("posix_memalign 0x80 0x90 -> %p rc %d", d, rc);
  void* e = (void*)1;
  rc = posix_memalign(&e, 24, 0x90);
  logf_("posix_memalign 24 0x90 rc %d, pointer left at %p", rc, e);
  void* e2 = NULL;
  errno = 0;
  rc = posix_memalign(&e2, 0x40, SIZE_MAX / 2);
  logf_("posix_memalign 0x40 huge rc %d errno %d", rc, errno);
  void* f = valloc(0x20);
  logf_("valloc 0x20 -> %p", f);
  void* g = pvalloc(0x1001);
  logf_("pvalloc 0x1001 -> %p", g);
  errno = 0;
  void* h = memalign(0x30, 0x20);
  logf_("memalign 0x30 0x20 -> %p errno %d", h, errno);
  void* i = memalign(0x10000, 0x40000);
  logf_("memalign 0x10000 0x40000 -> %p", i);
  F(b);
  F(d);
  F(f);
  void* j = memalign(0x200, 0x80);
  logf_("memalign 0x200 0x80 -> %p", j);
  F(a);
  F(c);
  F(g);
  F(h);
  F(i);
  F(j);
  logf_("usable %zu %zu", malloc_usable_size(M(0x18)), malloc_usable_size(NULL));
}

static void mallopts(void) {
  logf_("mallopt M_MXFAST 0 -> %d", mallopt(M_MXFAST, 0));
  void* p[10];
  for (int i = 0; i < 10; ++i) p[i] = M(0x28);
  for (int i = 0; i < 10; ++i) F(p[i]); /* beyond the tcache: no fastbins now */
  logf_("mallopt M_TOP_PAD -> %d", mallopt(M_TOP_PAD, 0x1000));
  logf_("mallopt M_MMAP_THRESHOLD -> %d", mallopt(M_MMAP_THRESHOLD, 0x8000));
  void* m = M(0x9000); /* now mmapped */
  void* h = M(0x7000);
  logf_("mallopt M_TRIM_THRESHOLD -> %d", mallopt(M_TRIM_THRESHOLD, 0x2000));
  F(h);
  F(m);
  void* q[20];
  for (int i = 0; i < 20; ++i) q[i] = M(0x700);
  for (int i = 0; i < 19; ++i) F(q[i]);
  logf_("malloc_trim 0 -> %d", malloc_trim(0));
  logf_("mallopt M_PERTURB -> %d", mallopt(M_PERTURB, 0x5a));
  unsigned char* t = M(0x40);
  logf_("perturbed byte %#x", t[8]);
  logf_("mallopt bad -> %d", mallopt(12345, 1));
  F(t);
  F(q[19]);
}

static void mmaps(void) {
  void *a = M(0x100000), *b = M(0x200000), *c = M(0x30000);
  F(b);                  /* raises the mmap threshold to 0x201000 */
  void* d = M(0x100000); /* now from the heap */
  void* e = M(0x300000);
  F(a);
  F(c);
  F(d);
  F(e);
  void* f = M(0x1000000);
  F(f);
}

static void info(void) {
  void *a = M(0x100), *b = M(0x30), *c = M(0x400);
  F(b);
  F(a);
  for (int i = 0; i < 8; ++i) F(M(0x20));  /* a fastbin chunk */
#if __GLIBC__ == 2 && __GLIBC_MINOR__ < 33 /* built against 2.31's headers: no mallinfo2 */
  struct mallinfo m = mallinfo();
#else
  struct mallinfo2 m = mallinfo2();
#endif
  logf_(
      "mallinfo2 arena %zu ordblks %zu smblks %zu hblks %zu hblkhd %zu fsmblks %zu "
      "uordblks %zu fordblks %zu keepcost %zu",
      (size_t)m.arena, (size_t)m.ordblks, (size_t)m.smblks, (size_t)m.hblks, (size_t)m.hblkhd,
      (size_t)m.fsmblks, (size_t)m.uordblks, (size_t)m.fordblks, (size_t)m.keepcost);
  void* big = M(0x40000); /* one mmapped chunk in the totals */
  malloc_stats();         /* glibc's lines on stderr */
  F(big);
  F(c);
}

/* 20,000 ops of a fixed LCG: sizes over every bin class, frees in scrambled order. */
static void stress(void) {
  enum { kSlots = 512 };
  static void* slot[kSlots];
  uint64_t x = 0x2545F4914F6CDD1Dull;
  for (int op = 0; op < 20000; ++op) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    unsigned s = (unsigned)(x >> 33) % kSlots;
    unsigned kind = (unsigned)(x >> 20) % 16;
    size_t size = kind < 8    ? (x >> 40) % 0x80
                  : kind < 12 ? (x >> 40) % 0x600
                  : kind < 15 ? (x >> 40) % 0x8000
                              : (x >> 40) % 0x40000;
    if (slot[s]) {
      if (kind == 3)
        slot[s] = R(slot[s], size);
      else {
        F(slot[s]);
        slot[s] = NULL;
      }
    } else {
      slot[s] = kind == 5 ? C(1, size) : M(size);
    }
  }
  for (int i = 0; i < kSlots; ++i)
    if (slot[i]) F(slot[i]);
}

static void double_free(void) {
  void* a = M(0x20);
  F(a);
  free(a); /* free(): double free detected in tcache 2 */
  logf_("not reached");
}

/* A heap corruption glibc does not notice at once: a free unsorted chunk's size is changed,
 * then a call that leaves the bins alone. heaptwin exec --check stops right after that call. */
static void corrupt(void) {
  size_t* a = M(0x500);
  void* b = M(0x20);
  F(a);
  a[-1] = 0x4f1;
  logf_("mallopt M_PERTURB 0 -> %d", mallopt(M_PERTURB, 0));
  logf_("not stopped");
  F(b);
}

static void* worker(void* arg) {
  uintptr_t seed = (uintptr_t)arg;
  void* live[64] = {0};
  for (int i = 0; i < 200000; ++i) {
    seed = seed * 6364136223846793005ull + 1;
    int k = (int)((seed >> 33) % 64);
    if (live[k]) {
      free(live[k]);
      live[k] = NULL;
    } else {
      live[k] = malloc((seed >> 40) % 3000);
      memset(live[k], k, 8);
    }
  }
  for (int k = 0; k < 64; ++k) free(live[k]);
  return NULL;
}

static void threads(void) {
  pthread_t t[4];
  for (uintptr_t i = 0; i < 4; ++i) pthread_create(&t[i], NULL, worker, (void*)(i + 1));
  for (int i = 0; i < 4; ++i) pthread_join(t[i], NULL);
  logf_("threads done");
}

/* The address space (for debugging a divergence: which mapping moved). */
static void maps(void) {
  char buf[65536];
  int fd = open("/proc/self/maps", O_RDONLY);
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) {
    if (write(1, buf, (size_t)n) != n) _exit(3);
  }
  close(fd);
}

int main(int argc, char** argv) {
  const char* s = argc > 1 ? argv[1] : "basic";
  if (!strcmp(s, "basic"))
    basic();
  else if (!strcmp(s, "calloc"))
    callocs();
  else if (!strcmp(s, "realloc"))
    reallocs();
  else if (!strcmp(s, "memalign"))
    memaligns();
  else if (!strcmp(s, "mallopt"))
    mallopts();
  else if (!strcmp(s, "mmap"))
    mmaps();
  else if (!strcmp(s, "info"))
    info();
  else if (!strcmp(s, "stress"))
    stress();
  else if (!strcmp(s, "double_free"))
    double_free();
  else if (!strcmp(s, "threads"))
    threads();
  else if (!strcmp(s, "maps"))
    maps();
  else if (!strcmp(s, "corrupt"))
    corrupt();
  else {
    logf_("unknown scenario %s", s);
    return 2;
  }
  return 0;
}
