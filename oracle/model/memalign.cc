// memalign, aligned_alloc (the same function in 2.36), posix_memalign, valloc, pvalloc.
// Alignment <= 16 is plain malloc. Otherwise: round the alignment up to a power of two (at least
// 32), int_malloc nb + alignment + MINSIZE, and find the first aligned spot at least MINSIZE into
// that chunk; the leader before it and a tail beyond nb + MINSIZE are freed through int_free.
// A mapping is just shifted to the aligned spot.
//
// Heap offsets say nothing about alignments above a page (the heap base is only known to be
// page aligned), so those have no opinion.
#include <cerrno>

#include "oracle/model/policy.h"

namespace heaptwin::model {

namespace {
bool power_of_two(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }
}  // namespace

Alloc Policy::aligned(AlignedKind kind, uint64_t alignment, uint64_t bytes) {
  ptmalloc_init();
  switch (kind) {
    case AlignedKind::kMemalign:
    case AlignedKind::kAlignedAlloc: break;
    case AlignedKind::kPosixMemalign:
      if (alignment % kSizeSz != 0 || !power_of_two(alignment / kSizeSz))
        return Alloc::fail(EINVAL);
      break;
    case AlignedKind::kValloc: alignment = kPageSize; break;
    case AlignedKind::kPvalloc: {
      alignment = kPageSize;
      if (bytes > UINT64_MAX - (kPageSize - 1)) return Alloc::fail(ENOMEM);
      // glibc 2.36 masks with -(pagesize - 1), which keeps bit 0: reproduced as is.
      bytes = (bytes + kPageSize - 1) & (0 - (kPageSize - 1));
      break;
    }
  }
  if (alignment <= kAlignment) {
    Alloc a = malloc(bytes);
    if (a.null && kind == AlignedKind::kPosixMemalign) a.error = ENOMEM;
    return a;
  }
  if (alignment < kMinSize) alignment = kMinSize;
  if (alignment > (UINT64_MAX / 2) + 1) return Alloc::fail(EINVAL);
  if (!power_of_two(alignment)) {
    uint64_t a = 2 * kAlignment;
    while (a < alignment) a <<= 1;
    alignment = a;
  }
  Alloc a = int_memalign(alignment, bytes);
  if (a.null && kind == AlignedKind::kPosixMemalign) a.error = ENOMEM;
  return a;
}

Alloc Policy::int_memalign(uint64_t alignment, uint64_t bytes) {
  if (bytes > kPtrdiffMax || alignment > kPtrdiffMax) return Alloc::fail(ENOMEM);
  const uint64_t nb = request2size(bytes);
  if (nb + alignment + kMinSize > kPtrdiffMax) return Alloc::fail(ENOMEM);
  if (alignment > kPageSize) return give_up("alignment above a page");
  const Alloc m = int_malloc(request2size(nb + alignment + kMinSize));
  if (m.null) return m;

  if (m.block.mmapped) {
    Mapping& map = mapping_of(m.block.where);
    const uint64_t user = map.lead + 2 * kSizeSz;  // within the page-aligned mapping
    if (user % alignment != 0) {
      uint64_t spot = align_up(user, alignment) - 2 * kSizeSz;
      if (spot - map.lead < kMinSize) spot += alignment;
      map.lead = spot;
    }
    Alloc a = m;
    a.chunk_size = map.chunk_size();
    a.page_offset = (map.lead + 2 * kSizeSz) & (kPageSize - 1);
    return a;
  }

  uint64_t p = m.block.where;
  const uint64_t user = p + 2 * kSizeSz;
  if (user % alignment != 0) {
    uint64_t spot = align_up(user, alignment) - 2 * kSizeSz;
    if (spot - p < kMinSize) spot += alignment;
    const uint64_t aligned_chunk = heap_.split(p, spot - p);
    int_free(p);  // the leader
    p = aligned_chunk;
  }
  if (heap_.at(p).size > nb + kMinSize) int_free(heap_.split(p, nb));
  return heap_alloc(p);
}

}  // namespace heaptwin::model
