/* Before 2.26, malloc_printerr prints "*** Error in ..." and then takes a backtrace
 * (__libc_message -> backtrace_and_maps -> __backtrace). The first backtrace of a process runs
 * __backtrace's one-time init, which dlopens libgcc_s.so.1: ld.so mallocs in the heap glibc has
 * just found corrupted. Measured with real 2.23 (release/2.23/master b039fd85, malloc hooks
 * logging every call): that first backtrace makes malloc(36), malloc(1182), malloc(36),
 * malloc(56), malloc(114), frees them all, then malloc(114) and free again for dlerror's
 * string (this machine's libgcc_s.so.1 needs GLIBC_2.34, so the dlopen fails and __backtrace
 * returns no frames); a second backtrace allocates nothing. On a corrupted heap those calls
 * fault or abort a second time, after the message, where the twin (which models malloc, not
 * the backtrace) has the abort.
 *
 * So the server runs that init once, before anything is pictured or saved, with glibc's malloc
 * hooks (which 2.23 still has) sending every allocation to a static buffer of the runner's own:
 * the heap stays untouched (ptmalloc_init never runs: the hooks are put back to malloc_hook_ini
 * and friends afterwards), and every child inherits a libc whose backtrace is set up, as in a
 * process that took a backtrace before. The persistent reset restores libc's data from a copy
 * taken after this, so it stays set up. */
#define _GNU_SOURCE
#include <gnu/libc-version.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "oracle/glibc/runner_internal.h"

/* Only a runner linked against a libc that still exports the hooks (the old-ABI runner, built
 * against 2.31's sysroot for every libc before 2.34) can meet a libc before 2.26. They are
 * declared weak: a plain reference to a data symbol makes the linker copy it into the runner
 * (a copy relocation), where libc's own code then reads it too, outside the libc data the
 * persistent reset puts back, and 2.31's malloc_hook_ini, cleared by a Program's first malloc,
 * would stay cleared for the next (its ptmalloc_init never ran again). Weak, they are reached
 * through the GOT in libc's own data. */
#if defined(__GLIBC__) && __GLIBC__ == 2 && __GLIBC_MINOR__ < 34
#define RUNNER_HAS_MALLOC_HOOKS 1
#include <execinfo.h>
extern void* (*volatile __malloc_hook)(size_t, const void*)__attribute__((weak));
extern void (*volatile __free_hook)(void*, const void*) __attribute__((weak));
extern void* (*volatile __realloc_hook)(void*, size_t, const void*)__attribute__((weak));
extern void* (*volatile __memalign_hook)(size_t, size_t, const void*)__attribute__((weak));
#endif

/* Whether the running libc's malloc_printerr takes a backtrace: before 2.26. */
static int printerr_takes_backtrace(void) {
  const char* v = gnu_get_libc_version(); /* "2.23": a static string, no allocation */
  if (v[0] != '2' || v[1] != '.') return 0;
  int minor = 0;
  for (const char* c = v + 2; *c >= '0' && *c <= '9'; ++c) minor = minor * 10 + (*c - '0');
  return minor < 26;
}

#ifdef RUNNER_HAS_MALLOC_HOOKS

/* The allocations of the one backtrace init; never freed (free is a no-op), far more than the
 * ~1.6 KiB measured. Each block keeps its size in the word before it, for realloc. */
static unsigned char bump_space[256 << 10] __attribute__((aligned(16)));
static size_t bump_used;

static void* bump_alloc(size_t alignment, size_t n) {
  if (alignment < 16) alignment = 16;
  size_t at = (bump_used + 16 + alignment - 1) & ~(alignment - 1);
  if (n > sizeof bump_space || at > sizeof bump_space - n) return NULL;
  memcpy(bump_space + at - 8, &n, sizeof n);
  bump_used = at + n;
  return bump_space + at;
}

static void* hook_malloc(size_t n, const void* caller) { return bump_alloc(16, n); }
static void hook_free(void* p, const void* caller) {}
static void* hook_memalign(size_t alignment, size_t n, const void* caller) {
  return bump_alloc(alignment, n);
}
static void* hook_realloc(void* p, size_t n, const void* caller) {
  void* q = bump_alloc(16, n);
  if (q != NULL && p != NULL) {
    size_t old;
    memcpy(&old, (unsigned char*)p - 8, sizeof old);
    memcpy(q, p, old < n ? old : n);
  }
  return q;
}

void runner_warm_backtrace(void) {
  if (!printerr_takes_backtrace() || &__malloc_hook == NULL || &__free_hook == NULL ||
      &__realloc_hook == NULL || &__memalign_hook == NULL) {
    return;
  }
  void* (*const saved_malloc)(size_t, const void*) = __malloc_hook;
  void (*const saved_free)(void*, const void*) = __free_hook;
  void* (*const saved_realloc)(void*, size_t, const void*) = __realloc_hook;
  void* (*const saved_memalign)(size_t, size_t, const void*) = __memalign_hook;
  __malloc_hook = hook_malloc; /* calloc goes through it too (2.23 __libc_calloc) */
  __free_hook = hook_free;
  __realloc_hook = hook_realloc;
  __memalign_hook = hook_memalign;
  void* frames[4];
  backtrace(frames, 4);
  __malloc_hook = saved_malloc;
  __free_hook = saved_free;
  __realloc_hook = saved_realloc;
  __memalign_hook = saved_memalign;
}

#else

void runner_warm_backtrace(void) { (void)printerr_takes_backtrace; }

#endif
