// The heap checker's core vocabulary, freestanding: no C++ library, no exceptions, no allocation
// (the drop-in library runs the checker inside the program it checks, where nothing may call
// malloc). Where things are (Where), the field offsets of a glibc version (Layout), how the
// checker reads memory (Reader), and what it reports (Finding).
#ifndef HEAPTWIN_ORACLE_CHECK_TYPES_H_
#define HEAPTWIN_ORACLE_CHECK_TYPES_H_

#include <cstddef>
#include <cstdint>

#include "oracle/tcache_bin_sizes.h"

namespace heaptwin::check {

inline constexpr uint64_t kPrevInuse = 0x1;
inline constexpr uint64_t kIsMmapped = 0x2;
inline constexpr uint64_t kNonMainArena = 0x4;
inline constexpr uint64_t kFlagBits = 0x7;
inline constexpr uint64_t kMinSize = 0x20;
inline constexpr uint64_t kAlignMask = 0xf;
inline constexpr uint64_t kMinLargeSize = 0x400;
inline constexpr uint64_t kMaxFastChunk = 0xb0;  // request2size(MAX_FAST_SIZE = 80 * 8 / 4)
inline constexpr uint64_t kNonContiguous = 0x2;  // malloc_state.flags NONCONTIGUOUS_BIT
inline constexpr uint64_t kMallocStateBytes = 0x898;
inline constexpr uint64_t kMallocParBytes = 0x88;
inline constexpr int kBins = 128;       // NBINS: regular bins 1..126 (1 is unsorted)
inline constexpr int kFastBins = 10;    // NFASTBINS
inline constexpr int kTcacheBins = 76;  // TCACHE_MAX_BINS from 2.42 (64 before): the most
inline constexpr uint64_t kMaxTcacheStruct = 0x98 + 8 * kTcacheBins;  // 2.42's struct

// Where things are in the process being checked (oracle/heap_view.h's HeapLocation is this
// struct under the name the oracle's C++ code uses).
struct Where {
  uint64_t heap_base = 0;        // sbrk(0) before the first allocation
  uint64_t heap_end = 0;         // sbrk(0) now (== heap_base while no heap exists)
  uint64_t arena = 0;            // &main_arena
  uint64_t mp = 0;               // &mp_
  uint64_t global_max_fast = 0;  // &global_max_fast
  uint64_t tcache = 0;           // the tcache struct (user pointer), 0 when none yet
  // Threads' arenas exist (the drop-in library's checker, once a program has a thread): this
  // tcache may cache chunks of their heaps, which the checker does not follow (below).
  bool other_arenas = false;
};

// A tcache entry's chunk outside the heap that a list's check stops at without a finding, by its
// size word: an mmapped chunk a large bin caches (2.42+), or, with threads' arenas, a chunk of
// another arena (NON_MAIN_ARENA, not mmapped) that this thread freed into its tcache.
inline bool cached_from_elsewhere(const Where& w, int tcache_index, uint64_t size_word) {
  if (tcache_index >= 64 && (size_word & 2) != 0) return true;
  return w.other_arenas && (size_word & 6) == 4;
}

// The offsets of malloc_state's fields in one glibc version, x86_64: what the checker's Layout
// and the heap view's GlibcLayout (oracle/heap_view.h) both hold.
struct MallocStateOffsets {
  uint64_t flags = 0x4;
  int64_t have_fastchunks = 0x8;  // -1: no such field (< 2.27)
  uint64_t fastbins = 0x10;
  uint64_t top = 0x60;
  uint64_t last_remainder = 0x68;
  uint64_t bins = 0x70;
  uint64_t binmap = 0x860;
  uint64_t system_mem = 0x888;

  // glibc's bin_at(i): the pseudo-chunk whose fd/bk are bins[2i-2], bins[2i-1].
  uint64_t bin_at(uint64_t arena, int i) const { return arena + bins - 0x10 + (i - 1) * 0x10; }
};

// Field offsets of one glibc version, x86_64 (oracle/heap_view.h's GlibcLayout, without its name).
struct Layout : MallocStateOffsets {
  bool safe_linking = true;    // >= 2.32
  bool tcache = true;          // >= 2.26
  bool key_is_random = true;   // >= 2.34: tcache_key is random; before, the tcache struct
  int tcache_count_bytes = 2;  // uint16_t since 2.30
  uint64_t tcache_entries = 0x80;
  uint64_t mp_sbrk_base = 0x60;
  uint64_t mp_tcache_bins = 0x68;
  uint64_t mp_tcache_count = 0x78;
  uint64_t mp_tcache_max_bytes = 0x70;
  int tcache_bins = 64;           // TCACHE_MAX_BINS of the release: 76 from 2.42
  bool tcache_num_slots = false;  // >= 2.42: num_slots[] counting down from mp_.tcache_count
  bool fastbins_exist = true;     // < 2.43
  int max_fast_bytes = 8;         // global_max_fast's size: one byte from 2.37 to 2.42

  // global_max_fast as read at its address (8 bytes): only its own bytes count.
  uint64_t max_fast_of(uint64_t word) const { return max_fast_bytes == 1 ? word & 0xff : word; }

  uint64_t tcache_struct_bytes() const {
    return tcache_entries + 8 * static_cast<uint64_t>(tcache_bins);
  }
  // How many chunks tcache bin i holds by its count (2.42+: fill - num_slots[i]).
  uint64_t tcache_count_at(const unsigned char* tc, int i, uint64_t fill) const {
    uint16_t wide;
    __builtin_memcpy(&wide, tc + 2 * i, 2);
    if (tcache_num_slots) return static_cast<uint16_t>(fill - wide);
    return tcache_count_bytes == 2 ? wide : tc[i];
  }
};

// Read-only access to the checked process's memory. No virtual destructor on purpose: nothing
// deletes a Reader through this class, and a deleting destructor would need the C++ runtime.
class Reader {
 public:
  // Copies n bytes at addr into out; false when any of them is not readable.
  virtual bool read(uint64_t addr, void* out, size_t n) const = 0;
  // The bytes themselves when they are this process's memory and all readable, else nullptr
  // (then use read). Lets the checker compare main_arena with its copy without copying it.
  virtual const unsigned char* direct(uint64_t addr, size_t n) const { return nullptr; }

  bool u64(uint64_t addr, uint64_t* v) const { return read(addr, v, 8); }

 protected:
  ~Reader() = default;
};

enum class BinKind : uint8_t { kNone, kRegular, kFast, kTcache };

// A bin, named only when a finding needs it.
struct BinId {
  BinKind kind = BinKind::kNone;
  int index = 0;
};

inline constexpr size_t kMessageBytes = 400;

// One violated rule.
struct Finding {
  const char* rule = "";        // stable id, e.g. "bin.fd_bk_mismatch" (rules.h)
  char message[kMessageBytes];  // one sentence, addresses as heap offsets
  uint64_t chunk = 0;           // the chunk's address, 0 when the rule is not about one chunk
  uint64_t chunk_size = 0;
  BinId bin;
};

// Findings in caller-provided storage, up to its capacity.
class Findings {
 public:
  Findings(Finding* storage, size_t capacity) : items_(storage), capacity_(capacity) {}
  bool full() const { return size_ >= capacity_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const Finding& operator[](size_t i) const { return items_[i]; }
  void clear() { size_ = 0; }
  void truncate(size_t n) {
    if (n < size_) size_ = n;
  }
  // A slot for the next finding, or nullptr when full.
  Finding* next() { return full() ? nullptr : &items_[size_++]; }

 private:
  Finding* items_;
  size_t capacity_;
  size_t size_ = 0;
};

// glibc's fastbin_index and csize2tidx, as signed ints (fastbin_index(0x10) is -1).
inline int fastbin_index(uint64_t size) { return static_cast<int>(size >> 4) - 2; }
inline int tcache_index(uint64_t size) {
  return size < 0x11 ? -1 : static_cast<int>((size - 0x11) >> 4);
}
// The tcache bin a chunk of `size` belongs in: tcache_index, and from 2.42 (a layout of more
// than 64 bins) sizes from 0x420 on in the large bins, one per power of two (large_csize2tidx:
// 64 for 0x420..0x7ff, 65 for 0x800..0xfff, ...).
inline int tcache_bin_for(uint64_t size, int bins) {
  if (bins <= 64 || size < 0x420) return tcache_index(size);
  return 64 + __builtin_clz(0x410u) - __builtin_clz(static_cast<uint32_t>(size));
}
using heaptwin::tcache_bin_first_size;
using heaptwin::tcache_bin_last_size;
// How many tcache bins are in use: mp_.tcache_bins (tcache_small_bins from 2.42), and from 2.42
// every large bin up to the one of mp_.tcache_max_bytes - 1 (a chunk size) when that is large.
inline uint64_t tcache_bins_in_use(uint64_t tcache_bins, uint64_t tcache_max_bytes, int bins) {
  if (bins <= 64 || tcache_max_bytes < 0x421 || tcache_max_bytes > 0x400000) return tcache_bins;
  return static_cast<uint64_t>(tcache_bin_for(tcache_max_bytes - 1, bins)) + 1;
}
// glibc's bin_index(size) for the regular bins (small: size >> 4; large: largebin_index_64).
int bin_index_for_size(uint64_t size);
// The smallest size of large bin i (64..126).
uint64_t large_bin_start(int i);
// glibc >= 2.32: REVEAL_PTR of a stored next pointer that lives at `pos`.
inline uint64_t reveal_ptr(uint64_t pos, uint64_t stored) { return (pos >> 12) ^ stored; }

}  // namespace heaptwin::check

#endif  // HEAPTWIN_ORACLE_CHECK_TYPES_H_
