#include "oracle/glibc/glibc_snapshots.h"

#include <sys/uio.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace heaptwin {

namespace {

// A snapshot's memory as the child copied it: reads outside those regions fail, as reads of
// unmapped memory would.
class CopiedMemory : public MemoryReader {
 public:
  void add(uint64_t addr, const unsigned char* bytes, uint64_t n) { regions_.push_back({addr, bytes, n}); }
  bool read(uint64_t addr, void* out, size_t n) const override {
    for (const auto& r : regions_) {
      if (addr >= r.addr && addr - r.addr <= r.n && r.n - (addr - r.addr) >= n) {
        std::memcpy(out, r.bytes + (addr - r.addr), n);
        return true;
      }
    }
    return false;
  }

 private:
  struct Region {
    uint64_t addr;
    const unsigned char* bytes;
    uint64_t n;
  };
  std::vector<Region> regions_;
};

}  // namespace

ChildMemory::ChildMemory(pid_t pid, uint64_t heap_base, uint64_t heap_end) : pid_(pid), base_(heap_base) {
  uint64_t n = heap_end - heap_base;
  if (n > 0 && n <= (256u << 20)) {
    heap_.resize(n);
    if (!remote(heap_base, heap_.data(), n)) heap_.clear();
  }
}

bool ChildMemory::read(uint64_t addr, void* out, size_t n) const {
  if (addr >= base_ && addr - base_ <= heap_.size() && heap_.size() - (addr - base_) >= n) {
    std::memcpy(out, heap_.data() + (addr - base_), n);
    return true;
  }
  return remote(addr, out, n);
}

bool ChildMemory::remote(uint64_t addr, void* out, size_t n) const {
  struct iovec local = {out, n};
  struct iovec far = {reinterpret_cast<void*>(addr), n};
  return ::process_vm_readv(pid_, &local, 1, &far, 1, 0) == static_cast<ssize_t>(n);
}

ArenaSnapshot copied_snapshot(const RunnerState& state, const HeapLocation& loc,
                              const GlibcLayout& layout) {
  const unsigned char* at = reinterpret_cast<const unsigned char*>(&state) + sizeof state;
  CopiedMemory mem;
  mem.add(loc.arena, at, state.arena_bytes);
  at += state.arena_bytes;
  mem.add(loc.mp, at, state.mp_bytes);
  at += state.mp_bytes;
  mem.add(loc.global_max_fast, at, 8);
  at += 8;
  mem.add(loc.heap_base, at, state.heap_bytes);
  at += state.heap_bytes;
  if (state.tcache_apart) mem.add(loc.tcache, at, RUNNER_TCACHE_BYTES);
  return read_arena(mem, loc, layout);
}

ArenaLayout runner_arena_layout(const GlibcLayout& g) {
  ArenaLayout a;
  std::memset(&a, 0, sizeof a);
  int major = 0, minor = 0;
  if (std::sscanf(g.version.c_str(), "%d.%d", &major, &minor) == 2) a.minor = static_cast<uint32_t>(minor);
  a.safe_linking = g.safe_linking;
  a.has_tcache = g.tcache;
  a.tcache_count_bytes = static_cast<uint8_t>(g.tcache_count_bytes);
  a.tcache_entries = static_cast<uint32_t>(g.tcache_entries);
  a.flags = static_cast<uint32_t>(g.flags);
  a.have_fastchunks = static_cast<int32_t>(g.have_fastchunks);
  a.fastbins = static_cast<uint32_t>(g.fastbins);
  a.top = static_cast<uint32_t>(g.top);
  a.last_remainder = static_cast<uint32_t>(g.last_remainder);
  a.bins = static_cast<uint32_t>(g.bins);
  a.binmap = static_cast<uint32_t>(g.binmap);
  a.system_mem = static_cast<uint32_t>(g.system_mem);
  a.max_system_mem = static_cast<uint32_t>(g.max_system_mem);
  a.arena_bytes = static_cast<uint32_t>(g.max_system_mem + 8);  // sizeof(malloc_state)
  a.mp_trim_threshold = static_cast<uint32_t>(g.mp_trim_threshold);
  a.mp_top_pad = static_cast<uint32_t>(g.mp_top_pad);
  a.mp_mmap_threshold = static_cast<uint32_t>(g.mp_mmap_threshold);
  a.mp_arena_test = static_cast<uint32_t>(g.mp_arena_test);
  a.mp_arena_max = static_cast<uint32_t>(g.mp_arena_max);
  a.mp_n_mmaps = static_cast<uint32_t>(g.mp_n_mmaps);
  a.mp_n_mmaps_max = static_cast<uint32_t>(g.mp_n_mmaps_max);
  a.mp_max_n_mmaps = static_cast<uint32_t>(g.mp_max_n_mmaps);
  a.mp_no_dyn_threshold = static_cast<uint32_t>(g.mp_no_dyn_threshold);
  a.mp_mmapped_mem = static_cast<uint32_t>(g.mp_mmapped_mem);
  a.mp_max_mmapped_mem = static_cast<uint32_t>(g.mp_max_mmapped_mem);
  a.mp_sbrk_base = static_cast<uint32_t>(g.mp_sbrk_base);
  a.mp_tcache_bins = static_cast<uint32_t>(g.mp_tcache_bins);
  a.mp_tcache_max_bytes = static_cast<uint32_t>(g.mp_tcache_max_bytes);
  a.mp_tcache_count = static_cast<uint32_t>(g.mp_tcache_count);
  a.mp_tcache_unsorted_limit = static_cast<uint32_t>(g.mp_tcache_unsorted_limit);
  // read_arena reads 0x88 bytes of mp_ in every version (older ones a little past its end, still
  // libc's data): a copied state holds as much.
  a.mp_bytes = static_cast<uint32_t>(std::max<uint64_t>(g.mp_tcache_unsorted_limit + 8, 0x88));
  return a;
}

}  // namespace heaptwin
