// mallopt, malloc_trim and malloc_usable_size.
#include <cstddef>
#include <cstring>

#include "allocator/abort_messages.h"
#include "allocator/allocator.h"
#include "allocator/bins.h"

namespace heaptwin::alloc {

namespace {
// mallopt parameter numbers (malloc.h).
constexpr int kMxFast = 1, kTrimThreshold = -1, kTopPad = -2, kMmapThreshold = -3, kMmapMax = -4,
              kCheckAction = -5, kPerturb = -6, kArenaTest = -7, kArenaMax = -8;
}  // namespace

int Allocator::mallopt(int param_number, int value) {
  if (!malloc_initialized()) ptmalloc_init();
  // Consolidate before changing max_fast (and, in glibc, for every parameter); 2.43 has no
  // fastbins, and M_MXFAST does nothing but return 1 (do_set_mxfast).
  if (profile_.fastbins) malloc_consolidate();
  // The helpers take size_t: a negative int wraps to a huge value.
  const uint64_t v = static_cast<uint64_t>(static_cast<int64_t>(value));
  const MallocParFields& m = mp();
  int res = 1;
  switch (param_number) {
    case kMxFast:
      if (!profile_.fastbins) break;
      if (v > kMaxFastSize) {
        res = 0;
        break;
      }
      libc_.set_max_fast(max_fast_for(v, profile_.max_fast_never_zero));
      break;
    case kTrimThreshold:
      m.trim_threshold = v;
      m.no_dyn_threshold = 1;
      break;
    case kTopPad:
      m.top_pad = v;
      m.no_dyn_threshold = 1;
      break;
    case kMmapThreshold:
      if (mmap_threshold_allowed(v)) {
        m.mmap_threshold = v;
        m.no_dyn_threshold = 1;
      } else
        res = 0;  // res = do_set_mmap_threshold (value) since 2.25
      break;
    case kMmapMax:
      m.n_mmaps_max = value;
      m.no_dyn_threshold = 1;
      break;
    case kCheckAction:
      if (profile_.check_action) check_action_ = value;
      break;  // before 2.26
    case kPerturb: perturb_byte() = value; break;
    case kArenaTest:
      if (value > 0) m.arena_test = v;
      break;
    case kArenaMax:
      if (value > 0) m.arena_max = v;
      break;
    default: break;
  }
  return res;
}

int Allocator::malloc_trim(uint64_t pad) {
  if (!malloc_initialized()) ptmalloc_init();
  if (!arenas_modelled()) return mtrim(pad);
  // Every arena, round the list from main_arena, each under its lock.
  int result = 0;
  Addr ar_ptr = main_arena();
  uint64_t steps = 0;
  do {
    guard_endless_loop(&steps);
    if (ar_ptr != main_arena()) {
      if (!owned(ar_ptr, sizeof(MallocState))) report_fault(fatal_, ar_ptr);  // the lock's write
      // A forged arena whose mutex is held: glibc waits for ever.
      if (static_cast<uint32_t>(load(ar_ptr)) != 0) report_hang(fatal_);
    }
    use_arena(ar_ptr);
    result |= mtrim(pad);
    leave_arena();
    ar_ptr = load(ar_ptr + offsetof(MallocState, next));
  } while (ar_ptr != main_arena());
  return result;
}

int Allocator::mtrim(uint64_t pad) {
  if (profile_.fastbins) malloc_consolidate();
  const uint64_t ps = profile_.page_size;
  const uint64_t psm1 = ps - 1;
  const uint32_t psindex = bin_index(ps);
  int result = 0;
  for (uint32_t i = 1; i < kNBins; ++i) {
    if (i != 1 && i < psindex) continue;
    ChunkAddr bin = bin_at(i);
    uint64_t steps = 0;
    for (ChunkAddr p = bk(bin); p != bin; p = bk(p)) {
      guard_endless_loop(&steps);
      uint64_t size = chunksize(p);
      if (size > psm1 + 0x30) {  // sizeof (struct malloc_chunk)
        Addr paligned_mem = (p.raw() + 0x30 + psm1) & ~psm1;
        // glibc's two asserts (the second fails for a size that wraps the address space).
        if (!(p.raw() + 0x10 + 0x20 <= paligned_mem)) assert_failed(Assertion::kMtrimHeader);
        if (!(p.raw() + size > paligned_mem)) assert_failed(Assertion::kMtrimEnd);
        size -= paligned_mem - p.raw();
        if (size > psm1) {
          // madvise (MADV_DONTNEED): the pages read back as zeros.
          uint64_t n = size & ~psm1;
          // Each page released is work too: a bin that loops (glibc hangs there) must reach
          // the hang guard in seconds, not after 2^26 madvise calls of many pages each.
          steps += n / ps;
          if (!memory_->discard(paligned_mem, n)) {
            report_unmodelled(fatal_,
                              "malloc_trim's madvise reaches past the memory the twin models");
          }
          result = 1;
        }
      }
    }
  }
  // Only main_arena's top goes back here; another arena's heaps shrink in free (heap_trim).
  return result | (arena_ == libc_.main_arena ? systrim(pad) : 0);
}

uint64_t Allocator::malloc_usable_size(UserAddr mem) {
  if (mem == 0) return 0;
  return musable(mem);
}

uint64_t Allocator::musable(UserAddr mem) const {
  ChunkAddr p = mem2chunk(mem);
  if (chunk_is_mmapped(p)) {
    // memsize (p) from 2.43: the chunk's size leaves the header out.
    return chunksize(p) - kChunkHdrSz + (profile_.mmap_chunk_offset ? kSizeSz : 0);
  }
  if (inuse_bit_at_offset(p, chunksize(p))) return chunksize(p) - kChunkHdrSz + kSizeSz;
  return 0;
}

}  // namespace heaptwin::alloc
