// _int_malloc: a request tries, in glibc's order, its fastbin, its small bin, the unsorted scan
// (after consolidating fastbins for a large request), its large bin, the next non-empty bin by
// the binmap, top, and finally sysmalloc; when top is too small while fastchunks exist, it
// consolidates and tries once more.
#include <cerrno>
#include <cstring>

#include "allocator/abort_messages.h"
#include "allocator/allocator.h"
#include "allocator/bins.h"
#include "allocator/dcheck.h"

namespace heaptwin::alloc {

UserAddr Allocator::int_malloc(uint64_t bytes) {
  uint64_t nb = checked_request2size(bytes);
  if (nb == 0) {
    errno_ = ENOMEM;
    return 0;
  }
  HEAPTWIN_TWIN_DCHECK(nb >= kMinSize && (nb & kMallocAlignMask) == 0);
  returned_cached_ = false;
  UserAddr p = int_malloc_paths(bytes, nb);
  // alloc_perturb on every path but the tcache chunk the unsorted scan returns.
  if (p != 0 && !returned_cached_) alloc_perturb(p, bytes);
  return p;
}

UserAddr Allocator::int_malloc_without_arena(uint64_t bytes) {
  const uint64_t nb = checked_request2size(bytes);
  if (nb == 0) {
    errno_ = ENOMEM;
    return 0;
  }
  UserAddr p = sysmalloc(nb);
  if (p != 0) alloc_perturb(p, bytes);
  return p;
}

void Allocator::perturb_fill(Addr p, uint64_t n, int byte) const {
  if (n == 0) return;
  before_memset(p, n);
  std::memset(reinterpret_cast<void*>(p), byte & 0xff, n);
  note_range(p, n);
}

void Allocator::before_memset(Addr p, uint64_t n) const {
  const bool faults = !owned(p, n);
  const uint64_t written = faults ? first_unowned(p) - p : n;
  if (memset_budget_ != 0 && written > memset_budget_) {
    report_unmodelled(fatal_,
                      "glibc writes more memory here than its time limit lets it (it may "
                      "finish, fault or time out, as fast as the machine is)");
  }
  if (faults) memset_fault(p, n);
}

// A forged size made a memset run past owned memory. Above x86's rep_stosb_threshold (2048 bytes
// by default) glibc's memset is `rep stosb`, forward: the fault is at the first byte not owned.
// Below it, the vector code stores the range's tail early, in an order that depends on which
// memset variant the CPU got.
void Allocator::memset_fault(Addr p, uint64_t n) const {
  constexpr uint64_t kRepStosbThreshold = 2048;
  if (n <= kRepStosbThreshold) {
    report_unmodelled(fatal_, "where memset faults depends on the CPU's memset variant");
  }
  report_fault(fatal_, first_unowned(p));
}

Addr Allocator::first_unowned(Addr p) const {
  const uint64_t page = profile_.page_size;
  while (owned(p, 1)) p = align_down(p, page) + page;  // owned memory is page-granular
  return p;
}

UserAddr Allocator::int_malloc_paths(uint64_t bytes, uint64_t nb) {
  uint32_t idx = 0;
  if (profile_.fastbins && nb <= global_max_fast()) {
    if (UserAddr p = fastbin_take(nb)) return p;
  }
  if (in_smallbin_range(nb)) {
    idx = smallbin_index(nb);
    if (profile_.lazy_arena_init && bk(bin_at(idx)) == 0) {
      malloc_consolidate();  // before 2.27: "initialization check"
    } else if (UserAddr p = smallbin_take(nb)) {
      return p;
    }
  } else {
    idx = largebin_index(nb);
    if (have_fastchunks()) malloc_consolidate();
  }

  UnsortedScan scan;
  uint64_t tc_idx = csize2tidx(nb);
  // 2.43: whether the tcache exists yet is asked only when a chunk would go there.
  if ((tcache_ != 0 || profile_.tcache_lazy) && tc_idx < mp().tcache_bins &&
      profile_.unsorted_stashes_exact_fits) {
    scan.tcache_nb = nb;
  }
  scan.tc_idx = tc_idx;

  for (;;) {
    if (UserAddr p = unsorted_scan(nb, &scan)) return p;
    if (!in_smallbin_range(nb)) {
      if (UserAddr p = large_bin_best_fit(nb, idx)) return p;
    }
    bool found = false;
    UserAddr p = binmap_search(nb, idx, &found);
    if (found) return p;

    // use_top
    ChunkAddr victim = top();
    uint64_t size = chunksize(victim);
    if (profile_.top_size_check && size > av().system_mem) malloc_printerr(msg::kCorruptedTopSize);
    if (arena_set_up_again_ && victim == initial_top() && size != 0) {
      // The initial top's "size" is last_remainder: glibc carves main_arena itself, and what
      // lies around it is each libc's own (the twin's data block is laid out otherwise).
      report_unmodelled(fatal_,
                        "glibc set its arena up again over live chunks (M_MXFAST 1..7) and "
                        "now carves main_arena itself; libc's data around it is its own");
    }
    if (size >= nb + kMinSize) return split_top(victim, size, nb);
    if (have_fastchunks()) {
      malloc_consolidate();
      idx = bin_index(nb);
      continue;
    }
    return sysmalloc(nb);
  }
}

UserAddr Allocator::split_to_unsorted(ChunkAddr victim, uint64_t size, uint64_t nb,
                                      const char* message, bool set_last_remainder) {
  HEAPTWIN_TWIN_DCHECK(size >= nb);  // every caller found a chunk that fits
  uint64_t remainder_size = size - nb;
  if (remainder_size < kMinSize) {
    set_inuse_bit_at_offset(victim, size);
    set_non_main_arena(victim);
    return chunk2mem(victim);
  }
  ChunkAddr remainder = chunk_at_offset(victim, nb);
  ChunkAddr bck = unsorted_chunks();
  ChunkAddr fwd = fd(bck);
  if (bk(fwd) != bck) malloc_printerr(message, chunk2mem(victim));
  set_bk(remainder, bck);
  set_fd(remainder, fwd);
  set_fd(bck, remainder);
  set_bk(fwd, remainder);
  if (set_last_remainder) av().last_remainder = remainder.raw();
  return finish_split(victim, nb, remainder, remainder_size);
}

UserAddr Allocator::finish_split(ChunkAddr victim, uint64_t nb, ChunkAddr remainder,
                                 uint64_t remainder_size) {
  if (!in_smallbin_range(remainder_size)) {
    set_fd_nextsize(remainder, 0);
    set_bk_nextsize(remainder, 0);
  }
  set_head(victim, nb | kPrevInuse | arena_bit_);
  set_head(remainder, remainder_size | kPrevInuse);
  set_foot(remainder, remainder_size);
  return chunk2mem(victim);
}

}  // namespace heaptwin::alloc
