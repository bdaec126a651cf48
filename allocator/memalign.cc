// The memalign family (memalign, aligned_alloc, posix_memalign, valloc, pvalloc) as glibc 2.36
// has it: over-allocate nb + alignment + MINSIZE through _int_malloc, free the leader before the
// aligned spot and the trailer after nb (both through _int_free, so tcache and fastbins may take
// them). Alignments above PTRDIFF_MAX fail with ENOMEM where the build has the CVE-2026-0861 fix
// (GlibcProfile::memalign_alignment_overflow_check).
#include <cerrno>

#include "allocator/allocator.h"
#include "allocator/bins.h"
#include "allocator/list_cycle.h"

namespace heaptwin::alloc {

namespace {
constexpr bool powerof2(uint64_t x) { return (x & (x - 1)) == 0; }
}  // namespace

UserAddr Allocator::memalign(uint64_t alignment, uint64_t bytes) {
  if (!malloc_initialized()) ptmalloc_init();
  return mid_memalign(alignment, bytes);
}

UserAddr Allocator::aligned_alloc(uint64_t alignment, uint64_t bytes) {
  if (!profile_.aligned_alloc_own_checks) return memalign(alignment, bytes);  // an alias
  if (!malloc_initialized()) ptmalloc_init();
  if (!powerof2(alignment) || alignment == 0) {
    errno_ = EINVAL;
    return 0;
  }
  return mid_memalign(alignment, bytes);
}

UserAddr Allocator::valloc(uint64_t bytes) {
  if (!malloc_initialized()) ptmalloc_init();
  return mid_memalign(profile_.page_size, bytes);
}

UserAddr Allocator::pvalloc(uint64_t bytes) {
  if (!malloc_initialized()) ptmalloc_init();
  const uint64_t pagesize = profile_.page_size;
  if (!profile_.request_limit_ptrdiff) {
    // Before 2.30: rounded up to a page, after an overflow test of its own.
    if (bytes > ~uint64_t{0} - 2 * pagesize - kMinSize) {
      errno_ = ENOMEM;
      return 0;
    }
    return mid_memalign(pagesize, align_up(bytes, pagesize));
  }
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

int Allocator::posix_memalign(UserAddr* memptr, uint64_t alignment, uint64_t size) {
  if (profile_.posix_memalign_inits_first && !malloc_initialized()) ptmalloc_init();
  if (alignment % sizeof(void*) != 0 || !powerof2(alignment / sizeof(void*)) || alignment == 0) {
    return EINVAL;
  }
  if (!malloc_initialized()) ptmalloc_init();  // before 2.34: the memalign hook's first call
  UserAddr mem = mid_memalign(alignment, size);
  if (mem != 0) {
    *memptr = mem;
    return 0;
  }
  return ENOMEM;
}

UserAddr Allocator::mid_memalign(uint64_t alignment, uint64_t bytes) {
  if (alignment <= kMallocAlignment) return malloc(bytes);
  if (alignment < kMinSize) alignment = kMinSize;
  if (alignment > (~uint64_t{0}) / 2 + 1) {
    errno_ = EINVAL;
    return 0;
  }
  if (!profile_.request_limit_ptrdiff && bytes > ~uint64_t{0} - alignment - kMinSize) {
    errno_ = ENOMEM;  // before 2.30
    return 0;
  }
  if (!powerof2(alignment)) {
    uint64_t a = kMallocAlignment * 2;
    while (a < alignment) a <<= 1;
    alignment = a;
  }
  if (profile_.tcache_large_bins) {
    if (UserAddr cached = tcache_get_align(checked_request2size(bytes), alignment)) return cached;
  } else if (profile_.memalign_scans_tcache) {
    bool failed = false;
    UserAddr cached = aligned_from_tcache(alignment, bytes, &failed);
    if (failed || cached != 0) return cached;
  }
  if (!single_thread_) return memalign_threaded(alignment, bytes);
  UserAddr p = int_memalign(alignment, bytes);
  if (p == 0 && profile_.retry_in_other_arena && retries_in_main_arena()) {
    p = int_memalign(alignment, bytes);
  }
  if (p != 0) {
    // The same arena assertion as __libc_malloc's.
    ChunkAddr c = mem2chunk(p);
    uint64_t head = chunksize_nomask(c);
    if ((head & kIsMmapped) == 0 && (head & kNonMainArena) != 0) {
      if (load(heap_for_ptr(c)) != main_arena()) report_fault(fatal_, c.raw());
    }
  }
  return p;
}

UserAddr Allocator::int_memalign(uint64_t alignment, uint64_t bytes) {
  if (profile_.memalign_tail_minsize) return int_memalign_v243(alignment, bytes);
  uint64_t nb = checked_request2size(bytes);
  if (nb == 0 || (profile_.memalign_alignment_overflow_check && alignment > kPtrdiffMax) ||
      (!profile_.request_limit_ptrdiff && profile_.request_overflow_checks &&
       nb > ~uint64_t{0} - alignment - kMinSize)) {
    errno_ = ENOMEM;
    return 0;
  }
  UserAddr m = int_malloc_in_av(nb + alignment + kMinSize);
  if (m == 0) return 0;
  ChunkAddr p = mem2chunk(m);
  if (m.raw() % alignment != 0) {
    // The first aligned spot that leaves a leader of at least MINSIZE.
    ChunkAddr brk = mem2chunk(UserAddr{(m.raw() + alignment - 1) & -alignment});
    if (brk - p < kMinSize) brk = brk.plus(alignment);
    ChunkAddr newp = brk;
    uint64_t leadsize = brk - p;
    uint64_t newsize = chunksize(p) - leadsize;
    if (chunk_is_mmapped(p)) {
      set_prev_size(newp, prev_size(p) + leadsize);
      set_head(newp, newsize | kIsMmapped);
      return chunk2mem(newp);
    }
    set_head(newp, newsize | kPrevInuse | arena_bit_);
    set_inuse_bit_at_offset(newp, newsize);
    set_head(p, leadsize | (chunksize_nomask(p) & kSizeBits) | arena_bit_);  // set_head_size
    if (profile_.memalign_merges_remainders) {
      int_free_merge_chunk(p, leadsize);
    } else {
      int_free(p, true);
    }
    p = newp;
  }
  if (!chunk_is_mmapped(p)) {
    if (profile_.memalign_merges_remainders) {
      give_back_tail(p, nb);
    } else {
      uint64_t size = chunksize(p);
      if (size > nb + kMinSize) {
        ChunkAddr remainder = chunk_at_offset(p, nb);
        set_head(remainder, (size - nb) | kPrevInuse | arena_bit_);
        set_head(p, nb | (chunksize_nomask(p) & kSizeBits));
        int_free(remainder, true);
      }
    }
  }
  return chunk2mem(p);
}

// 2.43 _int_memalign ("malloc: Cleanup _int_memalign"): an mmapped chunk moves to the first
// aligned spot (its offset in the mapping grows, no MINSIZE leader); in the heap the leader before
// ALIGN_UP (m + MINSIZE) is merged and binned, and a tail of at least MINSIZE too (then trimming).
UserAddr Allocator::int_memalign_v243(uint64_t alignment, uint64_t bytes) {
  const uint64_t nb = checked_request2size(bytes);
  if (nb == 0 || alignment > kPtrdiffMax) {
    errno_ = ENOMEM;
    return 0;
  }
  const UserAddr m = int_malloc(nb + alignment + kMinSize);
  if (m == 0) return 0;
  ChunkAddr p = mem2chunk(m);
  if (chunk_is_mmapped(p)) {
    const Addr base = p.raw() - mmap_base_offset(p);  // the mapping
    const uint64_t length = mmap_size(p);
    const ChunkAddr newp = mem2chunk(UserAddr{align_up(m.raw(), alignment)});
    const uint64_t offset = newp.raw() - base;
    set_prev_size(newp, offset | (prev_size(p) & kMmapHugePage));  // mmap_set_chunk
    set_head(newp, (length - offset - kChunkHdrSz) | kIsMmapped);
    return chunk2mem(newp);
  }
  uint64_t size = chunksize(p);
  if (m.raw() % alignment != 0) {
    const ChunkAddr newp = mem2chunk(UserAddr{align_up(m.raw() + kMinSize, alignment)});
    const uint64_t leadsize = newp - p;
    size -= leadsize;
    set_head(newp, size | kPrevInuse);
    set_inuse_bit_at_offset(newp, size);
    set_head(p, leadsize | (chunksize_nomask(p) & kSizeBits));  // set_head_size
    int_free_merge_chunk(p, leadsize);
    p = newp;
  }
  if (size - nb >= kMinSize) {
    const ChunkAddr nextchunk = chunk_at_offset(p, size);
    set_head(p, nb | (chunksize_nomask(p) & kSizeBits));
    size =
        int_free_create_chunk(chunk_at_offset(p, nb), size - nb, nextchunk, chunksize(nextchunk));
    int_free_maybe_consolidate(size);  // _int_free_maybe_trim: no fastbins to consolidate
  }
  return chunk2mem(p);
}

// 2.42 tcache_get_align: in the request's bin, the first entry of exactly nb bytes (by its size
// field) that is aligned, walking past smaller ones; 0 when there is none.
UserAddr Allocator::tcache_get_align(uint64_t nb, uint64_t alignment) {
  // nb 0: checked_request2size refused the request (_int_memalign then fails with ENOMEM); its
  // bin would be large_csize2tidx(0), clz of 0 (undefined: UBSan, fuzz target threads
  // --glibc 2.44).
  if (nb == 0 || nb >= mp().tcache_max_bytes || tcache_ == 0) return 0;
  uint64_t tc_idx = csize2tidx(nb);
  if (tc_idx >= kTcacheMaxBins) tc_idx = large_csize2tidx(nb);  // a large bin, sorted by size
  Addr link = 0;
  UserAddr te = tcache_head(tc_idx);
  uint64_t csize = 0;
  ListCycle cycle;  // the walk writes nothing
  while (te != 0 && ((csize = chunksize(mem2chunk(te))) < nb ||
                     (csize == nb && (te.raw() & (alignment - 1)) != 0))) {
    if (cycle.repeats(te.raw())) report_proven_hang(fatal_);
    link = te.raw() + kTcacheEntryNext;
    te = UserAddr{protect(link, load(link))};
  }
  if (te != 0 && csize == nb && (te.raw() & (alignment - 1)) == 0)
    return tcache_get_n(tc_idx, link);
  return 0;
}

// 2.39+: the tail after nb goes straight to the bins, merged with what follows; a tail under
// MINSIZE only when it can merge (the next chunk is top or free), else it stays in the chunk.
void Allocator::give_back_tail(ChunkAddr p, uint64_t nb) {
  const uint64_t size = chunksize(p);
  const ChunkAddr nextchunk = chunk_at_offset(p, size);
  const uint64_t nextsize = chunksize(nextchunk);
  if (size <= nb) return;
  uint64_t remainder_size = size - nb;
  if (remainder_size >= kMinSize || nextchunk == top() ||
      !inuse_bit_at_offset(nextchunk, nextsize)) {
    set_head(p, nb | (chunksize_nomask(p) & kSizeBits));  // set_head_size
    remainder_size =
        int_free_create_chunk(chunk_at_offset(p, nb), remainder_size, nextchunk, nextsize);
    int_free_maybe_consolidate(remainder_size);
  }
}

// 2.38+ _mid_memalign: an aligned chunk of the request's tcache bin, taken from wherever it is
// in the list; 0 when there is none. *failed when the size is refused (ENOMEM).
UserAddr Allocator::aligned_from_tcache(uint64_t alignment, uint64_t bytes, bool* failed) {
  const uint64_t tbytes = checked_request2size(bytes);
  if (tbytes == 0) {
    errno_ = ENOMEM;
    *failed = true;
    return 0;
  }
  const uint64_t tc_idx = csize2tidx(tbytes);
  if (tc_idx >= mp().tcache_bins || tcache_ == 0 || tcache_count(tc_idx) == 0) return 0;
  Addr link = 0;  // where the entry's pointer is stored; 0: the bin's head
  UserAddr te = tcache_head(tc_idx);
  ListCycle cycle;  // nothing else bounds this walk, which writes nothing
  while (te != 0 && (te.raw() & (alignment - 1)) != 0) {
    if (cycle.repeats(te.raw())) report_proven_hang(fatal_);
    link = te.raw() + kTcacheEntryNext;
    te = UserAddr{protect(link, load(link))};
  }
  return te == 0 ? 0 : tcache_get_n(tc_idx, link);
}

}  // namespace heaptwin::alloc
