// The fuzz byte encoding's format (fuzz_encoding.h, docs/fuzz-encoding.md), shared by the decoder
// (fuzz_encoding.cc) and the encoder (fuzz_encode.cc): the byte values of each form, the opcodes,
// which slots are live (and, for format v2's read8, freed or read), and the value forms read
// (Reader) and written (Writer). Private to //program.
#ifndef HEAPTWIN_PROGRAM_FUZZ_ENCODING_FORMAT_H_
#define HEAPTWIN_PROGRAM_FUZZ_ENCODING_FORMAT_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "program/fuzz_encoding.h"
#include "program/op.h"

namespace heaptwin::fuzz_format {

// Requests worth hitting that the one-byte form (multiples of 8 below 0x400) does not reach:
// the tcache limit (0x408), the small/large bin boundary (chunk 0x400), large-bin spacing,
// the 64 KiB consolidation threshold, the mmap threshold (0x20000) and its 32 MiB ceiling,
// and the sizes where request2size and the PTRDIFF_MAX checks overflow.
inline constexpr std::array<uint64_t, 63> kBoundarySizes = {
    1,
    0x11,
    0x19,
    0x3f9,
    0x400,
    0x408,
    0x409,
    0x410,
    0x418,
    0x420,
    0x428,
    0x438,
    0x448,
    0x4f8,
    0x500,
    0x5f8,
    0x7f8,
    0x800,
    0xbf8,
    0xc00,
    0xff8,
    0x1000,
    0x1008,
    0x1ff8,
    0x2000,
    0x3ff8,
    0x4000,
    0x7ff8,
    0x8000,
    0xfff8,
    0x10000,
    0x10008,
    0x1ffe8,
    0x1fff0,
    0x1fff8,
    0x20000,
    0x20008,
    0x20ff0,
    0x21000,
    0x30000,
    0x40000,
    0x80000,
    0x100000,
    0x200000,
    0x400000,
    0x1000000,
    0x1fff000,
    0x2000000,
    0x2000008,
    0x4000000,
    0x7ffffff0,
    0x80000000,
    0xffffffff,
    0x100000000,
    0x7fffffffffffffe0,
    0x7fffffffffffffef,
    0x7fffffffffffffff,
    0x8000000000000000,
    0xffffffffffffffb8,
    0xffffffffffffffe0,
    0xfffffffffffffff0,
    0xfffffffffffffff7,
    0xffffffffffffffff,
};

inline constexpr uint8_t kSizeTableFirst = 0x80;
inline constexpr uint8_t kSizeLiteral64 = 0xbf;
inline constexpr uint8_t kSize22First = 0xc0;
inline constexpr uint8_t kSignedEscape = 0x80;
inline constexpr uint8_t kAlignEscape = 0x40;
inline constexpr uint8_t kSlotEscapeFirst = 0xe0;
inline constexpr uint8_t kNullSlotByte = 0xff;  // escape form of slot number 31
inline constexpr uint8_t kMalloptEscape = 9;

inline constexpr std::array<int32_t, 9> kMalloptParams = {1, -1, -2, -3, -4, -5, -6, -7, -8};

enum class Opcode : uint8_t {
  kMalloc = 0,
  kFree = 6,
  kCalloc = 10,
  kRealloc = 11,
  kAligned = 12,
  kWrite8 = 13,
  kMisc = 14,
};

inline Opcode opcode_of(uint8_t b) {
  switch (b & 15) {
    case 0:
    case 1:
    case 2:
    case 3:
    case 4:
    case 5: return Opcode::kMalloc;
    case 6:
    case 7:
    case 8:
    case 9:
    case 15: return Opcode::kFree;
    case 10: return Opcode::kCalloc;
    case 11: return Opcode::kRealloc;
    case 12: return Opcode::kAligned;
    case 13: return Opcode::kWrite8;
    default: return Opcode::kMisc;
  }
}

// Which slot numbers hold a block that has not been freed, as far as the byte stream alone can
// tell (it cannot know which calls return NULL): it only biases choices toward live slots.
class LiveSet {
 public:
  void add(int x) { bits_ |= 1u << x; }
  void remove(int x) { bits_ &= ~(1u << x); }
  bool has(int x) const { return bits_ >> x & 1; }
  int count() const { return __builtin_popcount(bits_); }
  int nth(int n) const {  // the n-th live slot number, ascending
    for (int x = 0; x < kFuzzSlots; ++x) {
      if (has(x) && n-- == 0) return x;
    }
    return -1;
  }
  int index_of(int x) const { return __builtin_popcount(bits_ & ((1u << x) - 1)); }
  // The first live slot number after x, going up and wrapping past s30 to s0 (x itself last);
  // -1 when none is live. Format v4's repeated free walks the live slots this way.
  int next_after(int x) const {
    for (int d = 1; d <= kFuzzSlots; ++d) {
      const int y = (x + d) % kFuzzSlots;
      if (has(y)) return y;
    }
    return -1;
  }

  // How an op changes liveness, given its slot numbers (-1 for null).
  void apply(const Op& op, int dst, int src) {
    switch (op.kind) {
      case OpKind::kFree:
        if (src >= 0) remove(src);
        break;
      case OpKind::kRealloc:
        if (src >= 0) remove(src);
        if (op.a == 0 && src >= 0)
          remove(dst);
        else
          add(dst);
        break;
      case OpKind::kRead8:
        if (dst >= 0) remove(dst);  // it holds a value now, not a block
        break;
      default:
        if (op.allocates()) add(dst);
    }
  }

 private:
  uint32_t bits_ = 0;
};

// Format v2's read8 (docs/fuzz-encoding.md). Its slot operand prefers slots freed and not
// assigned since (a freed chunk's fd and bk are what leak), then live ones; its offset prefers
// the words around a chunk header: fd, bk, prev_size, size, fd_nextsize, bk_nextsize.
inline constexpr uint8_t kReadOpcode = 15;      // a free in v1
inline constexpr uint8_t kFreedRefsEnd = 0x80;  // read8 ref: below, the (b % freed)-th freed slot
inline constexpr uint8_t kReadOffsetEscape = 0xf0;  // read8 offset: below, a table entry
inline constexpr std::array<int64_t, 6> kReadOffsets = {0, 8, -0x10, -8, 0x10, 0x18};

// Slots that a free (or a realloc's source) released and no op assigned since, and slots a
// read8 assigned last: as LiveSet, from the bytes alone.
struct ReadSets {
  LiveSet freed, read;
  void apply(const Op& op, int dst, int src) {
    if ((op.kind == OpKind::kFree || op.kind == OpKind::kRealloc) && src >= 0) freed.add(src);
    if (op.assigns() && dst >= 0) {
      freed.remove(dst);
      if (op.kind == OpKind::kRead8)
        read.add(dst);
      else
        read.remove(dst);
    }
  }
};

// Format v3's thread nibble (the high 4 bits of an op's first byte, which v1 and v2 ignore):
// from kThreadSwitch up, thread (nibble - kThreadSwitch); below it, the thread stays as it was,
// so mutations mostly keep a Program on its threads.
inline constexpr uint8_t kThreadSwitch = 8;
static_assert(kMaxThreads <= 16 - kThreadSwitch, "every thread has a nibble");

// Format v4's repeat count: an op's high nibble below kThreadSwitch (v1, v2 and v3 ignore it
// there) repeats a malloc, calloc, aligned op or free. Nibble 0 is one op (what the encoder writes
// for a single op); one bit flip of it reaches 7 (tcache_count: a tcache bin filled), 8 (one past
// it: the next free goes to a fastbin or the unsorted bin) and 2; two flips 3. Nibbles 5..7 are
// spare and read as 1. A random first byte repeats one time in 4, and stands for 2 ops on average
// (a random input of these kinds decodes to twice as many ops as it did in v1).
inline constexpr std::array<uint8_t, kThreadSwitch> kRepeatCounts = {1, 7, 8, 3, 2, 1, 1, 1};

// The nibble of a count (0 when it has none: the op is written once).
inline uint8_t repeat_nibble(int count) {
  for (uint8_t n = 0; n < kRepeatCounts.size(); ++n) {
    if (kRepeatCounts[n] == count) return n;
  }
  return 0;
}

class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool done() const { return pos_ >= size_; }
  // Past the end every byte reads as 0: a truncated input still decodes.
  uint8_t byte() { return pos_ < size_ ? data_[pos_++] : (pos_++, 0); }
  uint64_t le(int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= uint64_t{byte()} << (8 * i);
    return v;
  }

  uint64_t size() {
    uint8_t b = byte();
    if (b < kSizeTableFirst) return uint64_t{b} * 8;
    if (b < kSizeLiteral64) return kBoundarySizes[b - kSizeTableFirst];
    if (b == kSizeLiteral64) return le(8);
    return (uint64_t{b} & 0x3f) << 16 | le(2);
  }
  int64_t signed_value() {
    uint8_t b = byte();
    if (b == kSignedEscape) return static_cast<int64_t>(le(8));
    return static_cast<int64_t>(static_cast<int8_t>(b)) * 8;
  }
  uint64_t alignment() {
    uint8_t b = byte();
    if (b < kAlignEscape) return uint64_t{1} << b;
    return size();
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

class Writer {
 public:
  std::string bytes;
  void byte(uint8_t b) { bytes.push_back(static_cast<char>(b)); }
  void le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) byte(static_cast<uint8_t>(v >> (8 * i)));
  }
  void size(uint64_t v) {
    if (v % 8 == 0 && v / 8 < kSizeTableFirst) return byte(static_cast<uint8_t>(v / 8));
    for (size_t i = 0; i < kBoundarySizes.size(); ++i) {
      if (kBoundarySizes[i] == v) return byte(static_cast<uint8_t>(kSizeTableFirst + i));
    }
    if (v < (uint64_t{1} << 22)) {
      byte(static_cast<uint8_t>(kSize22First | v >> 16));
      return le(v & 0xffff, 2);
    }
    byte(kSizeLiteral64);
    le(v, 8);
  }
  void signed_value(int64_t v) {
    if (v % 8 == 0 && v >= -127 * 8 && v <= 127 * 8) {
      return byte(static_cast<uint8_t>(static_cast<int8_t>(v / 8)));
    }
    byte(kSignedEscape);
    le(static_cast<uint64_t>(v), 8);
  }
  void alignment(uint64_t v) {
    if (v != 0 && (v & (v - 1)) == 0) return byte(static_cast<uint8_t>(__builtin_ctzll(v)));
    byte(kAlignEscape);
    size(v);
  }
};

}  // namespace heaptwin::fuzz_format

#endif  // HEAPTWIN_PROGRAM_FUZZ_ENCODING_FORMAT_H_
