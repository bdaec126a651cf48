/* A logging shim around real glibc's malloc, for comparing real programs (measure.sh): it
 * exports the malloc family, forwards each call to glibc's own implementation (__libc_malloc and
 * friends, so glibc's code runs unchanged) and writes one line per call to the descriptor named
 * by HEAPTWIN_TRACE_FD, in the address-comment form of heaptwin exec --trace ("# 0x...").
 * Build it like the drop-in library, at the same fixed address, so it moves no mapping:
 *   gcc -O2 -shared -fPIC -Wl,-Ttext-segment=0x7e0000000000 -o shim.so glibc_log_shim.c
 * It is an LD_PRELOAD too: ld.so spends the same kind of start-up memory on it as on the
 * drop-in library (see preload_exact_test, MoreLibraries...). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void* __libc_malloc(size_t);
extern void __libc_free(void*);
extern void* __libc_calloc(size_t, size_t);
extern void* __libc_realloc(void*, size_t);
extern void* __libc_memalign(size_t, size_t);
extern void* __libc_valloc(size_t);
extern void* __libc_pvalloc(size_t);
extern char** environ;

static int log_fd = -2;

static void hex(char** p, uint64_t v) {
  char tmp[20];
  int i = 0;
  do {
    tmp[i++] = "0123456789abcdef"[v & 15];
    v >>= 4;
  } while (v);
  *(*p)++ = '0';
  *(*p)++ = 'x';
  while (i) *(*p)++ = tmp[--i];
}

static void put(const char* verb, uint64_t a, uint64_t b, int nargs, void* result) {
  if (log_fd == -2) {
    log_fd = -1;
    for (char** e = environ; e && *e; ++e) {
      if (!strncmp(*e, "HEAPTWIN_TRACE_FD=", 18)) log_fd = atoi(*e + 18);
    }
  }
  if (log_fd < 0) return;
  char line[128], *p = line;
  size_t n = strlen(verb);
  memcpy(p, verb, n);
  p += n;
  *p++ = ' ';
  hex(&p, a);
  if (nargs > 1) {
    *p++ = ' ';
    hex(&p, b);
  }
  if (result) {
    memcpy(p, "   # ", 5);
    p += 5;
    hex(&p, (uintptr_t)result);
  } else if (nargs >= 0) {
    memcpy(p, "   # NULL", 9);
    p += 9;
  }
  *p++ = '\n';
  int saved = errno;
  ssize_t w = write(log_fd, line, (size_t)(p - line));
  (void)w;
  errno = saved;
}

void* malloc(size_t n) {
  void* r = __libc_malloc(n);
  put("malloc", n, 0, 1, r);
  return r;
}
void free(void* p) {
  if (p) {
    __libc_free(p);
    put("free", (uintptr_t)p, 0, -1, 0);
  }
}
void* calloc(size_t n, size_t e) {
  void* r = __libc_calloc(n, e);
  put("calloc", n, e, 2, r);
  return r;
}
void* realloc(void* o, size_t n) {
  void* r = __libc_realloc(o, n);
  put("realloc", (uintptr_t)o, n, 2, r);
  return r;
}
void* reallocarray(void* o, size_t n, size_t e) {
  size_t bytes;
  if (__builtin_mul_overflow(n, e, &bytes)) {
    errno = ENOMEM;
    return NULL;
  }
  return realloc(o, bytes);
}
void* memalign(size_t a, size_t n) {
  void* r = __libc_memalign(a, n);
  put("memalign", a, n, 2, r);
  return r;
}
void* aligned_alloc(size_t a, size_t n) {
  void* r = __libc_memalign(a, n);
  put("aligned_alloc", a, n, 2, r);
  return r;
}
void* valloc(size_t n) {
  void* r = __libc_valloc(n);
  put("valloc", n, 0, 1, r);
  return r;
}
void* pvalloc(size_t n) {
  void* r = __libc_pvalloc(n);
  put("pvalloc", n, 0, 1, r);
  return r;
}
int posix_memalign(void** out, size_t a, size_t n) {
  /* glibc: EINVAL unless a power-of-two multiple of sizeof (void *); then _mid_memalign, which
   * is what __libc_memalign runs. */
  if (a % sizeof(void*) != 0 || (a & (a - 1)) != 0 || a == 0) return EINVAL;
  int saved = errno;
  void* r = __libc_memalign(a, n);
  errno = saved;
  put("posix_memalign", a, n, 2, r);
  if (!r) return ENOMEM;
  *out = r;
  return 0;
}
