// The drop-in library: glibc's malloc family exported from a shared object that LD_PRELOAD puts in
// front of libc, served by the twin (allocator/) over the real program break and mmap. Exact to
// glibc 2.36: the library allocates nothing of its own, has no static constructors and does not
// load the C++ library. Threads: one spinlock serialises the calls once a process has had a second
// thread (before, none is taken, as glibc takes none: SINGLE_THREAD_P), and each runs on its
// thread's own tcache and arena in the twin (thread_numbers.h), as in glibc (2.35 .. 2.41's
// twins; under another release's all threads share main_arena and one tcache).
#include <errno.h>
#include <malloc.h>
#include <pthread.h>

#include "allocator/allocator.h"
#include "allocator/preload/library.h"
#include "allocator/preload/statistics.h"

// The twin's API takes and returns typed user addresses; here, at the C boundary, they are
// void* and the raw numbers Call and the trace record.
using heaptwin::alloc::Addr;
using heaptwin::alloc::UserAddr;
using heaptwin::preload::Call;
using heaptwin::preload::ensure_initialized;
using heaptwin::preload::fatal_handler;
using heaptwin::preload::g_trace;
using heaptwin::preload::g_twin;
using heaptwin::preload::set_errno;

#define HEAPTWIN_EXPORT extern "C" __attribute__((visibility("default")))

namespace heaptwin::preload {
namespace {

// malloc, valloc and pvalloc: one size, one block. Inlined into each exported function, whose
// frame --check's call stacks start from (Call), and `entry` with it.
__attribute__((always_inline)) inline void* allocate(
    const char* verb, size_t bytes, UserAddr (alloc::Allocator::*entry)(uint64_t)) {
  Call call(verb, bytes);
  g_twin->clear_errno();
  Addr r = (g_twin->*entry)(bytes).raw();
  int e = r == 0 ? g_twin->last_errno() : 0;
  g_trace.allocation(r, verb, bytes);
  call.allocated(r);
  call.done(verb, bytes);
  set_errno(e);
  return reinterpret_cast<void*>(r);
}

}  // namespace
}  // namespace heaptwin::preload

using heaptwin::preload::allocate;

namespace heaptwin::preload {
namespace {

// malloc's, free's and calloc's whole calls, out of line, so that their exported functions' hot
// paths save no registers. Each is its exported function's last act, a tail call (a jmp): the frame
// it runs in stands where the exported function's stood, and --check's call stacks start at the
// program's call as before (tests/preload's exec_test names the program's functions).
__attribute__((noinline)) void* whole_malloc(size_t bytes) {
  return allocate("malloc", bytes, &alloc::Allocator::malloc_past_hot_path);
}

// The rest of a plain free whose hot path left the chunk to be merged (Allocator::FreeHot).
__attribute__((noinline)) void plain_free_merge(void* mem) {
  int saved = errno;  // 2.33+: free preserves errno (systrim's sbrk may set it)
  g_twin->free_merge(UserAddr{reinterpret_cast<Addr>(mem)});
  errno = saved;
}

// A plain calloc: the twin's, and errno.
__attribute__((noinline)) void* plain_calloc(size_t n, size_t elem) {
  g_twin->clear_errno();
  const Addr r = g_twin->calloc(n, elem).raw();
  if (r == 0) set_errno(g_twin->last_errno());
  return reinterpret_cast<void*>(r);
}

// calloc's whole call, out of line and tail-called as whole_malloc is.
__attribute__((noinline)) void* whole_calloc(size_t n, size_t elem) {
  Call call("calloc", n * elem);
  g_twin->clear_errno();
  Addr r = g_twin->calloc(n, elem).raw();
  int e = r == 0 ? g_twin->last_errno() : 0;
  g_trace.allocation(r, "calloc", n, elem, 2);
  call.allocated(r);
  call.done("calloc", n * elem);
  set_errno(e);
  return reinterpret_cast<void*>(r);
}

// The rest of a plain malloc whose hot path got past the tcache.
__attribute__((noinline)) void* plain_malloc_past_tcache(size_t bytes) {
  g_twin->clear_errno();
  const Addr r = g_twin->malloc_past_tcache(bytes).raw();
  if (r == 0) set_errno(g_twin->last_errno());
  return reinterpret_cast<void*>(r);
}

__attribute__((noinline)) void whole_free(void* mem) {
  int saved = errno;  // 2.33+: free preserves errno
  Call call("free", reinterpret_cast<Addr>(mem));
  g_twin->free_past_hot_path(UserAddr{reinterpret_cast<Addr>(mem)});
  g_trace.free(reinterpret_cast<Addr>(mem));
  call.freed(reinterpret_cast<Addr>(mem));
  call.done("free", reinterpret_cast<Addr>(mem));
  errno = saved;
}

}  // namespace
}  // namespace heaptwin::preload

// malloc and free first try the tcache's hot paths (allocator/tcache_hot_paths.h) where the
// call is plain: most calls of a single-threaded program end there, with no errno to set or keep.
HEAPTWIN_EXPORT void* malloc(size_t bytes) {
  if (heaptwin::preload::plain_call()) {
    bool past_tcache = false;
    if (const UserAddr r = g_twin->malloc_hot_path</*kLogged=*/false>(bytes, &past_tcache)) {
      return reinterpret_cast<void*>(r.raw());
    }
    if (past_tcache) return heaptwin::preload::plain_malloc_past_tcache(bytes);
  }
  return heaptwin::preload::whole_malloc(bytes);
}

HEAPTWIN_EXPORT void free(void* mem) {
  if (mem == nullptr) return;  // __libc_free returns before anything else
  if (heaptwin::preload::plain_call()) {
    using FreeHot = heaptwin::alloc::Allocator::FreeHot;
    const FreeHot hot =
        g_twin->free_hot_path</*kLogged=*/false>(UserAddr{reinterpret_cast<Addr>(mem)});
    if (hot == FreeHot::kDone) return;
    if (hot == FreeHot::kMerge) return heaptwin::preload::plain_free_merge(mem);
  }
  heaptwin::preload::whole_free(mem);
}

HEAPTWIN_EXPORT void* calloc(size_t n, size_t elem) {
  if (heaptwin::preload::plain_call()) return heaptwin::preload::plain_calloc(n, elem);
  return heaptwin::preload::whole_calloc(n, elem);
}

HEAPTWIN_EXPORT void* realloc(void* old, size_t bytes) {
  Call call("realloc", reinterpret_cast<Addr>(old));
  g_twin->clear_errno();
  Addr r = g_twin->realloc(UserAddr{reinterpret_cast<Addr>(old)}, bytes).raw();
  int e = r == 0 ? g_twin->last_errno() : 0;
  g_trace.realloc(r, reinterpret_cast<Addr>(old), bytes);
  // realloc(p, 0) frees p; a moved block frees the old one.
  if (old != nullptr && r != reinterpret_cast<Addr>(old) && (r != 0 || bytes == 0)) {
    call.freed(reinterpret_cast<Addr>(old));
  }
  call.allocated(r);
  call.done("realloc", bytes);
  set_errno(e);
  return reinterpret_cast<void*>(r);
}

// __libc_reallocarray: the overflow check, then realloc.
HEAPTWIN_EXPORT void* reallocarray(void* old, size_t n, size_t elem) {
  size_t bytes;
  if (__builtin_mul_overflow(n, elem, &bytes)) {
    errno = ENOMEM;
    return nullptr;
  }
  return realloc(old, bytes);
}

namespace {
Addr aligned(const char* verb, size_t alignment, size_t bytes) {
  Call call(verb, bytes);
  g_twin->clear_errno();
  // aligned_alloc has checks of its own from 2.38 (C17); before, it is memalign.
  Addr r = (verb[0] == 'a' ? g_twin->aligned_alloc(alignment, bytes)
                           : g_twin->memalign(alignment, bytes))
               .raw();
  int e = r == 0 ? g_twin->last_errno() : 0;
  g_trace.allocation(r, verb, alignment, bytes, 2);
  call.allocated(r);
  call.done(verb, bytes);
  set_errno(e);
  return r;
}
}  // namespace

HEAPTWIN_EXPORT void* memalign(size_t alignment, size_t bytes) {
  return reinterpret_cast<void*>(aligned("memalign", alignment, bytes));
}

// Before 2.38 aligned_alloc is a weak alias of __libc_memalign (no extra checks).
HEAPTWIN_EXPORT void* aligned_alloc(size_t alignment, size_t bytes) {
  return reinterpret_cast<void*>(aligned("aligned_alloc", alignment, bytes));
}

HEAPTWIN_EXPORT int posix_memalign(void** memptr, size_t alignment, size_t bytes) {
  Call call("posix_memalign", bytes);
  UserAddr mem = 0;
  g_twin->clear_errno();
  int rc = g_twin->posix_memalign(&mem, alignment, bytes);
  const Addr r = mem.raw();
  if (rc == 0) *memptr = reinterpret_cast<void*>(r);
  if (rc == 0) call.allocated(r);
  // _mid_memalign's failures set errno too (glibc does not restore it).
  if (rc == ENOMEM) set_errno(g_twin->last_errno());
  if (g_trace.active()) {
    if (rc == EINVAL) g_trace.comment("posix_memalign refused an alignment (EINVAL)");
    g_trace.allocation(rc == 0 ? r : 0, "posix_memalign", alignment, bytes, 2);
  }
  call.done("posix_memalign", bytes);
  return rc;
}

HEAPTWIN_EXPORT void* valloc(size_t bytes) {
  return allocate("valloc", bytes, &heaptwin::alloc::Allocator::valloc);
}

HEAPTWIN_EXPORT void* pvalloc(size_t bytes) {
  return allocate("pvalloc", bytes, &heaptwin::alloc::Allocator::pvalloc);
}

HEAPTWIN_EXPORT size_t malloc_usable_size(void* mem) {
  Call call("malloc_usable_size", reinterpret_cast<Addr>(mem));
  size_t r = g_twin->malloc_usable_size(UserAddr{reinterpret_cast<Addr>(mem)});
  g_trace.usable_size(reinterpret_cast<Addr>(mem));
  return r;
}

HEAPTWIN_EXPORT int mallopt(int param, int value) {
  Call call("mallopt", static_cast<uint64_t>(param));
  int r = g_twin->mallopt(param, value);
  g_trace.mallopt(param, value);
  call.done("mallopt", static_cast<uint64_t>(param));
  return r;
}

HEAPTWIN_EXPORT int malloc_trim(size_t pad) {
  Call call("malloc_trim", pad);
  int r = g_twin->malloc_trim(pad);
  g_trace.trim(pad);
  call.done("malloc_trim", pad);
  return r;
}

HEAPTWIN_EXPORT struct mallinfo2 mallinfo2() {
  Call call("mallinfo2", 0);
  ensure_initialized();
  return heaptwin::preload::main_arena_info(*g_twin, fatal_handler());
}

HEAPTWIN_EXPORT struct mallinfo mallinfo() {
  struct mallinfo2 m2 = mallinfo2();
  struct mallinfo m;
  m.arena = static_cast<int>(m2.arena);
  m.ordblks = static_cast<int>(m2.ordblks);
  m.smblks = static_cast<int>(m2.smblks);
  m.hblks = static_cast<int>(m2.hblks);
  m.hblkhd = static_cast<int>(m2.hblkhd);
  m.usmblks = static_cast<int>(m2.usmblks);
  m.fsmblks = static_cast<int>(m2.fsmblks);
  m.uordblks = static_cast<int>(m2.uordblks);
  m.fordblks = static_cast<int>(m2.fordblks);
  m.keepcost = static_cast<int>(m2.keepcost);
  return m;
}

HEAPTWIN_EXPORT void malloc_stats() {
  Call call("malloc_stats", 0);
  ensure_initialized();
  heaptwin::preload::print_malloc_stats(*g_twin, fatal_handler());
}

// libc exports its implementations under these names too (GLIBC_2.2.5); a program that calls
// them must reach the twin's heap, not glibc's unused one.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-attributes"
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#define HEAPTWIN_ALIAS(name, target) \
  extern "C" __attribute__((visibility("default"), alias(#target))) decltype(target) name;
HEAPTWIN_ALIAS(__libc_malloc, malloc)
HEAPTWIN_ALIAS(__libc_free, free)
HEAPTWIN_ALIAS(__libc_calloc, calloc)
HEAPTWIN_ALIAS(__libc_realloc, realloc)
HEAPTWIN_ALIAS(__libc_memalign, memalign)
HEAPTWIN_ALIAS(__libc_valloc, valloc)
HEAPTWIN_ALIAS(__libc_pvalloc, pvalloc)
HEAPTWIN_ALIAS(__libc_mallinfo, mallinfo)
#pragma GCC diagnostic pop
