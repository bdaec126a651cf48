// calloc: overflow-checked size, _int_malloc directly (the tcache only from 2.41), then clearing,
// except for the part of a chunk carved from top beyond the highest break ever reached (fresh
// memory).
#include <cerrno>
#include <cstddef>
#include <cstring>

#include "allocator/abort_messages.h"
#include "allocator/allocator.h"

namespace heaptwin::alloc {

UserAddr Allocator::calloc(uint64_t n, uint64_t elem_size) {
  uint64_t sz;
  if (profile_.request_limit_ptrdiff) {
    // __builtin_mul_overflow into a ptrdiff_t: more than PTRDIFF_MAX bytes is an overflow too.
    unsigned __int128 product = static_cast<unsigned __int128>(n) * elem_size;
    if (product > static_cast<unsigned __int128>(kPtrdiffMax)) {
      errno_ = ENOMEM;
      return 0;
    }
    sz = static_cast<uint64_t>(product);
  } else {
    // Before 2.30: the wrapped product, refused only when it really wrapped.
    sz = n * elem_size;
    if ((n | elem_size) >= (uint64_t{1} << 32) && elem_size != 0 && sz / elem_size != n) {
      errno_ = ENOMEM;
      return 0;
    }
  }
  if (malloc_hook_pending_) {
    // Before 2.34, a calloc that meets malloc_hook_ini is __libc_malloc and a memset.
    UserAddr mem = malloc(sz);
    if (mem != 0) {
      before_memset(mem.raw(), sz);
      zero(mem.raw(), sz);
    }
    return mem;
  }
  if (!malloc_initialized()) ptmalloc_init();
  if (profile_.calloc_from_tcache) {
    // 2.41 tcache_try_malloc: as malloc's tcache path; a cached chunk is cleared whole.
    const uint64_t tbytes = checked_request2size(sz);
    if (tbytes == 0) {
      errno_ = ENOMEM;
      return 0;
    }
    const uint64_t tc_idx = csize2tidx(tbytes);
    if (profile_.tcache_large_bins) {
      // 2.42 __libc_calloc: as __libc_malloc's tcache path; clear_memory of the bin's usable
      // size (tidx2usize), whatever the chunk's own size field says.
      if (tbytes < mp().tcache_max_bytes && tcache_has_small(tc_idx)) {
        UserAddr mem = tcache_get(tc_idx);
        clear_memory(mem, tidx2usize(tc_idx));
        return mem;
      }
      // A large bin's exact fit is cleared with memset over memsize: its chunk size less 8.
      if (tbytes < mp().tcache_max_bytes && tc_idx >= kTcacheMaxBins && tcache_ != 0) {
        if (UserAddr mem = tcache_get_large(large_csize2tidx(tbytes), tbytes)) {
          before_memset(mem.raw(), tbytes - kSizeSz);
          zero(mem.raw(), tbytes - kSizeSz);
          return mem;
        }
      }
    } else {
      if (tcache_ == 0) tcache_init();
    }
    if (!profile_.tcache_large_bins && tcache_has(tc_idx)) {
      UserAddr mem = tcache_get(tc_idx);
      clear_memory(mem, chunksize(mem2chunk(mem)) - kSizeSz);
      return mem;
    }
  }
  if (tcache_ == 0 && !profile_.tcache_lazy) tcache_init();
  Addr ar_ptr = main_arena();
  if (!single_thread_) use_arena(ar_ptr = arena_get(sz));
  ChunkAddr oldtop = 0;
  uint64_t oldtopsize = 0;
  if (arena_ != nullptr) {
    oldtop = top();
    oldtopsize = chunksize(oldtop);
    if (arena_ == libc_.main_arena) {
      // MORECORE_CLEARS: memory below the highest break so far may be dirty; above it is fresh.
      uint64_t dirty = mp().sbrk_base + av().max_system_mem - oldtop.raw();
      if (oldtopsize < dirty) oldtopsize = dirty;
    } else {
      // A heap's pages past what was ever made writable are fresh.
      const Addr heap = heap_for_ptr(oldtop);
      const uint64_t fresh_from =
          heap + load(heap + offsetof(HeapInfo, mprotect_size)) - oldtop.raw();
      if (oldtopsize < fresh_from) oldtopsize = fresh_from;
    }
  }
  UserAddr mem = int_malloc_in_av(sz);
  if (arenas_modelled()) check_arena_of(mem, ar_ptr, Assertion::kCallocArena);
  if (!single_thread_) {
    if (mem == 0 && ar_ptr != 0) {
      use_arena(ar_ptr = arena_get_retry(ar_ptr, sz));
      mem = int_malloc_in_av(sz);
    }
    leave_arena();
  } else if (mem == 0 && profile_.retry_in_other_arena && retries_in_main_arena()) {
    mem = int_malloc(sz);
  }
  if (mem == 0) return 0;
  ChunkAddr p = mem2chunk(mem);
  uint64_t csz = chunksize(p);
  if (chunk_is_mmapped(p)) {
    if (perturb_byte()) perturb_fill(mem.raw(), sz, 0);
    return mem;
  }
  if (perturb_byte() == 0 && p == oldtop && csz > oldtopsize) csz = oldtopsize;
  const uint64_t clearsize = csz - kSizeSz;
  if (profile_.calloc_clear_memory) {
    clear_memory(mem, clearsize);
    return mem;
  }
  const uint64_t nclears = clearsize / kSizeSz;
  if (nclears < 3) assert_failed(Assertion::kCallocClears);  // a forged size
  if (nclears > 9) {
    before_memset(mem.raw(), clearsize);
    zero(mem.raw(), clearsize);
    return mem;
  }
  // Up to 9 words glibc stores them one by one, forward, and an odd number of them (a chunk's
  // words are odd but for a forged size): 3, 5, 7 or 9.
  const uint64_t words = (nclears & 1) != 0 ? nclears : nclears - 1;
  if (!owned(mem.raw(), words * kSizeSz)) report_fault(fatal_, first_unowned(mem.raw()));
  std::memset(reinterpret_cast<void*>(mem.raw()), 0, words * kSizeSz);
  note_range(mem.raw(), words * kSizeSz);
  return mem;
}

// 2.41 clear_memory (sysdeps/generic/calloc-clear-memory.h): memset past 9 words; up to 9, the
// stores 0, 1, 2, n-2, n-1 and, past 5 words, 3, 4, n-4, n-3: every word of a chunk's odd count.
// No assertion any more: a forged size under 3 words still makes those stores (n-2 is then
// word -1, the chunk's own size field).
void Allocator::clear_memory(UserAddr mem, uint64_t clearsize) {
  const uint64_t nclears = clearsize / kSizeSz;
  if (nclears > 9) {
    before_memset(mem.raw(), clearsize);
    zero(mem.raw(), clearsize);
    return;
  }
  const int64_t n = static_cast<int64_t>(nclears);
  int64_t words[9] = {0, 1, 2, n - 2, n - 1};
  int count = 5;
  if (n > 5) {
    words[count++] = 3;
    words[count++] = 4;
    words[count++] = n - 4;
    words[count++] = n - 3;
  }
  for (int i = 0; i < count; ++i) store(mem.raw() + static_cast<uint64_t>(words[i]) * kSizeSz, 0);
}

}  // namespace heaptwin::alloc
