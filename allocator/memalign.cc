// The memalign family (memalign, aligned_alloc, posix_memalign, valloc, pvalloc) as glibc 2.36
// has it: over-allocate nb + alignment + MINSIZE through _int_malloc, free the leader before the
// aligned spot and the trailer after nb (both through _int_free, so tcache and fastbins may take
// them). Debian's patch: alignments above PTRDIFF_MAX fail with ENOMEM.
#include <cerrno>

#include "allocator/allocator.h"
#include "allocator/bins.h"

namespace heaptwin::alloc {

namespace {
constexpr bool powerof2(uint64_t x) { return (x & (x - 1)) == 0; }
}  // namespace

Addr Allocator::memalign(uint64_t alignment, uint64_t bytes) {
  if (!d_->malloc_initialized) ptmalloc_init();
  return mid_memalign(alignment, bytes);
}

Addr Allocator::valloc(uint64_t bytes) {
  if (!d_->malloc_initialized) ptmalloc_init();
  return mid_memalign(profile_.page_size, bytes);
}

Addr Allocator::pvalloc(uint64_t bytes) {
  if (!d_->malloc_initialized) ptmalloc_init();
  const uint64_t pagesize = profile_.page_size;
  uint64_t rounded;
  if (__builtin_add_overflow(bytes, pagesize - 1, &rounded)) {
    errno_ = ENOMEM;
    return 0;
  }
  // glibc masks with -(pagesize - 1), not -pagesize: the result is not page-rounded down
  // exactly (kept as glibc computes it).
  rounded &= -(pagesize - 1);
  return mid_memalign(pagesize, rounded);
}

int Allocator::posix_memalign(Addr* memptr, uint64_t alignment, uint64_t size) {
  if (profile_.posix_memalign_inits_first && !d_->malloc_initialized) ptmalloc_init();
  if (alignment % sizeof(void*) != 0 || !powerof2(alignment / sizeof(void*)) || alignment == 0) {
    return EINVAL;
  }
  if (!d_->malloc_initialized) ptmalloc_init();  // before 2.34: the memalign hook's first call
  Addr mem = mid_memalign(alignment, size);
  if (mem != 0) {
    *memptr = mem;
    return 0;
  }
  return ENOMEM;
}

Addr Allocator::mid_memalign(uint64_t alignment, uint64_t bytes) {
  if (alignment <= kMallocAlignment) return malloc(bytes);
  if (alignment < kMinSize) alignment = kMinSize;
  if (alignment > (~uint64_t{0}) / 2 + 1) {
    errno_ = EINVAL;
    return 0;
  }
  if (!powerof2(alignment)) {
    uint64_t a = kMallocAlignment * 2;
    while (a < alignment) a <<= 1;
    alignment = a;
  }
  Addr p = int_memalign(alignment, bytes);
  if (p != 0) {
    // The same arena assertion as __libc_malloc's.
    Addr c = mem2chunk(p);
    uint64_t head = chunksize_nomask(c);
    if ((head & kIsMmapped) == 0 && (head & kNonMainArena) != 0) {
      if (load(c & ~(kHeapMaxSize - 1)) != main_arena()) report_fault(fatal_, c);
    }
  }
  return p;
}

Addr Allocator::int_memalign(uint64_t alignment, uint64_t bytes) {
  uint64_t nb = checked_request2size(bytes);
  if (nb == 0 || alignment > kPtrdiffMax) {
    errno_ = ENOMEM;
    return 0;
  }
  Addr m = int_malloc(nb + alignment + kMinSize);
  if (m == 0) return 0;
  Addr p = mem2chunk(m);
  if (m % alignment != 0) {
    // The first aligned spot that leaves a leader of at least MINSIZE.
    Addr brk = mem2chunk((m + alignment - 1) & -alignment);
    if (brk - p < kMinSize) brk += alignment;
    Addr newp = brk;
    uint64_t leadsize = brk - p;
    uint64_t newsize = chunksize(p) - leadsize;
    if (chunk_is_mmapped(p)) {
      set_prev_size(newp, prev_size(p) + leadsize);
      set_head(newp, newsize | kIsMmapped);
      return chunk2mem(newp);
    }
    set_head(newp, newsize | kPrevInuse);
    set_inuse_bit_at_offset(newp, newsize);
    set_head(p, leadsize | (chunksize_nomask(p) & kSizeBits));  // set_head_size
    int_free(p, true);
    p = newp;
  }
  if (!chunk_is_mmapped(p)) {
    uint64_t size = chunksize(p);
    if (size > nb + kMinSize) {
      Addr remainder = p + nb;
      set_head(remainder, (size - nb) | kPrevInuse);
      set_head(p, nb | (chunksize_nomask(p) & kSizeBits));
      int_free(remainder, true);
    }
  }
  return chunk2mem(p);
}

}  // namespace heaptwin::alloc
