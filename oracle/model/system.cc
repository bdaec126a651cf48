// What the arena asks of the system: sysmalloc (a mapping of its own for a big request, or a
// longer break), systrim (a shorter break), and munmap.
//   - mmap when nb >= mmap_threshold and fewer than mmap_max mappings exist: ALIGN_UP(nb + 8, 4096)
//     bytes, the user pointer 0x10 into the mapping.
//   - else the break grows by ALIGN_UP(nb + top_pad + MINSIZE - top size, 4096) (the first time:
//     no top yet) and nb is carved from the grown top.
//   - systrim gives back whole pages of top above pad + MINSIZE.
// The model assumes the break is the heap's alone (no foreign sbrk), and that the kernel grants
// anything up to 1 GiB and nothing beyond 128 TiB; in between it has no opinion.
#include "oracle/model/policy.h"

namespace heaptwin::model {

namespace {
constexpr uint64_t kSurelyGranted = 1ull << 30;
constexpr uint64_t kSurelyRefused = 1ull << 47;
}  // namespace

Alloc Policy::mmap_chunk(uint64_t nb) {
  const uint64_t size = align_up(nb + kSizeSz, kPageSize);
  if (size > kSurelyGranted) return give_up("mmap of more than 1 GiB");
  const uint64_t id = next_mmap_id_++;
  mmaps_.insert_or_assign(id, Mapping{size, 0});
  ++n_mmaps_;
  if (n_mmaps_ > max_n_mmaps_) max_n_mmaps_ = n_mmaps_;
  mmapped_mem_ += size;
  if (mmapped_mem_ > max_mmapped_mem_) max_mmapped_mem_ = mmapped_mem_;
  Alloc a;
  a.block = Block{true, id};
  a.chunk_size = size;
  a.page_offset = 0x10;
  return a;
}

Alloc Policy::sysmalloc(uint64_t nb) {
  if (nb >= kSurelyRefused) return Alloc::fail(ENOMEM);
  if (nb >= par_.mmap_threshold && n_mmaps_ < par_.n_mmaps_max) return mmap_chunk(nb);
  // A top_pad set from a negative int is a huge size_t: glibc's sums wrap (and sbrk's sign
  // decides), which this model does not state.
  if (par_.top_pad >= (uint64_t{1} << 40)) return give_up("a top_pad near 2^64");
  uint64_t grow = nb + par_.top_pad + kMinSize;
  if (heap_.started()) grow -= heap_.top_size();
  grow = align_up(grow, kPageSize);
  if (grow > kSurelyGranted) return give_up("growing the break by more than 1 GiB");
  if (heap_.started()) {
    heap_.grow_top(grow);
  } else {
    heap_.start(grow);
  }
  system_mem_ += grow;
  if (system_mem_ > max_system_mem_) max_system_mem_ = system_mem_;
  return heap_alloc(heap_.take_from_top(nb));
}

int Policy::systrim(uint64_t pad) {
  if (!heap_.started()) return 0;
  // glibc's top_area and extra are signed: with top at MINSIZE top_area is -1, which compares
  // above any pad as a size_t, so extra comes out negative and MORECORE(-extra) *grows* the
  // break by about pad: top grows and trim says 1, or sbrk refuses (a large pad) and it says 0.
  // How far the break can grow is the kernel's answer, not the model's.
  if (heap_.top_size() < kMinSize + 1) {
    give_up("systrim with top at MINSIZE: glibc grows the break by the pad, as far as sbrk allows");
    return 0;
  }
  const uint64_t top_area = heap_.top_size() - kMinSize - 1;
  if (top_area <= pad) return 0;
  const uint64_t extra = align_down(top_area - pad, kPageSize);
  if (extra == 0) return 0;
  heap_.shrink_top(extra);
  system_mem_ -= extra;
  return 1;
}

void Policy::munmap_chunk(uint64_t id) {
  mmapped_mem_ -= mapping(id).map_size;
  --n_mmaps_;
  mmaps_.erase(id);
}

}  // namespace heaptwin::model
