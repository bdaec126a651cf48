// One run of the full check (full_check.h): its state and its parts, each in the file named for
// its concept. Private to oracle/check.
#ifndef HEAPTWIN_ORACLE_CHECK_FULL_CHECK_RUN_H_
#define HEAPTWIN_ORACLE_CHECK_FULL_CHECK_RUN_H_

#include <cstdint>
#include <cstring>

#include "oracle/check/full_check.h"
#include "oracle/check/text.h"
#include "oracle/check/types.h"

namespace heaptwin::check {

template <typename T>
T load(const unsigned char* base, uint64_t offset) {
  T v;
  std::memcpy(&v, base + offset, sizeof v);
  return v;
}

// Where findings are written: a finding's message, or a scratch line when `out` is full.
class Reporter {
 public:
  Reporter(const Where& where, Findings* out) : where_(where), out_(out) {}
  // A new finding; add its message to the Text returned. Cold: the compiler moves every path that
  // reports (the message's formatting with it) out of the checks' hot code, which after every op
  // runs through most of the checker and the allocator and overflowed the instruction cache.
  __attribute__((cold)) Text note(const char* rule, uint64_t chunk = 0, uint64_t size = 0,
                                  BinId bin = {});
  bool full() const { return out_->full(); }
  // "heap+0x2a0" or the raw address.
  Text& at(Text& t, uint64_t addr) const {
    add_at(&t, where_, addr);
    return t;
  }
  const Where& where() const { return where_; }

 private:
  const Where& where_;
  Findings* out_;
  char scratch_[kMessageBytes];
};

// tcache bin `bin`'s count and first entry against mp_.tcache_bins and mp_.tcache_count: the
// same two rules for the full check and for the incremental one (cached_bins.cc).
void check_tcache_count(Reporter& r, int bin, uint64_t count, uint64_t entry, uint64_t tcache_bins,
                        uint64_t tcache_count);
// tcache.wrong_size for `chunk` of `size` in `bin` (a large bin names its range of sizes).
void note_tcache_wrong_size(Reporter& r, uint64_t chunk, uint64_t size, BinId bin);

class FullCheckRun {
 public:
  FullCheckRun(FullCheck* self, const Reader& mem, const Where& where, const Layout& layout,
               Findings* out)
      : s_(*self), mem_(mem), loc_(where), layout_(layout), r_(where, out) {}
  void run();
  // Only the rules about main_arena, mp_ and top (the incremental check runs them after every
  // op). False when the arena cannot be read, there is no heap, it is not contiguous, or top is
  // not a chunk of the heap (then nothing else can be checked).
  bool arena_and_top();
  // The same from copies already taken: main_arena's bytes, global_max_fast and mp_.sbrk_base;
  // `heap`: the heap's bytes when the reader gives them directly (top's size is read there).
  bool top_rules(const unsigned char* av, uint64_t global_max_fast, uint64_t sbrk_base,
                 const unsigned char* heap = nullptr);

 private:
  bool full() const { return r_.full(); }
  bool in_heap(uint64_t addr, uint64_t bytes) const {
    return addr >= loc_.heap_base && addr < loc_.heap_end && loc_.heap_end - addr >= bytes;
  }
  bool u64(uint64_t addr, uint64_t* v) const { return mem_.read(addr, v, 8); }
  uint64_t chunk_size_at(uint64_t chunk) const {
    uint64_t size = 0;
    u64(chunk + 8, &size);
    return size & ~kFlagBits;
  }
  Text& at(Text& t, uint64_t a) const { return r_.at(t, a); }

  // full_check.cc: the arena and top.
  bool read_arena();
  bool check_top();
  // chunk_walk.cc: the chunks, by size fields from the heap start to top.
  void walk_heap();
  long find_chunk(uint64_t addr) const;
  bool next_prev_inuse(size_t i) const;
  uint64_t chunks_end() const;
  // regular_bins.cc: unsorted, small and large bins.
  void check_regular_bins();
  void walk_regular_bin(int i, uint64_t head, uint64_t fd, uint64_t head_bk);
  void check_nextsize(BinId name);
  void report_cycle(const char* rule, BinId name, size_t first_record);
  // cached_bins.cc: fastbins and tcache.
  void check_fastbins();
  void check_tcache();
  // bin_membership.cc: chunks against bins.
  void check_binned_chunks();

  FullCheck& s_;
  const Reader& mem_;
  const Where& loc_;
  const Layout& layout_;
  Reporter r_;

  unsigned char av_[kMallocStateBytes];
  uint64_t top_ = 0, top_size_ = 0, system_mem_ = 0, sbrk_base_ = 0, global_max_fast_ = 0;
  uint64_t tcache_bins_ = kTcacheBins, tcache_count_ = 7, tcache_max_bytes_ = 0;
  uint32_t flags_ = 0;
  uint64_t max_list_ = 0;
  const unsigned char* heap_ = nullptr;  // top_rules' `heap`
};

}  // namespace heaptwin::check

#endif  // HEAPTWIN_ORACLE_CHECK_FULL_CHECK_RUN_H_
