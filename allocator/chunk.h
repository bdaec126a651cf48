// A malloc chunk (x86_64): its header, flag bits, size arithmetic, and ChunkMemory, through which
// the allocator reads and writes every chunk field. Every access is range-checked against the
// memory the allocator owns, because any chunk address may have come from a corrupted heap: a
// miss is reported as the fault glibc would take, never performed.
//
//   chunk+0x00  prev_size    (the previous chunk's size when it is free)
//   chunk+0x08  size         | NON_MAIN_ARENA 4 | IS_MMAPPED 2 | PREV_INUSE 1
//   chunk+0x10  fd           user memory starts here (chunk2mem)
//   chunk+0x18  bk
//   chunk+0x20  fd_nextsize  (large free chunks only)
//   chunk+0x28  bk_nextsize
#ifndef HEAPTWIN_ALLOCATOR_CHUNK_H_
#define HEAPTWIN_ALLOCATOR_CHUNK_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "allocator/fatal.h"
#include "allocator/loop_repeat.h"
#include "allocator/memory.h"
#include "allocator/write_log.h"

namespace heaptwin::alloc {

// A raw address: a word the allocator loads or stores, a malloc_state, heap_info or tcache
// struct, a mapping. Chunk and user addresses have types of their own (below).
using Addr = uint64_t;

// Where each field of a chunk is (the table above): struct malloc_chunk's offsets.
inline constexpr uint64_t kPrevSizeField = 0x0;
inline constexpr uint64_t kSizeField = 0x8;
inline constexpr uint64_t kFdField = 0x10;
inline constexpr uint64_t kBkField = 0x18;
inline constexpr uint64_t kFdNextsizeField = 0x20;
inline constexpr uint64_t kBkNextsizeField = 0x28;

// An address of one kind, kept apart from the other kind and from raw numbers: glibc's mchunkptr
// (ChunkAddr, the chunk header) and the pointer malloc hands out (UserAddr, chunk2mem of it) are
// both bare pointers in malloc.c, and a twin that confuses them is off by 16 without a sound.
// Zero-cost: one word, trivially copyable, passed in a register; header-only and constexpr (the
// drop-in links no libstdc++). Made from a raw number only explicitly (`ChunkAddr{raw}`), read
// back only by raw(); the one implicit source is NULL (`return 0;`, `p == 0`, `Addr x = 0`
// being a null pointer constant). Between the kinds: chunk2mem and mem2chunk only.
template <typename Kind>
class TypedAddr {
 public:
  constexpr TypedAddr() = default;
  constexpr TypedAddr(std::nullptr_t) {}  // NOLINT(google-explicit-constructor): NULL
  explicit constexpr TypedAddr(uint64_t raw) : value_(raw) {}

  constexpr uint64_t raw() const { return value_; }
  explicit constexpr operator bool() const { return value_ != 0; }  // not NULL
  // The same kind of address n bytes on (or back): for a chunk, chunk_at_offset.
  constexpr TypedAddr plus(uint64_t n) const { return TypedAddr(value_ + n); }
  constexpr TypedAddr minus(uint64_t n) const { return TypedAddr(value_ - n); }

  friend constexpr bool operator==(TypedAddr a, TypedAddr b) { return a.value_ == b.value_; }
  friend constexpr bool operator!=(TypedAddr a, TypedAddr b) { return a.value_ != b.value_; }
  friend constexpr bool operator<(TypedAddr a, TypedAddr b) { return a.value_ < b.value_; }
  friend constexpr bool operator<=(TypedAddr a, TypedAddr b) { return a.value_ <= b.value_; }
  friend constexpr bool operator>(TypedAddr a, TypedAddr b) { return a.value_ > b.value_; }
  friend constexpr bool operator>=(TypedAddr a, TypedAddr b) { return a.value_ >= b.value_; }
  // The distance between two addresses of one kind (b below a, or it wraps as glibc's does).
  friend constexpr uint64_t operator-(TypedAddr a, TypedAddr b) { return a.value_ - b.value_; }

 private:
  uint64_t value_ = 0;
};
struct ChunkAddrKind;
struct UserAddrKind;
using ChunkAddr = TypedAddr<ChunkAddrKind>;  // glibc's mchunkptr p: the chunk header
using UserAddr = TypedAddr<UserAddrKind>;    // glibc's mem: what malloc returns, free takes
static_assert(sizeof(ChunkAddr) == 8 && std::is_trivially_copyable_v<ChunkAddr>);
static_assert(sizeof(UserAddr) == 8 && std::is_trivially_copyable_v<UserAddr>);

inline constexpr uint64_t kSizeSz = 8;            // SIZE_SZ
inline constexpr uint64_t kChunkHdrSz = 16;       // CHUNK_HDR_SZ
inline constexpr uint64_t kMallocAlignment = 16;  // MALLOC_ALIGNMENT
inline constexpr uint64_t kMallocAlignMask = 15;  // MALLOC_ALIGN_MASK
inline constexpr uint64_t kMinSize = 32;          // MINSIZE
inline constexpr uint64_t kPrevInuse = 0x1;
inline constexpr uint64_t kIsMmapped = 0x2;
inline constexpr uint64_t kNonMainArena = 0x4;
inline constexpr uint64_t kSizeBits = kPrevInuse | kIsMmapped | kNonMainArena;
inline constexpr uint64_t kPtrdiffMax = INT64_MAX;

constexpr UserAddr chunk2mem(ChunkAddr p) { return UserAddr{p.raw() + kChunkHdrSz}; }
constexpr ChunkAddr mem2chunk(UserAddr mem) { return ChunkAddr{mem.raw() - kChunkHdrSz}; }
// chunk_at_offset(p, s): the chunk s bytes on (s may wrap: a chunk before p).
constexpr ChunkAddr chunk_at_offset(ChunkAddr p, uint64_t s) { return p.plus(s); }
constexpr bool misaligned_chunk(ChunkAddr p) { return (p.raw() & kMallocAlignMask) != 0; }
constexpr bool aligned_ok(uint64_t v) { return (v & kMallocAlignMask) == 0; }

// request2size: user bytes -> chunk size.
constexpr uint64_t request2size(uint64_t req) {
  return req + kSizeSz + kMallocAlignMask < kMinSize
             ? kMinSize
             : (req + kSizeSz + kMallocAlignMask) & ~kMallocAlignMask;
}
// checked_request2size: 0 for requests glibc refuses (> PTRDIFF_MAX).
constexpr uint64_t checked_request2size(uint64_t req) {
  return req > kPtrdiffMax ? 0 : request2size(req);
}
// The same as older releases check: `limit_ptrdiff` (2.30+) as above; else, with
// `overflow_checks` (2.27+), a padded size that wrapped or lies within 2 * MINSIZE of 2^64;
// before, the request itself against -2 * MINSIZE (its padded size may still be huge).
constexpr uint64_t checked_request2size_in(bool limit_ptrdiff, bool overflow_checks, uint64_t req) {
  if (limit_ptrdiff) return checked_request2size(req);
  const uint64_t out_of_range = static_cast<uint64_t>(-2 * static_cast<int64_t>(kMinSize));
  if (!overflow_checks) return req >= out_of_range ? 0 : request2size(req);
  const uint64_t sz = request2size(req);
  return sz < req || sz >= out_of_range ? 0 : sz;
}

// Safe-linking (2.32+): PROTECT_PTR(pos, ptr) = (pos >> 12) ^ ptr; REVEAL_PTR is the same.
constexpr uint64_t protect_ptr(Addr pos, uint64_t ptr) { return (pos >> 12) ^ ptr; }

constexpr uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }
constexpr uint64_t align_down(uint64_t v, uint64_t a) { return v & ~(a - 1); }

class ChunkMemory {
 public:
  ChunkMemory(Memory* memory, FatalHandler* fatal) : memory_(memory), fatal_(fatal) {
#ifdef HEAPTWIN_DIRECT_MEMORY
    if (!memory->owns_everything())
      fatal->abort_with("heaptwin: the direct build needs the process's own memory");
#endif
  }

#ifdef HEAPTWIN_DIRECT_MEMORY
  // The drop-in's build: the memory is the process's own (Memory::owns_everything), where every
  // check below is true and a wild access faults for real, as in glibc. Checking anyway cost
  // the drop-in a third of its instructions (gawk), glibc none.
  static constexpr bool owned(Addr, uint64_t) { return true; }
  static constexpr bool owned8(Addr) { return true; }
  // Nor are stores shown to a LoopRepeat there: a loop that never ends hangs, as in glibc.
  static constexpr bool kShowsStores = false;
#else
  static constexpr bool kShowsStores = true;
  // Whether [a, a + n) is memory the allocator may touch. The brk heap and the libc data block
  // (main_arena's bin heads: every unlink next to a bin touches them) are checked inline.
  bool owned(Addr a, uint64_t n) const {
    if (a >= heap_lo_ && a < heap_hi_ && heap_hi_ - a >= n) return true;
    if (a >= data_lo_ && a < data_hi_ && data_hi_ - a >= n) return true;
    return memory_->owns(a, n);
  }
  // owned(a, 8) with one unsigned comparison per range: a - lo wraps past the bound below lo.
  bool owned8(Addr a) const {
    return a - heap_lo_ < heap_starts8_ || a - data_lo_ < data_starts8_ || memory_->owns(a, 8);
  }
#endif
  // The word at an address already known to be owned.
  static uint64_t load_owned(Addr a) {
    uint64_t v;
    std::memcpy(&v, reinterpret_cast<const void*>(a), 8);
    return v;
  }
  uint64_t load(Addr a) const {
    if (!owned8(a)) report_fault(fatal_, a);
    uint64_t v;
    std::memcpy(&v, reinterpret_cast<const void*>(a), 8);
    return v;
  }
  void store(Addr a, uint64_t v) const {
    if (!owned8(a)) report_fault(fatal_, a);
    if (kShowsStores && repeat_ != nullptr) repeat_->before_store(a, load_owned(a));
    std::memcpy(reinterpret_cast<void*>(a), &v, 8);
    if (log_ != nullptr) log_->note(a);
  }

  // store() for a caller that knows no write log is set (logs_writes () false): the same store,
  // without the test for a log.
  void store_unlogged(Addr a, uint64_t v) const {
    if (!owned8(a)) report_fault(fatal_, a);
    if (kShowsStores && repeat_ != nullptr) repeat_->before_store(a, load_owned(a));
    std::memcpy(reinterpret_cast<void*>(a), &v, 8);
  }
  // Whether stores are noted in a write log (set_write_log).
  bool logs_writes() const { return log_ != nullptr; }

  // A bulk write into [a, a + n) (memset, memcpy into a chunk): noted as a range.
  void note_range(Addr a, uint64_t n) const {
    if (log_ != nullptr) log_->note_range(a, n);
  }
  // realloc's copy of a block's n bytes from `from` into `to` (to is owned: just allocated);
  // reading past owned memory faults at `from`, as the copy would.
  void copy_block(UserAddr to, UserAddr from, uint64_t n) const {
    if (!owned(from.raw(), n)) report_fault(fatal_, from.raw());
    std::memcpy(reinterpret_cast<void*>(to.raw()), reinterpret_cast<const void*>(from.raw()), n);
    note_range(to.raw(), n);
  }
  // calloc's clearing of owned memory. No range is noted: zeros never need clearing later.
  void zero(Addr a, uint64_t n) const { memory_->zero(a, n, log_); }
  // Every store from now on is noted in `log` (nullptr: none). allocator/write_log.h.
  void set_write_log(WriteLog* log) { log_ = log; }
  // Every store from now on is shown to `repeat` first (nullptr: none). allocator/loop_repeat.h.
  void set_loop_repeat(LoopRepeat* repeat) { repeat_ = repeat; }

  // glibc's chunk accessors. The links (fd, bk, *_nextsize) are chunk addresses: a bin head is
  // the pseudo-chunk bin_at(i). A fastbin's safe-linked fd is read as a word (fd_word).
  uint64_t prev_size(ChunkAddr p) const { return load(p.raw() + kPrevSizeField); }
  void set_prev_size(ChunkAddr p, uint64_t v) const { store(p.raw() + kPrevSizeField, v); }
  uint64_t chunksize_nomask(ChunkAddr p) const { return load(p.raw() + kSizeField); }
  uint64_t chunksize(ChunkAddr p) const { return chunksize_nomask(p) & ~kSizeBits; }
  bool prev_inuse(ChunkAddr p) const { return (chunksize_nomask(p) & kPrevInuse) != 0; }
  bool chunk_is_mmapped(ChunkAddr p) const { return (chunksize_nomask(p) & kIsMmapped) != 0; }
  bool chunk_main_arena(ChunkAddr p) const { return (chunksize_nomask(p) & kNonMainArena) == 0; }
  void set_head(ChunkAddr p, uint64_t v) const { store(p.raw() + kSizeField, v); }
  void set_foot(ChunkAddr p, uint64_t s) const { store(p.raw() + s, s); }
  bool inuse_bit_at_offset(ChunkAddr p, uint64_t s) const {
    return (load(p.raw() + s + kSizeField) & kPrevInuse) != 0;
  }
  void set_inuse_bit_at_offset(ChunkAddr p, uint64_t s) const {
    store(p.raw() + s + kSizeField, load(p.raw() + s + kSizeField) | kPrevInuse);
  }
  void clear_inuse_bit_at_offset(ChunkAddr p, uint64_t s) const {
    store(p.raw() + s + kSizeField, load(p.raw() + s + kSizeField) & ~kPrevInuse);
  }
  ChunkAddr fd(ChunkAddr p) const { return ChunkAddr{load(p.raw() + kFdField)}; }
  ChunkAddr bk(ChunkAddr p) const { return ChunkAddr{load(p.raw() + kBkField)}; }
  ChunkAddr fd_nextsize(ChunkAddr p) const { return ChunkAddr{load(p.raw() + kFdNextsizeField)}; }
  ChunkAddr bk_nextsize(ChunkAddr p) const { return ChunkAddr{load(p.raw() + kBkNextsizeField)}; }
  void set_fd(ChunkAddr p, ChunkAddr v) const { store(p.raw() + kFdField, v.raw()); }
  void set_bk(ChunkAddr p, ChunkAddr v) const { store(p.raw() + kBkField, v.raw()); }
  void set_fd_nextsize(ChunkAddr p, ChunkAddr v) const {
    store(p.raw() + kFdNextsizeField, v.raw());
  }
  void set_bk_nextsize(ChunkAddr p, ChunkAddr v) const {
    store(p.raw() + kBkNextsizeField, v.raw());
  }
  // fd as the word stored (a fastbin's is safe-linked), and where it is stored.
  uint64_t fd_word(ChunkAddr p) const { return load(p.raw() + kFdField); }
  void set_fd_word(ChunkAddr p, uint64_t v) const { store(p.raw() + kFdField, v); }
  static constexpr Addr fd_field(ChunkAddr p) { return p.raw() + kFdField; }

 protected:
  // The brk heap's mapped range, refreshed whenever the break moves.
  void set_heap_range(Addr lo, Addr hi) {
    heap_lo_ = lo;
    heap_hi_ = hi;
    heap_starts8_ = starts8(lo, hi);
  }
  // The libc data block's range (owned for the allocator's whole life).
  void set_data_range(Addr lo, Addr hi) {
    data_lo_ = lo;
    data_hi_ = hi;
    data_starts8_ = starts8(lo, hi);
  }
  // How many 8-byte words [lo, hi) holds a start of (0 for an empty or inverted range).
  static uint64_t starts8(Addr lo, Addr hi) { return hi > lo && hi - lo >= 8 ? hi - lo - 7 : 0; }

  Memory* memory_;
  FatalHandler* fatal_;
  Addr heap_lo_ = 0;
  Addr heap_hi_ = 0;
  Addr data_lo_ = 0;
  Addr data_hi_ = 0;
  uint64_t heap_starts8_ = 0;  // derived by set_heap_range, for owned8
  uint64_t data_starts8_ = 0;
  WriteLog* log_ = nullptr;
  LoopRepeat* repeat_ = nullptr;
};

}  // namespace heaptwin::alloc

#endif  // HEAPTWIN_ALLOCATOR_CHUNK_H_
