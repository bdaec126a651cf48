#include "oracle/heap_view.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <unordered_set>

namespace heaptwin {

namespace {

constexpr size_t kMaxListLength = 100000;
constexpr uint64_t kSizeBits = 0x7;
constexpr int64_t kNear = int64_t{1} << 32;
constexpr uint64_t kMallocStateBytes = 0x898;
constexpr uint64_t kMallocParBytes = 0x88;  // the largest layout; older ones read a little extra

std::string hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

template <typename T>
T load(const unsigned char* base, uint64_t offset) {
  T v;
  std::memcpy(&v, base + offset, sizeof v);
  return v;
}

class Walker {
 public:
  Walker(const MemoryReader& mem, const HeapLocation& loc) : mem_(mem), loc_(loc) {}

  bool in_heap(uint64_t addr, uint64_t bytes = 0x10) const {
    return addr >= loc_.heap_base && addr < loc_.heap_end && loc_.heap_end - addr >= bytes;
  }

  // A chunk reference: heap-relative when the chunk header lies inside the heap, else wild.
  // A wild pointer near the heap (within 4 GiB) is kept heap-relative too, one far away raw:
  // either way the same corruption reads the same in every process. Wild chunks' sizes are
  // not read (they would be whatever that process has there).
  ChunkRef ref(uint64_t chunk) const {
    ChunkRef r;
    uint64_t size = 0;
    if (in_heap(chunk)) {
      r.offset = static_cast<int64_t>(chunk - loc_.heap_base);
      if (mem_.read_u64(chunk + 8, &size)) r.size = size & ~kSizeBits;
    } else {
      r.wild = true;
      r.offset = near(chunk) ? static_cast<int64_t>(chunk - loc_.heap_base) : static_cast<int64_t>(chunk);
    }
    return r;
  }

  bool near(uint64_t addr) const {
    int64_t d = static_cast<int64_t>(addr - loc_.heap_base);
    return d > -kNear && d < kNear;
  }

  // An address in a `broken` note: relative to the heap when near it, so notes compare.
  std::string where(uint64_t addr) const {
    if (!near(addr)) return "far away";
    int64_t d = static_cast<int64_t>(addr - loc_.heap_base);
    return d < 0 ? "heap-" + hex(static_cast<uint64_t>(-d)) : "heap+" + hex(static_cast<uint64_t>(d));
  }

  // Follows a singly linked list of chunks. `link` is the offset of the next pointer inside the
  // chunk; `protect` reveals safe-linked pointers; `stop` ends the walk when met (circular lists).
  // `user_ptrs`: the list holds user pointers (tcache), not chunk addresses.
  BinList follow(uint64_t first, uint64_t link, bool protect, bool user_ptrs, uint64_t stop,
                 bool check_alignment) const {
    BinList list;
    // Cycles: the first links are compared with the list so far; a set is made only for a long
    // list (most are short, and a set per list per snapshot was a large part of its cost).
    constexpr size_t kLinearCycleCheck = 32;
    std::unordered_set<uint64_t> seen;
    uint64_t p = first;
    while (p != 0 && (list.chunks.empty() || p != stop)) {
      uint64_t chunk = user_ptrs ? p - 0x10 : p;
      ChunkRef r = ref(chunk);
      list.chunks.push_back(r);
      if (r.wild) {
        list.broken = "wild pointer " + where(p);
        break;
      }
      if (check_alignment && (p & 0xf) != 0) {
        list.chunks.back().size = 0;  // not a chunk glibc would accept
        list.broken = "unaligned pointer " + where(p);
        break;
      }
      bool again = false;
      if (list.chunks.size() <= kLinearCycleCheck) {
        const uint64_t back = user_ptrs ? 0x10 : 0;
        for (size_t k = 0; k + 1 < list.chunks.size() && !again; ++k) {
          const ChunkRef& c = list.chunks[k];
          again = static_cast<uint64_t>(c.offset) + loc_.heap_base + back == p;
        }
        if (list.chunks.size() == kLinearCycleCheck) {
          for (size_t k = 0; k < list.chunks.size(); ++k) {
            seen.insert(static_cast<uint64_t>(list.chunks[k].offset) + loc_.heap_base + back);
          }
        }
      } else {
        again = !seen.insert(p).second;
      }
      if (again) {
        list.chunks.pop_back();
        list.broken = "cycle back to " + where(chunk);
        break;
      }
      if (list.chunks.size() >= kMaxListLength) {
        list.broken = "longer than " + std::to_string(kMaxListLength);
        break;
      }
      uint64_t pos = (user_ptrs ? p : chunk) + link;
      uint64_t stored = 0;
      if (!mem_.read_u64(pos, &stored)) {
        list.broken = "unreadable link at " + where(pos);
        break;
      }
      p = protect ? reveal_ptr(pos, stored) : stored;
    }
    return list;
  }

 private:
  const MemoryReader& mem_;
  const HeapLocation& loc_;
};

ArenaSnapshot invalid(std::string reason) {
  ArenaSnapshot s;
  s.valid = false;
  s.invalid_reason = std::move(reason);
  return s;
}

}  // namespace

std::optional<GlibcLayout> glibc_layout(const std::string& version) {
  int major = 0, minor = 0;
  if (std::sscanf(version.c_str(), "%d.%d", &major, &minor) != 2 || major != 2) return std::nullopt;
  if (minor < 30 || minor > 41) return std::nullopt;  // counts are uint16_t from 2.30
  GlibcLayout l;
  l.version = version;
  l.safe_linking = minor >= 32;
  if (minor < 35) {
    // malloc_par before thp_pagesize/hp_pagesize/hp_flags: n_mmaps at 0x28, the rest 0x14 down.
    l.mp_n_mmaps = 0x28;
    l.mp_n_mmaps_max = 0x2c;
    l.mp_max_n_mmaps = 0x30;
    l.mp_no_dyn_threshold = 0x34;
    l.mp_mmapped_mem = 0x38;
    l.mp_max_mmapped_mem = 0x40;
    l.mp_sbrk_base = 0x48;
    l.mp_tcache_bins = 0x50;
    l.mp_tcache_max_bytes = 0x58;
    l.mp_tcache_count = 0x60;
    l.mp_tcache_unsorted_limit = 0x68;
  }
  return l;
}

ArenaSnapshot read_arena(const MemoryReader& mem, const HeapLocation& loc,
                         const GlibcLayout& layout) {
  if (loc.arena == 0 || loc.mp == 0 || loc.global_max_fast == 0) {
    return invalid("main_arena, mp_ or global_max_fast not located");
  }
  if (loc.heap_end < loc.heap_base) return invalid("heap end below heap base");
  unsigned char av[kMallocStateBytes];
  unsigned char mp[kMallocParBytes];
  if (!mem.read(loc.arena, av, sizeof av)) return invalid("main_arena unreadable at " + hex(loc.arena));
  if (!mem.read(loc.mp, mp, sizeof mp)) return invalid("mp_ unreadable at " + hex(loc.mp));
  ArenaSnapshot s;
  if (!mem.read_u64(loc.global_max_fast, &s.global_max_fast)) {
    return invalid("global_max_fast unreadable at " + hex(loc.global_max_fast));
  }
  const bool heap_exists = loc.heap_end > loc.heap_base;
  Walker walk(mem, loc);

  // Self-check of the location: mp_ knows where the heap starts, and small sane counts.
  uint64_t sbrk_base = load<uint64_t>(mp, layout.mp_sbrk_base);
  if (heap_exists && sbrk_base != loc.heap_base) {
    return invalid("mp_.sbrk_base " + hex(sbrk_base) + " is not the heap base " + hex(loc.heap_base));
  }
  if (!heap_exists && sbrk_base != 0) return invalid("mp_.sbrk_base set but no heap");
  if (layout.tcache && load<uint64_t>(mp, layout.mp_tcache_bins) > kTcacheBins) {
    return invalid("mp_.tcache_bins out of range: the mp_ address looks wrong");
  }
  if (s.global_max_fast > 0xb0) return invalid("global_max_fast " + hex(s.global_max_fast) + " out of range");

  // Top: glibc's initial_top (the unsorted bin head) until the heap exists.
  const uint64_t initial_top = layout.bin_at(loc.arena, 1);
  uint64_t top = load<uint64_t>(av, layout.top);
  if (top == 0 || top == initial_top) {
    if (heap_exists) return invalid("top is not in the heap although the heap exists");
  } else {
    if (!walk.in_heap(top)) return invalid("top " + hex(top) + " outside the heap");
    s.top = walk.ref(top);
    if (top + s.top.size > loc.heap_end) return invalid("top's size runs past the heap end");
  }

  // Bin heads: each is 0 (arena not initialised), itself (empty) or a heap chunk.
  int odd_heads = 0;
  for (int i = 1; i < kBins - 1; ++i) {
    uint64_t fd = load<uint64_t>(av, layout.bins + (i - 1) * 0x10);
    uint64_t head = layout.bin_at(loc.arena, i);
    if (fd != 0 && fd != head && !walk.in_heap(fd)) ++odd_heads;
  }
  if (odd_heads > 2) {
    return invalid(std::to_string(odd_heads) + " bin heads point neither at themselves nor into the heap");
  }

  s.valid = true;
  s.flags = load<int32_t>(av, layout.flags);
  s.have_fastchunks = layout.have_fastchunks >= 0 ? load<int32_t>(av, layout.have_fastchunks) : 0;
  s.system_mem = load<uint64_t>(av, layout.system_mem);
  s.max_system_mem = load<uint64_t>(av, layout.max_system_mem);
  for (int i = 0; i < 4; ++i) s.binmap[i] = load<uint32_t>(av, layout.binmap + 4 * i);
  uint64_t lr = load<uint64_t>(av, layout.last_remainder);
  s.last_remainder_null = lr == 0;
  if (lr != 0) {
    s.last_remainder = walk.ref(lr);
    // glibc never clears last_remainder: once its chunk is handed out or merged, it points into
    // a block in use, and the "size" there is whatever was written last (a freed neighbour's fd,
    // the tcache key): addresses and random values that differ between processes. Only a value
    // that can be a chunk size is reported; anything else reads as 0.
    const uint64_t size = s.last_remainder.size;
    if (size < 0x20 || (size & 0xf) != 0 || size > s.system_mem) s.last_remainder.size = 0;
  }

  MallocParSnapshot& p = s.mp;
  p.trim_threshold = load<uint64_t>(mp, layout.mp_trim_threshold);
  p.top_pad = load<uint64_t>(mp, layout.mp_top_pad);
  p.mmap_threshold = load<uint64_t>(mp, layout.mp_mmap_threshold);
  p.arena_test = load<uint64_t>(mp, layout.mp_arena_test);
  p.arena_max = load<uint64_t>(mp, layout.mp_arena_max);
  p.n_mmaps = load<int32_t>(mp, layout.mp_n_mmaps);
  p.n_mmaps_max = load<int32_t>(mp, layout.mp_n_mmaps_max);
  p.max_n_mmaps = load<int32_t>(mp, layout.mp_max_n_mmaps);
  p.no_dyn_threshold = load<int32_t>(mp, layout.mp_no_dyn_threshold);
  p.mmapped_mem = load<uint64_t>(mp, layout.mp_mmapped_mem);
  p.max_mmapped_mem = load<uint64_t>(mp, layout.mp_max_mmapped_mem);
  if (layout.tcache) {
    p.tcache_bins = load<uint64_t>(mp, layout.mp_tcache_bins);
    p.tcache_max_bytes = load<uint64_t>(mp, layout.mp_tcache_max_bytes);
    p.tcache_count = load<uint64_t>(mp, layout.mp_tcache_count);
    p.tcache_unsorted_limit = load<uint64_t>(mp, layout.mp_tcache_unsorted_limit);
  }

  if (layout.tcache && loc.tcache != 0) {
    const uint64_t bytes = layout.tcache_entries + 8 * kTcacheBins;
    unsigned char tc[0x80 + 8 * kTcacheBins];
    if (bytes > sizeof tc || !mem.read(loc.tcache, tc, bytes)) {
      return invalid("tcache struct unreadable at " + hex(loc.tcache));
    }
    s.tcache_present = true;
    for (int i = 0; i < kTcacheBins; ++i) {
      s.tcache_counts[i] = layout.tcache_count_bytes == 2 ? load<uint16_t>(tc, 2 * i)
                                                          : load<uint8_t>(tc, i);
      uint64_t head = load<uint64_t>(tc, layout.tcache_entries + 8 * i);
      s.tcache[i] = walk.follow(head, 0, layout.safe_linking, /*user_ptrs=*/true, 0, true);
    }
  }
  for (int i = 0; i < kFastBins; ++i) {
    uint64_t head = load<uint64_t>(av, layout.fastbins + 8 * i);
    s.fastbins[i] = walk.follow(head, 0x10, layout.safe_linking, false, 0, true);
  }
  for (int i = 1; i < kBins - 1; ++i) {
    uint64_t head = layout.bin_at(loc.arena, i);
    uint64_t fd = load<uint64_t>(av, layout.bins + (i - 1) * 0x10);
    if (fd == 0 || fd == head) continue;
    s.bins[i] = walk.follow(fd, 0x10, false, false, head, false);
    if (i >= 64 && !s.bins[i].chunks.empty() && !s.bins[i].chunks[0].wild) {
      // The nextsize ring starts at the bin's first (largest) chunk and returns to it.
      s.nextsize[i] = walk.follow(fd, 0x20, false, false, fd, false);
    }
  }
  return s;
}

std::vector<HeapChunk> walk_chunks(const MemoryReader& mem, const HeapLocation& loc,
                                   const GlibcLayout& layout, std::string* broken) {
  std::vector<HeapChunk> chunks;
  broken->clear();
  uint64_t top = 0;
  if (!mem.read_u64(loc.arena + layout.top, &top)) {
    *broken = "main_arena unreadable";
    return chunks;
  }
  uint64_t p = loc.heap_base;
  while (p + 0x10 <= loc.heap_end) {
    uint64_t size = 0;
    if (!mem.read_u64(p + 8, &size)) {
      *broken = "unreadable size at heap+" + hex(p - loc.heap_base);
      break;
    }
    HeapChunk c;
    c.offset = static_cast<int64_t>(p - loc.heap_base);
    c.size = size & ~kSizeBits;
    c.flags = size & kSizeBits;
    c.is_top = p == top;
    if (!c.is_top && (c.size < 0x20 || (c.size & 0xf) != 0 || c.size > loc.heap_end - p)) {
      *broken = "bad size " + hex(size) + " at heap+" + hex(p - loc.heap_base);
      break;
    }
    chunks.push_back(c);
    if (c.is_top) break;
    p += c.size;
  }
  if (broken->empty() && (chunks.empty() || !chunks.back().is_top) && top != 0 &&
      loc.heap_end > loc.heap_base) {
    *broken = "walk did not reach top";
  }
  return chunks;
}

}  // namespace heaptwin
