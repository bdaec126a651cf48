// Giving memory back: systrim shrinks the break when top has grown past what the pad keeps, and
// munmap_chunk releases an mmapped chunk.
#include "allocator/abort_messages.h"
#include "allocator/allocator.h"
#include "allocator/bins.h"
#include "allocator/dcheck.h"

namespace heaptwin::alloc {

int Allocator::systrim(uint64_t pad) {
  const uint64_t pagesize = profile_.page_size;
  int64_t top_size = static_cast<int64_t>(chunksize(top()));
  int64_t top_area = top_size - static_cast<int64_t>(kMinSize) - 1;
  // glibc compares `long top_area <= size_t pad`: the long converts to unsigned, so a huge pad
  // (malloc_trim(-1)) trims nothing, and a tiny top (negative area) never returns early here.
  if (static_cast<uint64_t>(top_area) <= pad) return 0;
  int64_t extra = static_cast<int64_t>(align_down(static_cast<uint64_t>(top_area) - pad, pagesize));
  if (extra == 0) return 0;
  HEAPTWIN_TWIN_DCHECK(static_cast<uint64_t>(extra) % pagesize == 0);
  // Only when the break is still where we left it (no foreign sbrk).
  uint64_t current_brk = memory_->sbrk(0);
  if (current_brk != top().raw() + static_cast<uint64_t>(top_size)) return 0;
  // MORECORE (-extra): glibc's long negation wraps (gcc, two's complement); INT64_MIN stays itself.
  memory_->sbrk(static_cast<int64_t>(uint64_t{0} - static_cast<uint64_t>(extra)));
  uint64_t new_brk = memory_->sbrk(0);
  refresh_heap_range();
  if (new_brk == Memory::kFailure) return 0;
  uint64_t released = current_brk - new_brk;
  if (released == 0) return 0;
  av().system_mem -= released;
  set_head(top(), (static_cast<uint64_t>(top_size) - released) | kPrevInuse);
  return 1;
}

void Allocator::munmap_chunk(ChunkAddr p) {
  const uint64_t pagesize = profile_.page_size;
  uint64_t size = chunksize(p);
  UserAddr mem = chunk2mem(p);
  Addr block = p.raw() - mmap_base_offset(p);  // the mapping
  uint64_t total_size = mmap_size(p);
  uint64_t in_page = mem.raw() & (pagesize - 1);
  bool power_of_two = (in_page & (in_page - 1)) == 0;         // glibc's powerof2 (0 counts)
  if (!profile_.mmapped_pointer_checks) power_of_two = true;  // 2.29 added that test
  if (((block | total_size) & (pagesize - 1)) != 0 || !power_of_two) {
    malloc_printerr(msg::kMunmapInvalidPointer, mem);
  }
  --mp().n_mmaps;
  mp().mmapped_mem -= total_size;
  memory_->munmap(block, total_size);
  refresh_heap_range();
}

}  // namespace heaptwin::alloc
