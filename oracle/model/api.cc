// The libc entry points that need no policy of their own: malloc (tcache first), calloc (never
// the tcache), free, malloc_usable_size, mallopt, malloc_trim; and the lazy creation of the
// tcache struct (an ordinary 0x290 chunk from int_malloc) on the first malloc, calloc, realloc or
// heap free. memalign and friends do not create it (they call _int_memalign directly).
#include <cerrno>

#include "oracle/model/policy.h"
#include "oracle/model/unmodelled.h"

namespace heaptwin::model {

namespace {
constexpr uint64_t kTcacheStructSize = 0x290;  // uint16_t counts[64] + entries[64], 2.30+
}  // namespace

void Policy::reset(const Params& params) {
  par_ = params;
  heap_.clear();
  bins_.clear();
  bins_.bug = params.bug;
  initialized_ = false;
  tcache_present_ = false;
  last_remainder_.reset();
  have_fastchunks_ = false;
  system_mem_ = max_system_mem_ = 0;
  mmaps_.clear();
  next_mmap_id_ = 1;
  n_mmaps_ = max_n_mmaps_ = 0;
  mmapped_mem_ = max_mmapped_mem_ = 0;
  unmodelled_ = nullptr;
}

Alloc Policy::give_up(const char* why) {
  if (!unmodelled_) unmodelled_ = why;
  return given_up();
}

bool Policy::ensure_tcache() {
  if (tcache_present_) return true;
  const Alloc a = int_malloc(kTcacheStructSize);
  if (a.null || a.block.mmapped) {
    give_up("tcache struct not carved from the heap");  // unless int_malloc gave up first
    return false;
  }
  tcache_present_ = true;
  return true;
}

Alloc Policy::malloc(uint64_t bytes) {
  ptmalloc_init();
  if (bytes > kPtrdiffMax) return Alloc::fail(ENOMEM);
  const uint64_t nb = request2size(bytes);
  if (!ensure_tcache()) return given_up();
  const uint64_t tc = tcache_index(nb);
  if (tc < par_.tcache_bins && !bins_.tcache[tc].empty()) return heap_alloc(tcache_get(tc));
  return int_malloc(nb);
}

Alloc Policy::calloc(uint64_t count, uint64_t size) {
  unsigned __int128 bytes = static_cast<unsigned __int128>(count) * size;
  if (bytes > kPtrdiffMax) return Alloc::fail(ENOMEM);  // before ptmalloc_init
  ptmalloc_init();
  if (!ensure_tcache()) return given_up();
  return int_malloc(request2size(static_cast<uint64_t>(bytes)));
}

void Policy::free(Block b) {
  if (b.mmapped) {
    // The dynamic threshold: freeing a mapping above the threshold (up to 32 MiB) raises it.
    // glibc compares the size field with its IS_MMAPPED bit (0x2) still set.
    const uint64_t size = mapping(b.where).chunk_size();
    const uint64_t size_field = size | 2;
    if (!par_.no_dyn_threshold && size_field > par_.mmap_threshold &&
        size_field <= kDynMmapThresholdMax) {
      par_.mmap_threshold = size;
      par_.trim_threshold = 2 * size;
    }
    munmap_chunk(b.where);
    return;
  }
  if (!ensure_tcache()) return;
  int_free(b.where);
}

uint64_t Policy::usable_size(Block b) const {
  if (b.mmapped) return mapping(b.where).chunk_size() - 2 * kSizeSz;
  return heap_.at(b.where).size - kSizeSz;
}

int Policy::mallopt(int32_t param, int32_t value) {
  ptmalloc_init();
  malloc_consolidate();  // always, before any parameter changes
  return par_.set_by_mallopt(param, value);
}

int Policy::trim(uint64_t pad) {
  ptmalloc_init();
  malloc_consolidate();
  // Free chunks holding a whole page past their header get it madvised away: that is "released"
  // too, though placement does not change. glibc visits the unsorted bin and the bins from
  // bin_index(pagesize) up (of which only marked bins can hold chunks: bins.h).
  auto releases_a_page = [](const List& list) {
    for (const Rec& r : list) {
      constexpr uint64_t kFreeChunkHeader = 0x30;  // prev_size, size, fd, bk, fd/bk_nextsize
      if (r.size <= kPageSize - 1 + kFreeChunkHeader) continue;
      const uint64_t paligned = align_up(r.off + kFreeChunkHeader, kPageSize);
      if (r.size - (paligned - r.off) > kPageSize - 1) return true;
    }
    return false;
  };
  bool released = releases_a_page(bins_.unsorted());
  for (int i = bins_.marked.first_marked_from(bin_index(kPageSize)); i < kNumBins && !released;
       i = bins_.marked.first_marked_from(i + 1)) {
    released = releases_a_page(bins_.bins[i]);
  }
  const int result = released ? 1 : 0;
  return result | systrim(pad);
}

}  // namespace heaptwin::model
