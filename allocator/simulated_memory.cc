#include "allocator/simulated_memory.h"

#include "allocator/write_log.h"

#include <sys/mman.h>
#include <sys/sysinfo.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace heaptwin::alloc {

namespace {
constexpr uint64_t kPage = 4096;
constexpr uint64_t kAlign64M = uint64_t{64} << 20;
constexpr uint64_t kDataAboveMappings = uint64_t{1} << 20;
// Released memory is cleared where it is resident and kept (a page fault costs ~10 us in a VM,
// clearing a page ~0.1 us); only ranges beyond these spans go back to the kernel.
constexpr uint64_t kClearWholeBelow = uint64_t{64} << 10;  // smaller ranges: memset at once
constexpr uint64_t kKeptBrkSpan = uint64_t{256} << 20;     // of the break area above its base
constexpr uint64_t kKeptMmapSpan = uint64_t{256} << 20;    // of the mapping area below its top
uint64_t page_up(uint64_t v) { return (v + kPage - 1) & ~(kPage - 1); }
}  // namespace

SimulatedMemory::SimulatedMemory(const SimulatedMemoryOptions& options) : options_(options) {
  // Tools that cannot map terabytes of address space (valgrind) get smaller capacities.
  if (const char* gib = std::getenv("HEAPTWIN_SIMULATED_GIB"); gib && std::atoll(gib) > 0) {
    const uint64_t bytes = static_cast<uint64_t>(std::atoll(gib)) << 30;
    if (bytes < options_.brk_capacity) options_.brk_capacity = bytes;
    if (bytes < options_.mmap_capacity) options_.mmap_capacity = bytes;
  }
  if (options_.online_cpus == 0) options_.online_cpus = ::get_nprocs();
  if (options_.max_request == 0) {
    struct sysinfo info;
    options_.max_request =
        ::sysinfo(&info) == 0
            ? (static_cast<uint64_t>(info.totalram) + info.totalswap) * info.mem_unit
            : uint64_t{16} << 30;
  }
  options_.brk_capacity = page_up(options_.brk_capacity);
  options_.mmap_capacity = page_up(options_.mmap_capacity);
  options_.data_bytes = page_up(options_.data_bytes);
  // 80 MiB of slack to place the heap base, the brk area, a 4 GiB gap, the mapping area, and the
  // libc data above it: in a process, mmaps go below the libraries already mapped, so libc's
  // data (main_arena, whose unsorted bin is the initial top) lies above every mapped chunk, which
  // glibc's pointer comparisons against top can tell (an attack finding).
  reservation_size_ = kAlign64M + (uint64_t{16} << 20) + options_.brk_capacity +
                      (uint64_t{4} << 30) + options_.mmap_capacity + kDataAboveMappings +
                      options_.data_bytes;
  void* r = ::mmap(nullptr, reservation_size_, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (r == MAP_FAILED) {
    reservation_ = 0;
    return;
  }
  reservation_ = reinterpret_cast<uint64_t>(r);
  // 16 MiB above a 64 MiB boundary, like the glibc runner's heap (runner_main.c): alignments
  // above a page then give the same heap offsets, and heap_for_ptr's 64 MiB boundaries (a
  // NON_MAIN_ARENA chunk's heap_info) lie at the same heap offsets, the first at heap+0x3000000.
  brk_base_ = ((reservation_ + kAlign64M - 1) & ~(kAlign64M - 1)) + (uint64_t{16} << 20);
  brk_ = brk_committed_ = brk_base_;
  mmap_base_ = brk_base_ + options_.brk_capacity + (uint64_t{4} << 30);
  mmap_top_ = ((mmap_base_ + options_.mmap_capacity - (uint64_t{16} << 20)) & ~(kAlign64M - 1)) +
              (uint64_t{16} << 20);
  data_ = mmap_top_ + kDataAboveMappings;
  ::mprotect(reinterpret_cast<void*>(data_), options_.data_bytes, PROT_READ | PROT_WRITE);
  brk_pages_.init(brk_base_, std::min(kKeptBrkSpan, options_.brk_capacity));
  const uint64_t kept_mmap = std::min(kKeptMmapSpan, mmap_top_ - mmap_base_);
  mmap_pages_.init(mmap_top_ - kept_mmap, kept_mmap);
  data_pages_.init(data_, options_.data_bytes);
  brk_open_end_ = brk_base_;
  mmap_open_low_ = mmap_top_;
}

SimulatedMemory::~SimulatedMemory() {
  if (reservation_ != 0) ::munmap(reinterpret_cast<void*>(reservation_), reservation_size_);
}

void SimulatedMemory::commit(uint64_t from, uint64_t to) {
  if (to <= from) return;
  // Pages become accessible once and stay so (see release): only ranges never opened before
  // cost an mprotect. The break area opens upwards, the mapping area downwards.
  if (from >= mmap_base_) {
    if (from < mmap_open_low_) {
      ::mprotect(reinterpret_cast<void*>(from), mmap_open_low_ - from, PROT_READ | PROT_WRITE);
      mmap_open_low_ = from;
    }
    return;
  }
  if (to > brk_open_end_) {
    const uint64_t lo = from > brk_open_end_ ? from : brk_open_end_;
    ::mprotect(reinterpret_cast<void*>(lo), to - lo, PROT_READ | PROT_WRITE);
    brk_open_end_ = to;
  }
}

void SimulatedMemory::clear_resident(uint64_t from, uint64_t to) {
  if (to <= from) return;
  const uint64_t len = to - from;
  if (len <= kClearWholeBelow) {
    std::memset(reinterpret_cast<void*>(from), 0, len);
    return;
  }
  // Only pages that were touched hold anything: clearing the others would fault them in.
  const size_t pages = len / kPage;
  resident_.resize(pages);
  if (::mincore(reinterpret_cast<void*>(from), len, resident_.data()) != 0) {
    ::madvise(reinterpret_cast<void*>(from), len, MADV_DONTNEED);
    return;
  }
  for (size_t i = 0; i < pages; ++i) {
    if (resident_[i] & 1) std::memset(reinterpret_cast<void*>(from + i * kPage), 0, kPage);
  }
}

void SimulatedMemory::release(uint64_t from, uint64_t to) {
  if (to <= from) return;
  // Released pages must read back as zeros when they are handed out again, as fresh brk and mmap
  // pages do; whether the twin may touch them is owns()'s business, not the MMU's. Inside the
  // kept spans they stay resident: handing them back to the kernel would cost a page fault each
  // when used again, which in a virtual machine costs far more than clearing. Mappings lie
  // top-down from a fixed ceiling and the break starts at its base, so the same addresses come
  // back; what lies beyond the spans (a rare giant or far mapping) goes back to the kernel, so
  // resident memory stays bounded (a fuzzer ran out of memory when every mapping stayed).
  for (const WrittenPages* span : {&brk_pages_, &mmap_pages_}) {
    const uint64_t lo = from > span->lo() ? from : span->lo();
    const uint64_t hi = to < span->hi() ? to : span->hi();
    if (lo >= hi) continue;
    if (from < lo) release(from, lo);
    if (eager()) {
      clear_resident(lo, hi);
      (span == &brk_pages_ ? brk_pages_ : mmap_pages_).forget(lo, hi);
    }
    if (hi < to) release(hi, to);
    return;
  }
  ::madvise(reinterpret_cast<void*>(from), to - from, MADV_DONTNEED);
}

void SimulatedMemory::take_again(uint64_t from, uint64_t to) {
  brk_pages_.clear(from, to);
  mmap_pages_.clear(from, to);
}

void SimulatedMemory::zero(uint64_t addr, uint64_t n, const WriteLog* pending) {
  if (eager() || pending == nullptr || pending->overflowed || pending->ranges_overflowed) {
    std::memset(reinterpret_cast<void*>(addr), 0, n);
    return;
  }
  // The running op's writes so far count as written (the side marks them again after the op).
  note_words(pending->entries, pending->size);
  for (int i = 0; i < pending->range_count; ++i)
    note_written(pending->ranges[i].addr, pending->ranges[i].n);
  const uint64_t end = addr + n;
  constexpr uint64_t kLine = WrittenPages::kLine;
  for (uint64_t at = addr; at < end;) {
    const uint64_t page = at & ~(kPage - 1);
    const uint64_t stop = std::min(page + kPage, end);
    const uint64_t marks =
        in_kept_span(at) ? brk_pages_.page_marks(at) | mmap_pages_.page_marks(at) : ~uint64_t{0};
    if (marks == ~uint64_t{0}) {
      std::memset(reinterpret_cast<void*>(at), 0, stop - at);
    } else {
      // Only the marked lines of [at, stop) can hold bytes.
      for (uint64_t m = marks; m != 0; m &= m - 1) {
        const uint64_t line = page + static_cast<uint64_t>(__builtin_ctzll(m)) * kLine;
        const uint64_t lo = std::max(line, at), hi = std::min(line + kLine, stop);
        if (lo < hi) std::memset(reinterpret_cast<void*>(lo), 0, hi - lo);
      }
    }
    at = stop;
  }
}

bool SimulatedMemory::discard(uint64_t addr, uint64_t n) {
  if (!owns(addr, n)) return false;
  // Reads as zeros at once, as MADV_DONTNEED's pages do; the pages stay (see release).
  release(addr, addr + n);
  take_again(addr, addr + n);
  return true;
}

uint64_t SimulatedMemory::sbrk(int64_t increment) {
  if (reservation_ == 0) return kFailure;
  uint64_t old = brk_;
  if (increment == 0) return old;
  if (increment > 0) {
    uint64_t inc = static_cast<uint64_t>(increment);
    if (inc > options_.max_request) return kFailure;
    if (inc > brk_base_ + options_.brk_capacity - brk_) return kFailure;
    brk_ += inc;
    uint64_t want = page_up(brk_);
    if (want > brk_committed_) {
      commit(brk_committed_, want);
      // Bytes a shrink left above the break read as zeros again, as fresh brk pages do.
      take_again(brk_committed_, want);
      brk_committed_ = want;
    }
  } else {
    uint64_t dec = static_cast<uint64_t>(-(increment + 1)) + 1;
    if (dec > brk_ - brk_base_) return kFailure;
    brk_ -= dec;
    uint64_t keep = page_up(brk_);
    if (keep < brk_committed_) {
      release(keep, brk_committed_);
      brk_committed_ = keep;
      // Holes above the new break are gone with it; one straddling it is cut short.
      std::vector<Region> holes;
      for (const Region& h : brk_holes_) {
        if (h.addr >= keep) continue;
        holes.push_back({h.addr, h.addr + h.size > keep ? keep - h.addr : h.size});
      }
      brk_holes_.swap(holes);
    }
  }
  return old;
}

uint64_t SimulatedMemory::mmap(uint64_t size) {
  if (reservation_ == 0 || size == 0 || (size & (kPage - 1)) != 0) return kFailure;
  if (size > options_.max_request) return kFailure;
  if (size > options_.mmap_capacity - mmap_in_use_) return kFailure;
  uint64_t addr = find_gap_topdown(size);
  if (addr == kFailure) return kFailure;
  commit(addr, addr + size);
  take_again(addr, addr + size);
  regions_.push_back({addr, size});
  mmap_in_use_ += size;
  return addr;
}

bool SimulatedMemory::munmap(uint64_t addr, uint64_t size) {
  if ((addr & (kPage - 1)) != 0 || size == 0) return false;
  size = page_up(size);
  uint64_t end = addr + size;
  if (end < addr) return false;
  // Inside the break area: punch a hole (Linux unmaps any pages, the heap's too).
  uint64_t lo_brk = addr > brk_base_ ? addr : brk_base_;
  uint64_t hi_brk = end < brk_committed_ ? end : brk_committed_;
  if (lo_brk < hi_brk) {
    release(lo_brk, hi_brk);  // owned again only when the break shrinks below and regrows
    brk_holes_.push_back({lo_brk, hi_brk - lo_brk});
  }
  // Unmap the intersection with every mapping, splitting those only partly covered.
  std::vector<Region> kept;
  for (const Region& r : regions_) {
    uint64_t r_end = r.addr + r.size;
    if (end <= r.addr || addr >= r_end) {
      kept.push_back(r);
      continue;
    }
    uint64_t lo = addr > r.addr ? addr : r.addr;
    uint64_t hi = end < r_end ? end : r_end;
    // Pages mremap moved here are a kernel mapping of their own: fresh pages merge it back
    // (kernel mappings are limited: vm.max_map_count). Others are only released.
    if (r.moved && fresh_pages(lo, hi - lo)) {
      mmap_pages_.forget(lo, hi);
    } else {
      release(lo, hi);
    }
    mmap_in_use_ -= hi - lo;
    if (r.addr < lo) kept.push_back({r.addr, lo - r.addr, r.moved, r.accessible});
    if (hi < r_end) kept.push_back({hi, r_end - hi, r.moved, r.accessible});
  }
  regions_.swap(kept);
  return true;
}

uint64_t SimulatedMemory::mremap(uint64_t addr, uint64_t old_size, uint64_t new_size) {
  if ((addr & (kPage - 1)) != 0 || new_size == 0) return kFailure;
  old_size = page_up(old_size);
  new_size = page_up(new_size);
  // Linux requires the old range to be one mapping.
  Region* found = nullptr;
  for (Region& r : regions_) {
    if (addr >= r.addr && addr - r.addr + old_size <= r.size) found = &r;
  }
  if (found == nullptr) return kFailure;
  if (new_size <= old_size) {
    munmap(addr + new_size, old_size - new_size);
    return addr;
  }
  // Growing: in place when the pages after it are free, else it moves (MREMAP_MAYMOVE), as Linux.
  if (new_size - old_size <= options_.max_request &&
      new_size - old_size <= options_.mmap_capacity - mmap_in_use_ &&
      addr + old_size == found->addr + found->size && addr + new_size <= mmap_top_ &&
      range_free(addr + old_size, new_size - old_size)) {
    commit(addr + old_size, addr + new_size);
    take_again(addr + old_size, addr + new_size);
    // The mapping itself grows (one VMA, as Linux extends it): a later mremap of the whole
    // range must still find one mapping.
    found->size += new_size - old_size;
    mmap_in_use_ += new_size - old_size;
    return addr;
  }
  uint64_t to = mmap(new_size);
  if (to == kFailure) return kFailure;
  regions_.back().moved = move_pages(addr, to, old_size);
  munmap(addr, old_size);
  return to;
}

// The kernel moves a growing mapping's pages (page tables, no copy); copying instead made the
// twin's realloc of big blocks several times slower than glibc's. The moved pages leave a hole
// in the reservation, filled at once with fresh pages. (The moved range stays a kernel mapping
// of its own until it is unmapped: munmap() then maps fresh pages, which merge back.) True when
// the pages moved, false when they were copied.
bool SimulatedMemory::move_pages(uint64_t from, uint64_t to, uint64_t size) {
  void* moved = ::mremap(reinterpret_cast<void*>(from), size, size, MREMAP_MAYMOVE | MREMAP_FIXED,
                         reinterpret_cast<void*>(to));
  if (moved == MAP_FAILED) {
    std::memcpy(reinterpret_cast<void*>(to), reinterpret_cast<const void*>(from), size);
    note_written(to, size);
    return false;
  }
  if (fresh_pages(from, size)) {
    // What the pages hold came along unmarked (until unmapped: then fresh pages replace them).
    note_written(to, size);
    return true;
  }
  // The hole could not be filled: the pages go back, and are copied instead.
  if (::mremap(moved, size, size, MREMAP_MAYMOVE | MREMAP_FIXED, reinterpret_cast<void*>(from)) ==
      MAP_FAILED) {
    std::abort();  // the reservation has a hole the twin would fault in: nothing sane is left
  }
  fresh_pages(to, size);
  std::memcpy(reinterpret_cast<void*>(to), reinterpret_cast<const void*>(from), size);
  note_written(to, size);
  return false;
}

// [addr, addr + size) replaced by fresh zero pages, readable and writable.
bool SimulatedMemory::fresh_pages(uint64_t addr, uint64_t size) {
  return ::mmap(reinterpret_cast<void*>(addr), size, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0) != MAP_FAILED;
}

uint64_t SimulatedMemory::reserve(uint64_t hint, uint64_t size) {
  if (reservation_ == 0 || size == 0 || (size & (kPage - 1)) != 0 || (hint & (kPage - 1)) != 0) {
    return kFailure;
  }
  if (size > options_.mmap_capacity - mmap_in_use_) return kFailure;
  // Linux takes a hint whose range is free, else places the mapping as without one.
  uint64_t addr =
      hint != 0 && hint + size > hint && hint + size <= mmap_top_ && range_free(hint, size)
          ? hint
          : find_gap_topdown(size);
  if (addr == kFailure) return kFailure;
  regions_.push_back({addr, size, false, false});
  mmap_in_use_ += size;
  return addr;
}

bool SimulatedMemory::make_accessible(uint64_t addr, uint64_t size) {
  if ((addr & (kPage - 1)) != 0 || size == 0) return false;
  size = page_up(size);
  const uint64_t end = addr + size;
  // mprotect fails (ENOMEM) where a page of the range is not mapped.
  uint64_t covered = 0;
  for (const Region& r : regions_) {
    const uint64_t lo = std::max(addr, r.addr), hi = std::min(end, r.addr + r.size);
    if (lo < hi) covered += hi - lo;
  }
  if (covered != size) return false;
  std::vector<Region> split;
  for (const Region& r : regions_) {
    const uint64_t r_end = r.addr + r.size;
    if (r.accessible || end <= r.addr || addr >= r_end) {
      split.push_back(r);
      continue;
    }
    const uint64_t lo = std::max(addr, r.addr), hi = std::min(end, r_end);
    if (r.addr < lo) split.push_back({r.addr, lo - r.addr, r.moved, false});
    split.push_back({lo, hi - lo, r.moved, true});
    if (hi < r_end) split.push_back({hi, r_end - hi, r.moved, false});
  }
  // Neighbours of one protection are one mapping again, as Linux merges them: a heap opened a
  // piece at a time is owned as a whole.
  std::sort(split.begin(), split.end(),
            [](const Region& a, const Region& b) { return a.addr < b.addr; });
  regions_.clear();
  for (const Region& r : split) {
    if (!regions_.empty()) {
      Region& last = regions_.back();
      if (last.addr + last.size == r.addr && last.accessible == r.accessible && !last.moved &&
          !r.moved) {
        last.size += r.size;
        continue;
      }
    }
    regions_.push_back(r);
  }
  commit(addr, end);
  take_again(addr, end);
  return true;
}

bool SimulatedMemory::range_free(uint64_t addr, uint64_t size) const {
  if (addr < mmap_base_) return false;
  for (const Region& r : regions_) {
    if (addr < r.addr + r.size && r.addr < addr + size) return false;
  }
  return true;
}

uint64_t SimulatedMemory::find_gap_topdown(uint64_t size) const {
  if (size > mmap_top_ - mmap_base_) return kFailure;
  // Candidate ends: the ceiling and the start of every mapping; the highest that fits wins.
  uint64_t best = kFailure;
  auto consider = [&](uint64_t end) {
    if (end > mmap_top_ || end - mmap_base_ < size) return;
    uint64_t addr = end - size;
    if ((best == kFailure || addr > best) && range_free(addr, size)) best = addr;
  };
  consider(mmap_top_);
  for (const Region& r : regions_) consider(r.addr);
  return best;
}

bool SimulatedMemory::in_regions(uint64_t addr, uint64_t n) const {
  for (const Region& r : regions_) {
    if (r.accessible && addr >= r.addr && addr < r.addr + r.size && r.addr + r.size - addr >= n)
      return true;
  }
  return false;
}

bool SimulatedMemory::owns_heap_or_mapping(uint64_t addr, uint64_t n) const {
  if (addr >= brk_base_ && addr < brk_committed_ && brk_committed_ - addr >= n) {
    for (const Region& h : brk_holes_) {
      if (addr < h.addr + h.size && h.addr < addr + n) return false;
    }
    return true;
  }
  return in_regions(addr, n);
}

bool SimulatedMemory::owns(uint64_t addr, uint64_t n) const {
  if (addr >= data_ && addr < data_ + options_.data_bytes &&
      data_ + options_.data_bytes - addr >= n) {
    return true;
  }
  return owns_heap_or_mapping(addr, n);
}

void SimulatedMemory::reset() {
  if (reservation_ == 0) return;
  if (eager()) {
    std::memset(reinterpret_cast<void*>(data_), 0, options_.data_bytes);
    data_pages_.forget(data_, data_ + options_.data_bytes);
  } else {
    data_pages_.clear(data_, data_ + options_.data_bytes);  // the lines noted written
  }
  release(brk_base_, brk_committed_);
  brk_ = brk_committed_ = brk_base_;
  brk_holes_.clear();
  for (const Region& r : regions_) {
    if (r.moved && fresh_pages(r.addr, r.size)) {
      mmap_pages_.forget(r.addr, r.addr + r.size);
    } else {
      release(r.addr, r.addr + r.size);
    }
  }
  regions_.clear();
  // Unmapped mappings were released when they went.
  mmap_in_use_ = 0;
  writes_unknown_ = false;  // all it wrote is cleared now (eager), or marked
}

}  // namespace heaptwin::alloc
