// sysmalloc: top cannot serve the request. Large requests get their own mapping; otherwise the
// break grows by nb + top_pad + MINSIZE minus what top already has, page-rounded, and top grows in
// place when the new memory is contiguous. The first call finds top at initial_top (size 0) and
// makes the whole new space top. When the break cannot grow, a mapping stands in for it (and the
// arena becomes non-contiguous).
#include <cerrno>

#include "allocator/abort_messages.h"
#include "allocator/allocator.h"
#include "allocator/bins.h"

namespace heaptwin::alloc {

namespace {
constexpr uint64_t kMmapAsMorecoreSize = 1024 * 1024;  // MMAP_AS_MORECORE_SIZE
constexpr uint64_t kMorecoreFailure = 0;               // __glibc_morecore returns NULL
}  // namespace

UserAddr Allocator::sysmalloc_mmap(uint64_t nb) {
  const uint64_t pagesize = profile_.page_size;
  // One SIZE_SZ more than a normal chunk: no next chunk lends its prev_size field. 2.43: a
  // whole header more, outside the chunk's size (mmap_set_chunk).
  const uint64_t extra = profile_.mmap_chunk_offset ? kChunkHdrSz : kSizeSz;
  uint64_t size = align_up(nb + extra, pagesize);
  if (size <= nb) return kMmapFailed;
  Addr mm = memory_->mmap(size);
  if (mm == Memory::kFailure) return kMmapFailed;
  ChunkAddr p{mm};  // page-aligned: no front correction on x86_64
  set_prev_size(p, 0);
  set_head(p, (profile_.mmap_chunk_offset ? size - kChunkHdrSz : size) | kIsMmapped);
  const MallocParFields& m = mp();
  int32_t n = ++m.n_mmaps;
  if (n > m.max_n_mmaps) m.max_n_mmaps = n;
  m.mmapped_mem += size;
  if (m.mmapped_mem > m.max_mmapped_mem) m.max_mmapped_mem = m.mmapped_mem;
  return chunk2mem(p);
}

// glibc 2.35+ sysmalloc calls sysmalloc_mmap_fallback (&size, nb, old_size, pagesize,
// MMAP_AS_MORECORE_SIZE, 0, av) against the parameters (..., minsize, pagesize, ...): the two are
// swapped, so the size is rounded up to a multiple of 1 MiB and the least mapping is one page.
// (The same for sizes under 1 MiB; a 1.5 MiB need maps 2 MiB; a negative size from a top_pad
// near 2^64 rounds to 0 and maps one page: the fuzzer found that.) Computed in `long` there.
// Before 2.35 the same code sat inline in sysmalloc, rounding to a page, at least 1 MiB.
uint64_t Allocator::sysmalloc_mmap_fallback(int64_t* size, uint64_t nb, uint64_t old_size) {
  if (profile_.mmap_fallback_from_request) {
    // 2.43: ALIGN_UP (nb + mp_.top_pad + MINSIZE, pagesize), at least 1 MiB, in size_t (a
    // negative top_pad wraps it huge: the mmap fails); old top's size is not added back.
    uint64_t s = align_up(nb + mp().top_pad + kMinSize, profile_.page_size);
    if (s < kMmapAsMorecoreSize) s = kMmapAsMorecoreSize;
    Addr mbrk = memory_->mmap(s);
    if (mbrk == Memory::kFailure) return mbrk;
    arena_flags() |= kNonContiguousBit;
    *size = static_cast<int64_t>(s);
    return mbrk;
  }
  const bool swapped = profile_.mmap_fallback_swapped;
  const uint64_t minsize = swapped ? profile_.page_size : kMmapAsMorecoreSize;
  const uint64_t rounding = swapped ? kMmapAsMorecoreSize : profile_.page_size;
  uint64_t s = static_cast<uint64_t>(*size);
  if (contiguous()) s = align_up(s + old_size, rounding);
  if (s < minsize) s = minsize;
  if (s <= nb) return Memory::kFailure;
  Addr mbrk = memory_->mmap(s);
  if (mbrk == Memory::kFailure) return mbrk;
  arena_flags() |= kNonContiguousBit;
  *size = static_cast<int64_t>(s);
  return mbrk;
}

// The main arena's growth: the break (MORECORE), else a mapping standing in for it.
void Allocator::sysmalloc_main(uint64_t nb, ChunkAddr old_top, uint64_t old_size) {
  const uint64_t pagesize = profile_.page_size;
  MallocState& a = av();
  const MallocParFields& m = mp();
  const Addr old_end = old_top.raw() + old_size;  // where the break was
  uint64_t brk = kMorecoreFailure;
  uint64_t snd_brk = kMorecoreFailure;

  // glibc computes in `long`: a huge request goes negative and never reaches MORECORE. The sum
  // wraps there in practice; computing it unsigned and converting once gives the same value
  // without signed overflow.
  uint64_t wrapped = nb + m.top_pad + kMinSize;
  if (contiguous()) wrapped -= old_size;
  int64_t size = static_cast<int64_t>(align_up(wrapped, pagesize));
  if (size > 0) {
    uint64_t r = memory_->sbrk(size);
    brk = r == Memory::kFailure ? kMorecoreFailure : r;
  }
  if (brk == kMorecoreFailure) {
    uint64_t mbrk = sysmalloc_mmap_fallback(&size, nb, old_size);
    if (mbrk != Memory::kFailure) {
      brk = mbrk;
      snd_brk = brk + static_cast<uint64_t>(size);
    }
  }
  if (brk != kMorecoreFailure) {
    if (m.sbrk_base == 0) m.sbrk_base = brk;
    refresh_heap_range();
    a.system_mem += static_cast<uint64_t>(size);
    if (brk == old_end && snd_brk == kMorecoreFailure) {
      set_head(old_top, (static_cast<uint64_t>(size) + old_size) | kPrevInuse);
    } else if (contiguous() && old_size != 0 && brk < old_end) {
      malloc_printerr(msg::kBreakAdjusted, brk, /*action=*/3);  // 2.23: always print, abort
    } else {
      // First time through, a foreign sbrk in between, or non-contiguous space.
      uint64_t front_misalign = 0;
      int64_t correction = 0;
      Addr aligned_brk = brk;
      if (contiguous()) {
        if (old_size != 0) a.system_mem += brk - old_end;  // count foreign sbrk as ours
        front_misalign = chunk2mem(ChunkAddr{brk}).raw() & kMallocAlignMask;
        if (front_misalign > 0) {
          correction = static_cast<int64_t>(kMallocAlignment - front_misalign);
          aligned_brk += static_cast<uint64_t>(correction);
        }
        correction += static_cast<int64_t>(old_size);
        uint64_t end_misalign =
            brk + static_cast<uint64_t>(size) + static_cast<uint64_t>(correction);
        correction += static_cast<int64_t>(align_up(end_misalign, pagesize) - end_misalign);
        uint64_t r = memory_->sbrk(correction);
        snd_brk = r == Memory::kFailure ? kMorecoreFailure : r;
        if (snd_brk == kMorecoreFailure) {
          correction = 0;
          r = memory_->sbrk(0);
          snd_brk = r == Memory::kFailure ? kMorecoreFailure : r;
        }
        refresh_heap_range();
      } else if (snd_brk == kMorecoreFailure) {
        uint64_t r = memory_->sbrk(0);
        snd_brk = r == Memory::kFailure ? kMorecoreFailure : r;
      }
      if (snd_brk != kMorecoreFailure) {
        a.top = aligned_brk;
        set_head(top(), (snd_brk - aligned_brk + static_cast<uint64_t>(correction)) | kPrevInuse);
        a.system_mem += static_cast<uint64_t>(correction);
        if (old_size != 0) {
          // Double fencepost at the old top, so nothing ever merges across the gap.
          old_size = (old_size - 2 * kChunkHdrSz) & ~kMallocAlignMask;
          set_head(old_top, old_size | kPrevInuse);
          set_head(chunk_at_offset(old_top, old_size), kChunkHdrSz | kPrevInuse);
          set_head(chunk_at_offset(old_top, old_size + kChunkHdrSz), kChunkHdrSz | kPrevInuse);
          if (old_size >= kMinSize) free_in_malloc(old_top);  // 2.42+: _int_free_chunk
        }
      }
    }
  }
}

UserAddr Allocator::sysmalloc(uint64_t nb) {
  const uint64_t pagesize = profile_.page_size;
  const MallocParFields& m = mp();
  // No arena (arena_get2 could make none): only a mapping will do.
  bool tried_mmap = false;
  if (arena_ == nullptr || (nb >= m.mmap_threshold && m.n_mmaps < m.n_mmaps_max)) {
    UserAddr mm = sysmalloc_mmap(nb);
    if (mm != kMmapFailed) return mm;
    tried_mmap = true;
  }
  if (arena_ == nullptr) return 0;
  MallocState& a = av();
  ChunkAddr old_top = top();
  uint64_t old_size = chunksize(old_top);
  Addr old_end = old_top.raw() + old_size;
  if (!((old_top == initial_top() && old_size == 0) ||
        (old_size >= kMinSize && prev_inuse(old_top) && (old_end & (pagesize - 1)) == 0))) {
    assert_failed(Assertion::kSysmallocOldTop);
  }
  if (!(old_size < nb + kMinSize)) assert_failed(Assertion::kSysmallocOldSize);
  if (arena_ != libc_.main_arena) {
    if (UserAddr mm = sysmalloc_heaps(nb, tried_mmap)) return mm;
  } else {
    sysmalloc_main(nb, old_top, old_size);
  }
  if (a.system_mem > a.max_system_mem) a.max_system_mem = a.system_mem;

  ChunkAddr p = top();
  uint64_t top_size = chunksize(p);
  if (top_size >= nb + kMinSize) return split_top(p, top_size, nb);
  errno_ = ENOMEM;
  return 0;
}

}  // namespace heaptwin::alloc
