#include "oracle/heap_image.h"

#include <cstring>

#include "oracle/read_arena_heaps.h"

namespace heaptwin {

namespace {
constexpr uint64_t kMallocStateBytes = 0x898;
constexpr uint64_t kMallocParBytes = 0x88;
constexpr uint64_t kMaxHeapBytes = 256u << 20;
constexpr size_t kMaxOtherHeaps = 64;

int read_word(void* ctx, uint64_t address, uint64_t* out) {
  return static_cast<const MemoryReader*>(ctx)->read_u64(address, out);
}
}  // namespace

void HeapImage::add(const MemoryReader& mem, uint64_t addr, uint64_t n) {
  if (addr == 0 || n == 0 || n > kMaxHeapBytes) return;
  Region r{addr, std::vector<unsigned char>(n)};
  if (mem.read(addr, r.bytes.data(), n)) regions_.push_back(std::move(r));
}

HeapImage HeapImage::capture(const MemoryReader& mem, const HeapLocation& loc,
                             const GlibcLayout& layout) {
  HeapImage image;
  image.loc = loc;
  image.layout = layout;
  image.add(mem, loc.heap_base, loc.heap_end - loc.heap_base);
  image.add(mem, loc.arena, kMallocStateBytes);
  image.add(mem, loc.mp, kMallocParBytes);
  image.add(mem, loc.global_max_fast, 8);
  if (loc.tcache != 0 && !(loc.tcache >= loc.heap_base && loc.tcache < loc.heap_end)) {
    image.add(mem, loc.tcache, layout.tcache_chunk_size);
  }
  // The threads' heaps, which the walk reads for the other arenas (none without threads).
  ArenaHeapRange heaps[kMaxOtherHeaps];
  const size_t n = arena_heap_ranges(read_word, const_cast<MemoryReader*>(&mem), loc.arena,
                                     layout.binmap + 16, layout.top, heaps, kMaxOtherHeaps);
  for (size_t i = 0; i < n; ++i) image.add(mem, heaps[i].start, heaps[i].bytes);
  // The other threads' tcache structs where no heap above holds them (an mmapped one).
  for (uint32_t t = 1; t < ARENA_MAX_THREADS; ++t) {
    const uint64_t tcache = loc.thread_tcaches[t];
    uint64_t word;
    if ((loc.threads >> t & 1) && tcache != 0 && !image.read(tcache, &word, 8)) {
      image.add(mem, tcache, layout.tcache_chunk_size);
    }
  }
  return image;
}

bool HeapImage::read(uint64_t addr, void* out, size_t n) const {
  for (const Region& r : regions_) {
    if (addr >= r.addr && addr - r.addr <= r.bytes.size() &&
        r.bytes.size() - (addr - r.addr) >= n) {
      std::memcpy(out, r.bytes.data() + (addr - r.addr), n);
      return true;
    }
  }
  return false;
}

bool HeapImage::write_u64(uint64_t addr, uint64_t value) {
  for (Region& r : regions_) {
    if (addr >= r.addr && addr - r.addr <= r.bytes.size() &&
        r.bytes.size() - (addr - r.addr) >= 8) {
      std::memcpy(r.bytes.data() + (addr - r.addr), &value, 8);
      return true;
    }
  }
  return false;
}

uint64_t HeapImage::u64(uint64_t addr) const {
  uint64_t v = 0;
  read(addr, &v, 8);
  return v;
}

}  // namespace heaptwin
