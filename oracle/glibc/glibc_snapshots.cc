#include "oracle/glibc/glibc_snapshots.h"

#include <sys/uio.h>

#include <cstring>

#include "oracle/read_arena_heaps.h"

namespace heaptwin {

namespace {

// A snapshot's memory as the child copied it: reads outside those regions fail, as reads of
// unmapped memory would.
class CopiedMemory : public MemoryReader {
 public:
  void add(uint64_t addr, const unsigned char* bytes, uint64_t n) {
    regions_.push_back({addr, bytes, n});
  }
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

ChildMemory::ChildMemory(pid_t pid, uint64_t heap_base, uint64_t heap_end)
    : pid_(pid), base_(heap_base) {
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
  if (state.tcache_apart) {
    mem.add(loc.tcache, at, RUNNER_TCACHE_BYTES);
    at += RUNNER_TCACHE_BYTES;
  }
  for (uint32_t i = 0; i < state.other_heaps; ++i) {
    ArenaHeapRange heap;
    std::memcpy(&heap, at, sizeof heap);
    at += sizeof heap;
    mem.add(heap.start, at, heap.bytes);
    at += heap.bytes;
  }
  HeapLocation where = loc;
  where.threads = state.threads;
  for (uint32_t t = 1; t < ARENA_MAX_THREADS; ++t) {
    if (!(state.threads >> t & 1)) continue;
    RunnerThreadTcache thread;
    std::memcpy(&thread, at, sizeof thread);
    at += sizeof thread;
    where.thread_tcaches[t] = thread.tcache;
    mem.add(thread.tcache, at, thread.copied);
    at += thread.copied;
  }
  return read_arena(mem, where, layout);
}

HeapLocation runner_location(const LibcSymbols& symbols, uint64_t libc_base, uint64_t heap_base,
                             uint64_t heap_end, uint64_t tcache) {
  HeapLocation loc;
  loc.heap_base = heap_base;
  loc.heap_end = heap_end;
  loc.arena = libc_base + symbols.main_arena;
  loc.mp = libc_base + symbols.mp;
  loc.global_max_fast = libc_base + symbols.global_max_fast;
  if (symbols.tcache_tls != 0) {
    loc.tcache = tcache;  // malloc's own TLS pointer
  } else if (heap_end > heap_base) {
    loc.tcache = heap_base + 0x10;  // where the first malloc of a process puts it
  }
  return loc;
}

}  // namespace heaptwin
