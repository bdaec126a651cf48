// glibc 2.36's calloc, realloc, memalign family, malloc_usable_size, mallopt and malloc_trim
// (malloc.c), over the twin's malloc/free. Chunks are real memory of this process: a wild
// pointer faults here exactly where it faults in glibc.
#include "allocator/preload/missing_paths.h"

#include <errno.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

#include "allocator/abort_messages.h"
#include "allocator/bins.h"
#include "allocator/chunk.h"

namespace heaptwin::preload {

namespace {

using namespace heaptwin::alloc;

constexpr uint64_t kPageSize = 4096;
constexpr uint64_t kMinLargeSize = 0x400;  // MIN_LARGE_SIZE

inline uint64_t ld(Addr a) { return *reinterpret_cast<volatile uint64_t*>(a); }
inline void st(Addr a, uint64_t v) { *reinterpret_cast<volatile uint64_t*>(a) = v; }
inline uint64_t head(Addr p) { return ld(p + 8); }
inline uint64_t csize(Addr p) { return head(p) & ~kSizeBits; }
inline bool mmapped(Addr p) { return (head(p) & kIsMmapped) != 0; }
inline bool inuse_at(Addr p, uint64_t s) { return (ld(p + s + 8) & kPrevInuse) != 0; }
inline void set_head_size(Addr p, uint64_t s) { st(p + 8, (head(p) & kSizeBits) | s); }
inline bool in_smallbin_range(uint64_t sz) { return sz < kMinLargeSize; }
inline bool powerof2(uint64_t x) { return (x & (x - 1)) == 0; }

}  // namespace

void MissingPaths::ensure_initialized() {
  // checked_request2size refuses this request right after ptmalloc_init, before the tcache.
  if (!d_->malloc_initialized) twin_->malloc(~uint64_t{0});
  twin_->clear_errno();
}

// _int_malloc(av, bytes): the twin's malloc does MAYBE_INIT_TCACHE, then takes from the tcache bin
// of the request if it holds a chunk, else calls _int_malloc. So with that bin looking empty it
// is _int_malloc. Its stashing (fastbin, smallbin, unsorted exact fits) fills that same bin while
// counts[idx] < tcache_count: hiding the bin's c chunks from the count and lowering the limit by
// c keeps every such decision glibc's, and the stashed chunks go onto the real list.
Addr MissingPaths::int_malloc(uint64_t bytes, int* error) {
  twin_->clear_errno();
  uint64_t nb = checked_request2size(bytes);
  Addr tc = twin_->tcache();
  Addr r;
  if (nb == 0 || tc == 0 || csize2tidx(nb) >= d_->mp_.tcache_bins ||
      reinterpret_cast<TcachePerthread*>(tc)->counts[csize2tidx(nb)] == 0) {
    r = twin_->malloc(bytes);
  } else {
    uint16_t& count = reinterpret_cast<TcachePerthread*>(tc)->counts[csize2tidx(nb)];
    uint16_t hidden = count;
    uint64_t limit = d_->mp_.tcache_count;
    count = 0;
    d_->mp_.tcache_count = limit > hidden ? limit - hidden : 0;
    r = twin_->malloc(bytes);
    count = static_cast<uint16_t>(count + hidden);
    d_->mp_.tcache_count = limit;
  }
  if (r == 0 && twin_->last_errno() != 0) *error = twin_->last_errno();
  return r;
}

Addr MissingPaths::calloc(uint64_t n, uint64_t elem, int* error) {
  uint64_t bytes;
  if (__builtin_mul_overflow(n, elem, &bytes) || bytes > static_cast<uint64_t>(INT64_MAX)) {
    *error = ENOMEM;  // ptrdiff_t overflow
    return 0;
  }
  ensure_initialized();
  MallocState& av = d_->main_arena;
  // MORECORE_CLEARS: memory fresh from sbrk is zero; only the part of top that was there before
  // needs clearing.
  Addr oldtop = av.top;
  uint64_t oldtopsize = csize(oldtop);
  uint64_t fresh_start = d_->mp_.sbrk_base + av.max_system_mem;
  if (oldtopsize < fresh_start - oldtop) oldtopsize = fresh_start - oldtop;
  // (Before the first malloc, glibc's MAYBE_INIT_TCACHE moves top before these reads; here the
  // twin's malloc does it, and the stale oldtop only means the whole chunk is cleared, as glibc
  // clears a chunk split from the new top.)
  Addr mem = int_malloc(bytes, error);
  if (mem == 0) return 0;
  Addr p = mem - 16;
  if (mmapped(p)) {
    if (d_->perturb_byte) std::memset(reinterpret_cast<void*>(mem), 0, bytes);
    return mem;
  }
  uint64_t cs = csize(p);
  if (d_->perturb_byte == 0 && p == oldtop && cs > oldtopsize) cs = oldtopsize;
  std::memset(reinterpret_cast<void*>(mem), 0, cs - kSizeSz);
  return mem;
}

uint64_t MissingPaths::usable_size(Addr mem) const {
  if (mem == 0) return 0;
  Addr p = mem - 16;
  if (mmapped(p)) return csize(p) - kChunkHdrSz;
  if (inuse_at(p, csize(p))) return csize(p) - kSizeSz;
  return 0;
}

void MissingPaths::unlink_chunk(Addr p) {
  if (csize(p) != ld(p + csize(p))) printerr(msg::kUnlinkSizeVsPrevSize);
  Addr fd = ld(p + 0x10), bk = ld(p + 0x18);
  if (ld(fd + 0x18) != p || ld(bk + 0x10) != p) printerr(msg::kUnlinkDoubleLinkedList);
  st(fd + 0x18, bk);
  st(bk + 0x10, fd);
  if (!in_smallbin_range(head(p)) && ld(p + 0x20) != 0) {
    Addr fdn = ld(p + 0x20), bkn = ld(p + 0x28);
    if (ld(fdn + 0x28) != p || ld(bkn + 0x20) != p) printerr(msg::kUnlinkNotSmall);
    if (ld(fd + 0x20) == 0) {
      if (fdn == p) {
        st(fd + 0x20, fd);
        st(fd + 0x28, fd);
      } else {
        st(fd + 0x20, fdn);
        st(fd + 0x28, bkn);
        st(fdn + 0x28, fd);
        st(bkn + 0x20, fd);
      }
    } else {
      st(fdn + 0x28, bkn);
      st(bkn + 0x20, fdn);
    }
  }
}

void MissingPaths::munmap_chunk(Addr p) {
  uint64_t size = csize(p);
  uint64_t offset = ld(p);
  Addr block = p - offset;
  uint64_t total = offset + size;
  Addr mem = p + 16;
  if (((block | total) & (kPageSize - 1)) != 0 || !powerof2(mem & (kPageSize - 1))) {
    printerr(msg::kMunmapInvalidPointer);
  }
  --d_->mp_.n_mmaps;
  d_->mp_.mmapped_mem -= total;
  ::munmap(reinterpret_cast<void*>(block), total);
}

Addr MissingPaths::mremap_chunk(Addr p, uint64_t new_size) {
  uint64_t offset = ld(p);
  uint64_t size = csize(p);
  Addr block = p - offset;
  Addr mem = p + 16;
  uint64_t total = offset + size;
  if (((block | total) & (kPageSize - 1)) != 0 || !powerof2(mem & (kPageSize - 1))) {
    printerr(msg::kMremapInvalidPointer);
  }
  new_size = align_up(new_size + offset + kSizeSz, kPageSize);
  if (total == new_size) return p;
  void* cp = ::mremap(reinterpret_cast<void*>(block), total, new_size, MREMAP_MAYMOVE);
  if (cp == MAP_FAILED) return 0;
  p = reinterpret_cast<Addr>(cp) + offset;
  st(p + 8, (new_size - offset) | kIsMmapped);
  d_->mp_.mmapped_mem += new_size - size - offset;
  if (d_->mp_.mmapped_mem > d_->mp_.max_mmapped_mem) d_->mp_.max_mmapped_mem = d_->mp_.mmapped_mem;
  return p;
}

Addr MissingPaths::realloc(Addr oldmem, uint64_t bytes, int* error) {
  if (bytes == 0 && oldmem != 0) {  // REALLOC_ZERO_BYTES_FREES
    twin_->free(oldmem);
    return 0;
  }
  if (oldmem == 0) {
    twin_->clear_errno();
    Addr r = twin_->malloc(bytes);
    if (r == 0 && twin_->last_errno() != 0) *error = twin_->last_errno();
    return r;
  }
  Addr oldp = oldmem - 16;
  uint64_t oldsize = csize(oldp);
  if (!mmapped(oldp)) {
    ensure_initialized();
    // MAYBE_INIT_TCACHE: a heap chunk exists only after a malloc, which made the tcache.
    if ((head(oldp) & kNonMainArena) != 0) {
      Addr heap = oldp & ~(kHeapMaxSize - 1);
      (void)ld(heap);  // arena_for_chunk: heap_for_ptr(p)->ar_ptr (faults where glibc does)
    }
  }
  if (oldp > static_cast<Addr>(-oldsize) || misaligned_chunk(oldp)) {
    printerr(msg::kReallocInvalidPointer);
  }
  uint64_t nb = checked_request2size(bytes);
  if (nb == 0) {
    *error = ENOMEM;
    return 0;
  }
  if (mmapped(oldp)) {
    Addr newp = mremap_chunk(oldp, nb);
    if (newp != 0) return newp + 16;
    if (oldsize - kSizeSz >= nb) return oldmem;
    twin_->clear_errno();
    Addr newmem = twin_->malloc(bytes);
    if (newmem == 0) {
      if (twin_->last_errno() != 0) *error = twin_->last_errno();
      return 0;
    }
    std::memcpy(reinterpret_cast<void*>(newmem), reinterpret_cast<void*>(oldmem),
                oldsize - kChunkHdrSz);
    munmap_chunk(oldp);
    return newmem;
  }
  return int_realloc(oldp, oldsize, nb, error);
}

Addr MissingPaths::int_realloc(Addr oldp, uint64_t oldsize, uint64_t nb, int* error) {
  MallocState& av = d_->main_arena;
  if (head(oldp) <= kChunkHdrSz || oldsize >= av.system_mem) printerr(msg::kReallocInvalidOldSize);
  Addr next = oldp + oldsize;
  uint64_t nextsize = csize(next);
  if (head(next) <= kChunkHdrSz || nextsize >= av.system_mem) printerr(msg::kReallocInvalidNextSize);
  Addr newp;
  uint64_t newsize;
  if (oldsize >= nb) {
    newp = oldp;
    newsize = oldsize;
  } else if (next == av.top && (newsize = oldsize + nextsize) >= nb + kMinSize) {
    set_head_size(oldp, nb);
    av.top = oldp + nb;
    st(av.top + 8, (newsize - nb) | kPrevInuse);
    return oldp + 16;
  } else if (next != av.top && !inuse_at(next, nextsize) &&
             (newsize = oldsize + nextsize) >= nb) {
    newp = oldp;
    unlink_chunk(next);
  } else {
    Addr newmem = int_malloc(nb - kMallocAlignMask, error);
    if (newmem == 0) return 0;
    newp = newmem - 16;
    newsize = csize(newp);
    if (newp == next) {
      newsize += oldsize;
      newp = oldp;
    } else {
      std::memcpy(reinterpret_cast<void*>(newmem), reinterpret_cast<void*>(oldp + 16),
                  oldsize - kSizeSz);
      int_free(oldp);
      return newmem;
    }
  }
  uint64_t remainder_size = newsize - nb;
  if (remainder_size < kMinSize) {
    set_head_size(newp, newsize);
    st(newp + newsize + 8, ld(newp + newsize + 8) | kPrevInuse);
  } else {
    Addr remainder = newp + nb;
    set_head_size(newp, nb);
    st(remainder + 8, remainder_size | kPrevInuse);
    st(remainder + remainder_size + 8, ld(remainder + remainder_size + 8) | kPrevInuse);
    int_free(remainder);
  }
  return newp + 16;
}

Addr MissingPaths::memalign(uint64_t alignment, uint64_t bytes, int* error) {
  ensure_initialized();
  return mid_memalign(alignment, bytes, error);
}

Addr MissingPaths::valloc(uint64_t bytes, int* error) {
  ensure_initialized();
  return mid_memalign(kPageSize, bytes, error);
}

Addr MissingPaths::pvalloc(uint64_t bytes, int* error) {
  ensure_initialized();
  uint64_t rounded;
  if (__builtin_add_overflow(bytes, kPageSize - 1, &rounded)) {
    *error = ENOMEM;
    return 0;
  }
  rounded &= -(kPageSize - 1);  // sic: glibc 2.36 masks with -(pagesize - 1)
  return mid_memalign(kPageSize, rounded, error);
}

int MissingPaths::posix_memalign(Addr* memptr, uint64_t alignment, uint64_t bytes) {
  ensure_initialized();
  if (alignment % 8 != 0 || !powerof2(alignment / 8) || alignment == 0) return EINVAL;
  int error = 0;
  Addr mem = mid_memalign(alignment, bytes, &error);
  if (mem != 0) {
    *memptr = mem;
    return 0;
  }
  return ENOMEM;
}

Addr MissingPaths::mid_memalign(uint64_t alignment, uint64_t bytes, int* error) {
  if (alignment <= kMallocAlignment) {
    twin_->clear_errno();
    Addr r = twin_->malloc(bytes);
    if (r == 0 && twin_->last_errno() != 0) *error = twin_->last_errno();
    return r;
  }
  if (alignment < kMinSize) alignment = kMinSize;
  if (alignment > (~uint64_t{0}) / 2 + 1) {
    *error = EINVAL;
    return 0;
  }
  if (!powerof2(alignment)) {
    uint64_t a = kMallocAlignment * 2;
    while (a < alignment) a <<= 1;
    alignment = a;
  }
  return int_memalign(alignment, bytes, error);
}

Addr MissingPaths::int_memalign(uint64_t alignment, uint64_t bytes, int* error) {
  uint64_t nb = checked_request2size(bytes);
  if (nb == 0 || alignment > static_cast<uint64_t>(INT64_MAX)) {
    *error = ENOMEM;
    return 0;
  }
  // _int_malloc (av, nb + alignment + MINSIZE): a request, so request2size of it is itself.
  Addr m = int_malloc(nb + alignment + kMinSize, error);
  if (m == 0) return 0;
  Addr p = m - 16;
  if (m % alignment != 0) {
    Addr brk = ((m + alignment - 1) & -alignment) - 16;
    if (brk - p < kMinSize) brk += alignment;
    Addr newp = brk;
    uint64_t leadsize = brk - p;
    uint64_t newsize = csize(p) - leadsize;
    if (mmapped(p)) {
      st(newp, ld(p) + leadsize);
      st(newp + 8, newsize | kIsMmapped);
      return newp + 16;
    }
    st(newp + 8, newsize | kPrevInuse);
    st(newp + newsize + 8, ld(newp + newsize + 8) | kPrevInuse);
    set_head_size(p, leadsize);
    int_free(p);
    p = newp;
  }
  if (!mmapped(p)) {
    uint64_t size = csize(p);
    if (size > nb + kMinSize) {
      uint64_t remainder_size = size - nb;
      Addr remainder = p + nb;
      st(remainder + 8, remainder_size | kPrevInuse);
      set_head_size(p, nb);
      int_free(remainder);
    }
  }
  return p + 16;
}

void MissingPaths::malloc_consolidate() {
  MallocState& av = d_->main_arena;
  av.have_fastchunks = 0;
  Addr unsorted_bin = reinterpret_cast<Addr>(&av) + 0x60;
  for (int i = 0; i < kNFastBins; ++i) {
    Addr p = av.fastbinsY[i];
    av.fastbinsY[i] = 0;
    while (p != 0) {
      if (misaligned_chunk(p)) printerr(msg::kConsolidateUnaligned);
      if ((csize(p) >> 4) - 2 != static_cast<uint64_t>(i)) printerr(msg::kConsolidateInvalidSize);
      Addr nextp = protect_ptr(p + 0x10, ld(p + 0x10));
      uint64_t size = csize(p);
      Addr nextchunk = p + size;
      uint64_t nextsize = csize(nextchunk);
      if ((head(p) & kPrevInuse) == 0) {
        uint64_t prevsize = ld(p);
        size += prevsize;
        p -= prevsize;
        if (csize(p) != prevsize) printerr(msg::kConsolidatePrevSize);
        unlink_chunk(p);
      }
      if (nextchunk != av.top) {
        if (!inuse_at(nextchunk, nextsize)) {
          size += nextsize;
          unlink_chunk(nextchunk);
        } else {
          st(nextchunk + 8, head(nextchunk) & ~kPrevInuse);
        }
        Addr first_unsorted = ld(unsorted_bin + 0x10);
        st(unsorted_bin + 0x10, p);
        st(first_unsorted + 0x18, p);
        if (!in_smallbin_range(size)) {
          st(p + 0x20, 0);
          st(p + 0x28, 0);
        }
        st(p + 8, size | kPrevInuse);
        st(p + 0x18, unsorted_bin);
        st(p + 0x10, first_unsorted);
        st(p + size, size);
      } else {
        size += nextsize;
        st(p + 8, size | kPrevInuse);
        av.top = p;
      }
      p = nextp;
    }
  }
}

int MissingPaths::mallopt(int param, int value) {
  ensure_initialized();
  malloc_consolidate();
  MallocPar& mp = d_->mp_;
  int res = 1;
  uint64_t v = static_cast<uint64_t>(static_cast<int64_t>(value));  // int -> size_t, as glibc
  switch (param) {
    case M_MXFAST:
      if (v <= kMaxFastSize) d_->global_max_fast = max_fast_for(v);
      else res = 0;
      break;
    case M_TRIM_THRESHOLD: mp.trim_threshold = v; mp.no_dyn_threshold = 1; break;
    case M_TOP_PAD: mp.top_pad = v; mp.no_dyn_threshold = 1; break;
    case M_MMAP_THRESHOLD: mp.mmap_threshold = v; mp.no_dyn_threshold = 1; break;
    case M_MMAP_MAX: mp.n_mmaps_max = value; mp.no_dyn_threshold = 1; break;
    case M_CHECK_ACTION: break;
    case M_PERTURB: d_->perturb_byte = value; break;
    case M_ARENA_TEST: if (value > 0) mp.arena_test = v; break;
    case M_ARENA_MAX: if (value > 0) mp.arena_max = v; break;
    default: break;
  }
  return res;
}

int MissingPaths::systrim(uint64_t pad) {
  MallocState& av = d_->main_arena;
  uint64_t top_size = csize(av.top);
  uint64_t top_area = top_size - kMinSize - 1;
  if (top_area <= pad) return 0;
  uint64_t extra = align_down(top_area - pad, kPageSize);
  if (extra == 0) return 0;
  Addr current_brk = reinterpret_cast<Addr>(::sbrk(0));
  if (current_brk == av.top + top_size) {
    ::sbrk(-static_cast<intptr_t>(extra));
    void* nb = ::sbrk(0);
    if (nb != reinterpret_cast<void*>(-1)) {
      uint64_t released = current_brk - reinterpret_cast<Addr>(nb);
      if (released != 0) {
        av.system_mem -= released;
        st(av.top + 8, (top_size - released) | kPrevInuse);
        return 1;
      }
    }
  }
  return 0;
}

int MissingPaths::malloc_trim(uint64_t pad) {
  ensure_initialized();
  malloc_consolidate();
  MallocState& av = d_->main_arena;
  const uint64_t psm1 = kPageSize - 1;
  const int psindex = 99;  // bin_index (4096) = largebin_index_64: 91 + (4096 >> 9)
  int result = 0;
  for (int i = 1; i < kNBins; ++i) {
    if (i != 1 && i < psindex) continue;
    Addr bin = reinterpret_cast<Addr>(&av) + 0x60 + (static_cast<uint64_t>(i) - 1) * 0x10;
    for (Addr p = ld(bin + 0x18); p != bin; p = ld(p + 0x18)) {
      uint64_t size = csize(p);
      if (size > psm1 + 0x30) {  // sizeof (struct malloc_chunk)
        Addr paligned = (p + 0x30 + psm1) & ~psm1;
        size -= paligned - p;
        if (size > psm1) {
          ::madvise(reinterpret_cast<void*>(paligned), size & ~psm1, MADV_DONTNEED);
          result = 1;
        }
      }
    }
  }
  return result | systrim(pad);
}

struct mallinfo2 MissingPaths::mallinfo2() {
  ensure_initialized();
  struct mallinfo2 m;
  std::memset(&m, 0, sizeof m);
  MallocState& av = d_->main_arena;
  uint64_t avail = csize(av.top);
  uint64_t nblocks = 1, nfastblocks = 0, fastavail = 0;
  for (int i = 0; i < kNFastBins; ++i) {
    for (Addr p = av.fastbinsY[i]; p != 0; p = protect_ptr(p + 0x10, ld(p + 0x10))) {
      if (misaligned_chunk(p)) printerr(msg::kMallinfoUnaligned);
      ++nfastblocks;
      fastavail += csize(p);
    }
  }
  avail += fastavail;
  for (int i = 1; i < kNBins; ++i) {
    Addr b = reinterpret_cast<Addr>(&av) + 0x60 + (static_cast<uint64_t>(i) - 1) * 0x10;
    for (Addr p = ld(b + 0x18); p != b; p = ld(p + 0x18)) {
      ++nblocks;
      avail += csize(p);
    }
  }
  m.smblks = nfastblocks;
  m.ordblks = nblocks;
  m.fordblks = avail;
  m.uordblks = av.system_mem - avail;
  m.arena = av.system_mem;
  m.fsmblks = fastavail;
  m.hblks = static_cast<size_t>(d_->mp_.n_mmaps);
  m.hblkhd = d_->mp_.mmapped_mem;
  m.usmblks = 0;
  m.keepcost = csize(av.top);
  return m;
}

}  // namespace heaptwin::preload
