// An independent process-like address space inside this process: a block of "libc data", a
// program break that grows and shrinks, and anonymous mappings. Address space is reserved once
// (PROT_NONE) and opened as the break grows or mappings come; released memory is cleared and
// stays open (owns() says what the twin may touch; the MMU is only a backstop for memory never
// used). reset() returns to pristine by clearing only what was used, when it is used again.
// Many instances can live side by side.
//
// Layout of the reservation:   ... [brk heap -> ] ... gap ... [<- mappings] [libc data]
// Mappings are placed as Linux places anonymous mmaps: top-down, in the highest gap that fits,
// below a ceiling 16 MiB above a 64 MiB boundary (so the page offsets of memalign results in
// mapped chunks follow the same arithmetic as in a process whose mmap area starts on a 16 MiB
// boundary, and a non-main arena's heaps, 64 MiB-aligned cuts of 128 MiB reservations, fall as
// they do in a process whose first such reservation is not aligned: the second heap 128 MiB
// below the first, the third between them, as glibc 2.36 placed them here).
// The heap base lies 16 MiB above a 64 MiB boundary, as the glibc runner's does (memalign beyond
// a page gives the same heap offsets). glibc's heap_for_ptr (a NON_MAIN_ARENA chunk's heap_info,
// at the 64 MiB boundary below it) then points below the heap, into unmapped space, for the
// first 48 MiB of the heap, and at heap+0x3000000 above them, on every side.
#ifndef HEAPTWIN_ALLOCATOR_SIMULATED_MEMORY_H_
#define HEAPTWIN_ALLOCATOR_SIMULATED_MEMORY_H_

#include <cstdint>
#include <vector>

#include "allocator/memory.h"
#include "allocator/written_pages.h"

namespace heaptwin::alloc {

struct SimulatedMemoryOptions {
  // Linux refuses a single request above RAM + swap (max_request) but not a total: a break or
  // mappings of terabytes, never touched, are granted. These bounds (address space only,
  // reserved PROT_NONE) are far past what 256 requests of RAM + swap each can reach here.
  // HEAPTWIN_SIMULATED_GIB=N caps both at N GiB (valgrind cannot map terabytes).
  uint64_t brk_capacity = uint64_t{4} << 40;   // the break cannot grow past this (sbrk fails)
  uint64_t mmap_capacity = uint64_t{4} << 40;  // total mapped bytes; mmap fails past this
  // The largest single sbrk increment or mapping. Linux's default (heuristic) overcommit refuses
  // one request larger than RAM + swap, however much is in use; 0 takes this machine's value.
  uint64_t max_request = 0;
  uint64_t data_bytes = 0x9000;  // the libc data block (LibcData fits at any page offset)
  // online_cpus() (arena_get2's bound on arenas: 8 per CPU); 0 takes this machine's count of
  // online CPUs (get_nprocs, what Debian's glibc 2.36 reads), so the twin and real glibc on the
  // same machine agree. Tests set it.
  int online_cpus = 0;
};

class SimulatedMemory : public Memory {
 public:
  explicit SimulatedMemory(const SimulatedMemoryOptions& options = {});
  ~SimulatedMemory() override;
  SimulatedMemory(const SimulatedMemory&) = delete;
  SimulatedMemory& operator=(const SimulatedMemory&) = delete;

  // False when the reservation failed (then every sbrk/mmap fails).
  bool ok() const { return reservation_ != 0; }

  uint64_t sbrk(int64_t increment) override;
  uint64_t mmap(uint64_t size) override;
  bool munmap(uint64_t addr, uint64_t size) override;
  uint64_t mremap(uint64_t addr, uint64_t old_size, uint64_t new_size) override;
  bool owns(uint64_t addr, uint64_t n) const override;
  // Reserved ranges are mappings that are not owned until make_accessible opens them.
  uint64_t reserve(uint64_t hint, uint64_t size) override;
  bool make_accessible(uint64_t addr, uint64_t size) override;
  int online_cpus() const override { return options_.online_cpus; }
  bool discard(uint64_t addr, uint64_t n) override;
  // Clears only the pages that may hold bytes: with writes tracked, a page of the kept spans
  // that no write reached reads as zeros already (a calloc of megabytes from a fresh heap then
  // touches nothing). Beyond the spans, and with writes unknown, it clears everything.
  void zero(uint64_t addr, uint64_t n, const WriteLog* pending) override;

  // Back to pristine: the break at its start, no mappings, the data block zeroed.
  void reset();

  // Released memory must read as zeros when it is owned again. By default it is cleared where
  // resident when released (mincore), and the data block wholly at reset(). A caller that reports
  // every write into the break area, the mappings and the data block (note_written; the twin side
  // folds the allocator's write log into it, and the extents of libc's objects, which the
  // allocator writes through references) lets it clear only the 64-byte lines written, when they
  // are owned again: no syscall, no page fault.
  void track_writes() { track_writes_ = true; }
  void note_written(uint64_t addr, uint64_t n) {
    brk_pages_.mark(addr, n);
    mmap_pages_.mark(addr, n);
    data_pages_.mark(addr, n);
  }
  // note_written(words[i], 8) for each i: the allocator's write log.
  void note_words(const uint64_t* words, uint64_t n) {
    uint64_t last = 1;  // the line of the word before (a line's address is a multiple of 64)
    for (uint64_t i = 0; i < n; ++i) {
      const uint64_t a = words[i];
      if ((a & ~uint64_t{63}) == last && (a & 63) <= 56) continue;  // in the line just marked
      last = a & ~uint64_t{63};
      if (!brk_pages_.mark_word(a) && !mmap_pages_.mark_word(a)) note_written(a, 8);
    }
  }
  // Some write went unreported (the write log overflowed): what is released before the next
  // reset, and everything at the reset, is cleared where resident. (A Program's own write8 is
  // reported with note_written: this eager mode made Programs that corrupt, most fuzz inputs,
  // clear every resident page of huge heaps, twice the harness's time on the attack corpus.)
  void note_unknown_writes() { writes_unknown_ = true; }

  // For tests: whether every line of the kept spans and of the data block that is not marked
  // written (and resident) reads as zeros; `where` gets the first byte that does not.
  bool unmarked_pages_read_as_zeros(uint64_t* where) const;
  uint64_t heap_base() const { return brk_base_; }
  uint64_t brk() const { return brk_; }
  void* data() const { return reinterpret_cast<void*>(data_); }
  // Whether [addr, addr + n) lies in the brk heap or a mapping (not the data block): what a
  // Program's own writes may reach.
  bool owns_heap_or_mapping(uint64_t addr, uint64_t n) const;

 private:
  struct Region {
    uint64_t addr, size;
    bool moved = false;      // its pages were moved here by mremap (move_pages)
    bool accessible = true;  // PROT_NONE (reserve) until make_accessible
  };
  void commit(uint64_t from, uint64_t to);
  // [from, to) is owned no longer; it must read as zeros when owned again: given back to the
  // kernel beyond the kept spans, else cleared now (untracked writes) or when owned again.
  void release(uint64_t from, uint64_t to);
  // [from, to) is owned again: the written pages the release left are cleared.
  void take_again(uint64_t from, uint64_t to);
  bool eager() const { return !track_writes_ || writes_unknown_; }
  bool in_kept_span(uint64_t addr) const {
    return (addr >= brk_pages_.lo() && addr < brk_pages_.hi()) ||
           (addr >= mmap_pages_.lo() && addr < mmap_pages_.hi());
  }
  void clear_resident(uint64_t from, uint64_t to);
  bool move_pages(uint64_t from, uint64_t to, uint64_t size);
  static bool fresh_pages(uint64_t addr, uint64_t size);
  bool in_regions(uint64_t addr, uint64_t n) const;
  static bool unmarked_lines_read_as_zeros(const WrittenPages& span, uint64_t page,
                                           uint64_t* where);

  SimulatedMemoryOptions options_;
  uint64_t reservation_ = 0, reservation_size_ = 0;
  uint64_t data_ = 0;
  uint64_t brk_base_ = 0, brk_ = 0, brk_committed_ = 0;
  // The kept spans (the break area's first 256 MiB, the mapping area's top 256 MiB) and which of
  // their pages may hold bytes: released memory there stays resident and is cleared when owned
  // again; beyond them it goes back to the kernel.
  WrittenPages brk_pages_, mmap_pages_;
  WrittenPages data_pages_;  // which lines of the data block reset() clears (writes tracked)
  bool track_writes_ = false, writes_unknown_ = false;
  uint64_t mmap_base_ = 0, mmap_top_ = 0, mmap_in_use_ = 0;
  // The highest free range of `size` bytes below mmap_top_, or kFailure.
  uint64_t find_gap_topdown(uint64_t size) const;
  bool range_free(uint64_t addr, uint64_t size) const;
  std::vector<Region> regions_;
  std::vector<unsigned char> resident_;  // mincore's answer, kept to avoid allocating per call
  // Everything in [brk_base_, brk_open_end_) and [mmap_open_low_, mmap_top_) is accessible.
  uint64_t brk_open_end_ = 0, mmap_open_low_ = 0;
  // Pages of the brk heap unmapped by munmap (a forged mmapped chunk freed inside the heap): the
  // break area keeps them as holes until the break shrinks below them.
  std::vector<Region> brk_holes_;
};

}  // namespace heaptwin::alloc

#endif  // HEAPTWIN_ALLOCATOR_SIMULATED_MEMORY_H_
