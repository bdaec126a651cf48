// The heaps of non-main arenas (glibc 2.36 arena.c): each a HEAP_MAX_SIZE (64 MiB) aligned
// reservation whose first `size` bytes are readable and writable, with a heap_info at its start
// naming its arena and the arena's previous heap. sysmalloc grows top's heap (grow_heap), or
// chains a new one; free trims the last heap (heap_trim): it goes away when its top is all it
// holds and the previous heap's end can take the top back, else its top shrinks.
#include <cstddef>

#include "allocator/allocator.h"
#include "allocator/bins.h"
#include "allocator/dcheck.h"

namespace heaptwin::alloc {

namespace {
constexpr uint64_t kHeapMinSize = 32 * 1024;  // HEAP_MIN_SIZE
constexpr uint64_t kPrev = offsetof(HeapInfo, prev);
constexpr uint64_t kSize = offsetof(HeapInfo, size);
constexpr uint64_t kMprotectSize = offsetof(HeapInfo, mprotect_size);
constexpr uint64_t kPagesize = offsetof(HeapInfo, pagesize);
}  // namespace

// new_heap (alloc_new_heap): size plus top_pad within [HEAP_MIN_SIZE, HEAP_MAX_SIZE], page
// rounded. The reservation: at aligned_heap_area (the aligned upper half the last one left),
// else 128 MiB cut to its aligned 64 MiB (remembering the upper half when the cut was at its
// start, so consecutive heaps need not scatter).
Addr Allocator::new_heap(uint64_t size, uint64_t top_pad) {
  if (mp().hp_pagesize != 0) {
    report_unmodelled(fatal_, "a non-main arena's heap of huge pages (glibc.malloc.hugetlb)");
  }
  const uint64_t pagesize = profile_.page_size;
  const uint64_t max_size = kHeapMaxSize;
  if (size + top_pad < kHeapMinSize) {
    size = kHeapMinSize;
  } else if (size + top_pad <= max_size) {
    size += top_pad;
  } else if (size > max_size) {
    return 0;
  } else {
    size = max_size;
  }
  size = align_up(size, pagesize);
  Addr p2 = Memory::kFailure;
  if (aligned_heap_area_ != 0) {
    p2 = memory_->reserve(aligned_heap_area_, max_size);
    aligned_heap_area_ = 0;
    if (p2 != Memory::kFailure && (p2 & (max_size - 1)) != 0) {
      memory_->munmap(p2, max_size);
      p2 = Memory::kFailure;
    }
  }
  if (p2 == Memory::kFailure) {
    const Addr p1 = memory_->reserve(0, max_size << 1);
    if (p1 != Memory::kFailure) {
      p2 = align_up(p1, max_size);
      const uint64_t ul = p2 - p1;
      if (ul != 0) {
        memory_->munmap(p1, ul);
      } else {
        aligned_heap_area_ = p2 + max_size;
      }
      memory_->munmap(p2 + max_size, max_size - ul);
    } else {
      // Perhaps a 64 MiB reservation happens to be aligned.
      p2 = memory_->reserve(0, max_size);
      if (p2 == Memory::kFailure) return 0;
      if ((p2 & (max_size - 1)) != 0) {
        memory_->munmap(p2, max_size);
        return 0;
      }
    }
  }
  if (!memory_->make_accessible(p2, size)) {
    memory_->munmap(p2, max_size);
    return 0;
  }
  store(p2 + kSize, size);
  store(p2 + kMprotectSize, size);
  store(p2 + kPagesize, pagesize);
  return p2;
}

bool Allocator::grow_heap(Addr h, int64_t diff) {
  const uint64_t pagesize = load(h + kPagesize);
  // glibc's (long) h->size + diff wraps for a request near 2^63 (gcc's signed add); summed
  // unsigned here, as signed it is undefined (UBSan: fuzz target threads, malloc 0x7fff...ffff on
  // a thread), then compared unsigned as glibc compares it.
  const int64_t new_size =
      static_cast<int64_t>(load(h + kSize) + align_up(static_cast<uint64_t>(diff), pagesize));
  if (static_cast<uint64_t>(new_size) > kHeapMaxSize) return false;
  const uint64_t mprotect_size = load(h + kMprotectSize);
  if (static_cast<uint64_t>(new_size) > mprotect_size) {
    if (!memory_->make_accessible(h + mprotect_size,
                                  static_cast<uint64_t>(new_size) - mprotect_size)) {
      return false;
    }
    store(h + kMprotectSize, static_cast<uint64_t>(new_size));
  }
  store(h + kSize, static_cast<uint64_t>(new_size));
  return true;
}

// The pages past the new size are given back (MADV_DONTNEED: they read as zeros) but stay
// mapped and writable: glibc remaps them PROT_NONE only under strict overcommit
// (vm.overcommit_memory 2), which the twin does not model.
bool Allocator::shrink_heap(Addr h, int64_t diff) {
  const int64_t new_size = static_cast<int64_t>(load(h + kSize)) - diff;
  if (new_size < static_cast<int64_t>(sizeof(HeapInfo))) return false;
  memory_->discard(h + static_cast<uint64_t>(new_size), static_cast<uint64_t>(diff));
  store(h + kSize, static_cast<uint64_t>(new_size));
  return true;
}

void Allocator::delete_heap(Addr h) {
  if (h + kHeapMaxSize == aligned_heap_area_) aligned_heap_area_ = 0;
  memory_->munmap(h, kHeapMaxSize);
}

int Allocator::heap_trim(Addr heap, uint64_t pad) {
  const Addr ar_ptr = load(heap);
  HEAPTWIN_TWIN_DCHECK(ar_ptr == reinterpret_cast<Addr>(arena_) + arena_offset_);
  MallocState& a = av();
  ChunkAddr top_chunk = top();
  const uint64_t max_size = kHeapMaxSize;
  uint64_t steps = 0;
  // Can this heap go away completely?
  while (top_chunk == ChunkAddr{heap + sizeof(HeapInfo)}) {
    guard_endless_loop(&steps);
    const Addr prev_heap = load(heap + kPrev);
    const uint64_t prev_heap_size = load(prev_heap + kSize);
    const uint64_t fencepost_at = prev_heap_size - (kMinSize - 2 * kSizeSz);
    ChunkAddr p{prev_heap + fencepost_at};
    const uint64_t misalign = p.raw() & kMallocAlignMask;
    p = p.minus(misalign);  // the fencepost, aligned
    if (chunksize_nomask(p) != (0 | kPrevInuse)) assert_failed(Assertion::kHeapTrimFencepost);
    p = p.minus(prev_size(p));
    int64_t new_size = static_cast<int64_t>(chunksize(p) + (kMinSize - 2 * kSizeSz) + misalign);
    if (!(new_size > 0 && new_size < static_cast<int64_t>(2 * kMinSize))) {
      assert_failed(Assertion::kHeapTrimFencepostSize);
    }
    if (!prev_inuse(p)) new_size += static_cast<int64_t>(prev_size(p));
    if (!(new_size > 0 && new_size < static_cast<int64_t>(max_size))) {
      assert_failed(Assertion::kHeapTrimNewSize);
    }
    if (static_cast<uint64_t>(new_size) + (max_size - prev_heap_size) <
        pad + kMinSize + load(heap + kPagesize)) {
      break;
    }
    a.system_mem -= load(heap + kSize);
    delete_heap(heap);
    heap = prev_heap;
    if (!prev_inuse(p)) {  // consolidate backward
      p = p.minus(prev_size(p));
      unlink_chunk(p);
    }
    const Addr end = p.raw() + static_cast<uint64_t>(new_size);
    if ((end & (load(heap + kPagesize) - 1)) != 0) assert_failed(Assertion::kHeapTrimPageEnd);
    if (end != heap + load(heap + kSize)) assert_failed(Assertion::kHeapTrimHeapEnd);
    top_chunk = p;
    set_top(top_chunk);
    set_head(top_chunk, static_cast<uint64_t>(new_size) | kPrevInuse);
  }
  // As systrim: keep the pad, release whole pages.
  const int64_t top_size = static_cast<int64_t>(chunksize(top_chunk));
  if (static_cast<uint64_t>(top_size) < mp().trim_threshold) return 0;
  const int64_t top_area = top_size - static_cast<int64_t>(kMinSize) - 1;
  if (top_area < 0 || static_cast<uint64_t>(top_area) <= pad) return 0;
  const int64_t extra = static_cast<int64_t>(
      align_down(static_cast<uint64_t>(top_area) - pad, load(heap + kPagesize)));
  if (extra == 0) return 0;
  if (!shrink_heap(heap, extra)) return 0;
  a.system_mem -= static_cast<uint64_t>(extra);
  set_head(top_chunk, static_cast<uint64_t>(top_size - extra) | kPrevInuse);
  return 1;
}

// sysmalloc for a non-main arena, after its mmap attempt: grow the heap top lies in, else chain
// a new heap after a fencepost (the old top, less MINSIZE, is freed), else map the request.
UserAddr Allocator::sysmalloc_heaps(uint64_t nb, bool tried_mmap) {
  MallocState& a = av();
  const ChunkAddr old_top = top();
  uint64_t old_size = chunksize(old_top);
  const Addr old_heap = heap_for_ptr(old_top);
  const uint64_t old_heap_size = load(old_heap + kSize);
  const int64_t need = static_cast<int64_t>(kMinSize + nb - old_size);
  if (need > 0 && grow_heap(old_heap, need)) {
    a.system_mem += load(old_heap + kSize) - old_heap_size;
    set_head(old_top, (old_heap + load(old_heap + kSize) - old_top.raw()) | kPrevInuse);
    return 0;
  }
  if (const Addr heap = new_heap(nb + (kMinSize + sizeof(HeapInfo)), mp().top_pad)) {
    store(heap, reinterpret_cast<Addr>(arena_) + arena_offset_);  // ar_ptr
    store(heap + kPrev, old_heap);
    a.system_mem += load(heap + kSize);
    set_top(ChunkAddr{heap + sizeof(HeapInfo)});
    set_head(top(), (load(heap + kSize) - sizeof(HeapInfo)) | kPrevInuse);
    // A fencepost of at least MINSIZE (it may become top again), footer included.
    old_size = (old_size - kMinSize) & ~kMallocAlignMask;
    set_head(chunk_at_offset(old_top, old_size + kChunkHdrSz), 0 | kPrevInuse);
    if (old_size >= kMinSize) {
      set_head(chunk_at_offset(old_top, old_size), kChunkHdrSz | kPrevInuse);
      set_foot(chunk_at_offset(old_top, old_size), kChunkHdrSz);
      set_head(old_top, old_size | kPrevInuse | kNonMainArena);
      free_in_malloc(old_top);
    } else {
      set_head(old_top, (old_size + kChunkHdrSz) | kPrevInuse);
      set_foot(old_top, old_size + kChunkHdrSz);
    }
    return 0;
  }
  if (!tried_mmap) {
    const UserAddr mm = sysmalloc_mmap(nb);
    if (mm != kMmapFailed) return mm;
  }
  return 0;
}

}  // namespace heaptwin::alloc
