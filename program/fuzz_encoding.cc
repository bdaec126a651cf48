#include "program/fuzz_encoding.h"

#include <array>
#include <cstring>
#include <limits>
#include <vector>

namespace heaptwin {

namespace {

// Requests worth hitting that the one-byte form (multiples of 8 below 0x400) does not reach:
// the tcache limit (0x408), the small/large bin boundary (chunk 0x400), large-bin spacing,
// the 64 KiB consolidation threshold, the mmap threshold (0x20000) and its 32 MiB ceiling,
// and the sizes where request2size and the PTRDIFF_MAX checks overflow.
constexpr std::array<uint64_t, 63> kBoundarySizes = {
    1,          0x11,       0x19,       0x3f9,      0x400,      0x408,      0x409,
    0x410,      0x418,      0x420,      0x428,      0x438,      0x448,      0x4f8,
    0x500,      0x5f8,      0x7f8,      0x800,      0xbf8,      0xc00,      0xff8,
    0x1000,     0x1008,     0x1ff8,     0x2000,     0x3ff8,     0x4000,     0x7ff8,
    0x8000,     0xfff8,     0x10000,    0x10008,    0x1ffe8,    0x1fff0,    0x1fff8,
    0x20000,    0x20008,    0x20ff0,    0x21000,    0x30000,    0x40000,    0x80000,
    0x100000,   0x200000,   0x400000,   0x1000000,  0x1fff000,  0x2000000,  0x2000008,
    0x4000000,  0x7ffffff0, 0x80000000, 0xffffffff, 0x100000000,
    0x7fffffffffffffe0, 0x7fffffffffffffef, 0x7fffffffffffffff, 0x8000000000000000,
    0xffffffffffffffb8, 0xffffffffffffffe0, 0xfffffffffffffff0, 0xfffffffffffffff7,
    0xffffffffffffffff,
};

constexpr uint8_t kSizeTableFirst = 0x80;
constexpr uint8_t kSizeLiteral64 = 0xbf;
constexpr uint8_t kSize22First = 0xc0;
constexpr uint8_t kSignedEscape = 0x80;
constexpr uint8_t kAlignEscape = 0x40;
constexpr uint8_t kSlotEscapeFirst = 0xe0;
constexpr uint8_t kNullSlotByte = 0xff;  // escape form of slot number 31
constexpr uint8_t kMalloptEscape = 9;

constexpr std::array<int32_t, 9> kMalloptParams = {1, -1, -2, -3, -4, -5, -6, -7, -8};

enum class Opcode : uint8_t {
  kMalloc = 0, kFree = 6, kCalloc = 10, kRealloc = 11, kAligned = 12, kWrite8 = 13, kMisc = 14,
};

Opcode opcode_of(uint8_t b) {
  switch (b & 15) {
    case 0: case 1: case 2: case 3: case 4: case 5: return Opcode::kMalloc;
    case 6: case 7: case 8: case 9: case 15: return Opcode::kFree;
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

  // How an op changes liveness, given its slot numbers (-1 for null).
  void apply(const Op& op, int dst, int src) {
    switch (op.kind) {
      case OpKind::kFree:
        if (src >= 0) remove(src);
        break;
      case OpKind::kRealloc:
        if (src >= 0) remove(src);
        if (op.a == 0 && src >= 0) remove(dst); else add(dst);
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
constexpr uint8_t kReadOpcode = 15;           // a free in v1
constexpr uint8_t kFreedRefsEnd = 0x80;       // read8 ref: below, the (b % freed)-th freed slot
constexpr uint8_t kReadOffsetEscape = 0xf0;   // read8 offset: below, a table entry
constexpr std::array<int64_t, 6> kReadOffsets = {0, 8, -0x10, -8, 0x10, 0x18};

// Slots that a free (or a realloc's source) released and no op assigned since, and slots a
// read8 assigned last: as LiveSet, from the bytes alone.
struct ReadSets {
  LiveSet freed, read;
  void apply(const Op& op, int dst, int src) {
    if ((op.kind == OpKind::kFree || op.kind == OpKind::kRealloc) && src >= 0) freed.add(src);
    if (op.assigns() && dst >= 0) {
      freed.remove(dst);
      if (op.kind == OpKind::kRead8) read.add(dst); else read.remove(dst);
    }
  }
};

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

class Decoder {
 public:
  Decoder(const uint8_t* data, size_t size, const DecodeOptions& options)
      : in_(data, size), options_(options) {
    slot_of_number_.fill(kNullSlot);
  }

  Program run() {
    if (in_.done()) return program_;
    reads_allowed_ = in_.byte() == kFuzzFormatV2;  // any other value reads as v1
    while (!in_.done() && program_.ops.size() < options_.max_ops) decode_op();
    return program_;
  }

 private:
  void decode_op() {
    Op op;
    int dst = -1, src = -1;
    const uint8_t first = in_.byte();
    if (reads_allowed_ && (first & 15) == kReadOpcode) return decode_read8();
    Opcode code = opcode_of(first);
    if (code == Opcode::kWrite8 && !options_.allow_corruption) code = Opcode::kMalloc;
    switch (code) {
      case Opcode::kMalloc:
        op.kind = OpKind::kMalloc;
        dst = dst_number();
        op.a = in_.size();
        break;
      case Opcode::kFree:
        op.kind = OpKind::kFree;
        op.src = slot_ref(&src);
        break;
      case Opcode::kCalloc:
        op.kind = OpKind::kCalloc;
        dst = dst_number();
        op.a = in_.size();
        op.b = in_.size();
        break;
      case Opcode::kRealloc:
        op.kind = OpKind::kRealloc;
        dst = dst_number();
        op.src = slot_ref(&src);
        op.a = in_.size();
        break;
      case Opcode::kAligned: {
        static constexpr OpKind kKinds[] = {OpKind::kMemalign, OpKind::kAlignedAlloc,
                                            OpKind::kPosixMemalign, OpKind::kValloc,
                                            OpKind::kPvalloc};
        op.kind = kKinds[in_.byte() % 5];
        dst = dst_number();
        if (op.kind == OpKind::kValloc || op.kind == OpKind::kPvalloc) {
          op.a = in_.size();
        } else {
          op.a = in_.alignment();
          op.b = in_.size();
        }
        break;
      }
      case Opcode::kWrite8:
        op.kind = OpKind::kWrite8;
        op.src = slot_ref(&src);
        op.offset = in_.signed_value();
        op.value = value();
        break;
      case Opcode::kMisc:
        switch (in_.byte() % 3) {
          case 0:
            op.kind = OpKind::kUsableSize;
            op.src = slot_ref(&src);
            break;
          case 1: {
            op.kind = OpKind::kMallopt;
            uint8_t p = in_.byte() % 10;
            op.param = p == kMalloptEscape ? static_cast<int32_t>(in_.le(4)) : kMalloptParams[p];
            op.a = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(in_.size())));
            break;
          }
          default:
            op.kind = OpKind::kTrim;
            op.a = in_.size();
            break;
        }
        break;
    }
    add(op, dst, src);
  }

  void add(Op op, int dst, int src) {
    live_.apply(op, dst, src);
    read_sets_.apply(op, dst, src);
    if (dst >= 0) {
      op.dst = program_.intern("s" + std::to_string(dst));
      slot_of_number_[dst] = op.dst;
    }
    program_.ops.push_back(op);
  }

  void decode_read8() {
    Op op;
    op.kind = OpKind::kRead8;
    const int dst = dst_number();
    int src = -1;
    const uint8_t b = in_.byte();
    const LiveSet& freed = read_sets_.freed;
    int x;
    if (b < kFreedRefsEnd && freed.count() > 0) {
      x = freed.nth(b % freed.count());
    } else if (b < kSlotEscapeFirst && live_.count() > 0) {
      x = live_.nth((b & 0x7f) % live_.count());
    } else {
      x = b & 31;
    }
    op.src = slot_of(x, &src);
    const uint8_t o = in_.byte();
    op.offset = o < kReadOffsetEscape ? kReadOffsets[o % kReadOffsets.size()] : in_.signed_value();
    add(op, dst, src);
  }

  int dst_number() { return in_.byte() % kFuzzSlots; }

  // A slot operand: mostly a live slot; the escape form names any slot. A slot that was never
  // assigned reads as null, so every reference is valid.
  SlotId slot_ref(int* number) {
    uint8_t b = in_.byte();
    int x = (b < kSlotEscapeFirst && live_.count() > 0) ? live_.nth(b % live_.count()) : b & 31;
    return slot_of(x, number);
  }

  // Slot number x (31: null) as an operand. A slot never assigned reads as null, and so does one
  // a read8 assigned where the target wants no corruption.
  SlotId slot_of(int x, int* number) {
    const bool read_value = x < kFuzzSlots && read_sets_.read.has(x) && !options_.allow_corruption;
    if (x >= kFuzzSlots || slot_of_number_[x] == kNullSlot || read_value) {
      *number = -1;
      return kNullSlot;
    }
    *number = x;
    return slot_of_number_[x];
  }

  // An address for a write8 value: a slot (any form) or the heap base, plus a delta.
  void address(bool is_heap, SlotId* slot, int64_t* delta) {
    int unused;
    if (!is_heap) *slot = slot_ref(&unused);
    *delta = in_.signed_value();
  }

  Value value() {
    Value v;
    switch (in_.byte() % 4) {
      case 0:
        v.kind = Value::Kind::kLiteral;
        v.literal = in_.size();
        break;
      case 1:
        v.kind = Value::Kind::kSlot;
        address(false, &v.slot, &v.delta);
        break;
      case 2:
        v.kind = Value::Kind::kHeap;
        address(true, &v.slot, &v.delta);
        break;
      default:
        v.kind = Value::Kind::kProtect;
        v.pos_is_heap = in_.byte() % 2 == 1;
        address(v.pos_is_heap, &v.slot, &v.delta);
        switch (in_.byte() % 3) {
          case 0:
            v.target_kind = Value::Kind::kLiteral;
            v.target_literal = in_.size();
            break;
          case 1:
            v.target_kind = Value::Kind::kSlot;
            address(false, &v.target_slot, &v.target_delta);
            break;
          default:
            v.target_kind = Value::Kind::kHeap;
            address(true, &v.target_slot, &v.target_delta);
            break;
        }
    }
    return v;
  }

  Reader in_;
  DecodeOptions options_;
  Program program_;
  LiveSet live_;
  ReadSets read_sets_;
  bool reads_allowed_ = false;  // format v2
  std::array<SlotId, kFuzzSlots> slot_of_number_;
};

class Encoder {
 public:
  explicit Encoder(const Program& p) : program_(p) {}

  bool assign_numbers(std::string* error) {
    if (program_.slot_count() - 1 > kFuzzSlots) return too_many_slots(error);
    number_of_slot_.assign(program_.slot_count(), -1);
    std::array<bool, kFuzzSlots> taken{};
    // Names the decoder produces (s0..s30) keep their number, so decode(encode(p)) == p.
    for (size_t id = 1; id < program_.slot_count(); ++id) {
      std::string_view n = program_.slot_names[id];
      if (n.size() >= 2 && n[0] == 's' && n.find_first_not_of("0123456789", 1) == std::string::npos &&
          n.size() <= 3 && !(n.size() == 3 && n[1] == '0')) {
        int x = std::stoi(std::string(n.substr(1)));
        if (x < kFuzzSlots && !taken[x]) {
          number_of_slot_[id] = x;
          taken[x] = true;
        }
      }
    }
    for (size_t id = 1; id < program_.slot_count(); ++id) {
      if (number_of_slot_[id] >= 0) continue;
      int x = 0;
      while (x < kFuzzSlots && taken[x]) ++x;
      if (x == kFuzzSlots) return too_many_slots(error);
      number_of_slot_[id] = x;
      taken[x] = true;
    }
    return true;
  }

  bool too_many_slots(std::string* error) const {
    *error = "the program uses " + std::to_string(program_.slot_count() - 1) +
             " slots; the fuzz encoding holds at most " + std::to_string(kFuzzSlots) +
             " (s0..s30)";
    return false;
  }

  std::string run() {
    bool reads = false;
    for (const Op& op : program_.ops) reads |= op.kind == OpKind::kRead8;
    out_.byte(reads ? kFuzzFormatV2 : kFuzzFormatV1);
    for (const Op& op : program_.ops) encode_op(op);
    return out_.bytes;
  }

 private:
  int number(SlotId id) const { return id == kNullSlot ? -1 : number_of_slot_[id]; }

  void slot_ref(SlotId id) {
    int x = number(id);
    if (x < 0) return out_.byte(kNullSlotByte);
    if (live_.has(x)) return out_.byte(static_cast<uint8_t>(live_.index_of(x)));
    out_.byte(static_cast<uint8_t>(kSlotEscapeFirst | x));
  }

  void encode_op(const Op& op) {
    switch (op.kind) {
      case OpKind::kMalloc:
        out_.byte(static_cast<uint8_t>(Opcode::kMalloc));
        out_.byte(static_cast<uint8_t>(number(op.dst)));
        out_.size(op.a);
        break;
      case OpKind::kFree:
        out_.byte(static_cast<uint8_t>(Opcode::kFree));
        slot_ref(op.src);
        break;
      case OpKind::kCalloc:
        out_.byte(static_cast<uint8_t>(Opcode::kCalloc));
        out_.byte(static_cast<uint8_t>(number(op.dst)));
        out_.size(op.a);
        out_.size(op.b);
        break;
      case OpKind::kRealloc:
        out_.byte(static_cast<uint8_t>(Opcode::kRealloc));
        out_.byte(static_cast<uint8_t>(number(op.dst)));
        slot_ref(op.src);
        out_.size(op.a);
        break;
      case OpKind::kMemalign:
      case OpKind::kAlignedAlloc:
      case OpKind::kPosixMemalign:
      case OpKind::kValloc:
      case OpKind::kPvalloc: {
        out_.byte(static_cast<uint8_t>(Opcode::kAligned));
        uint8_t sub = op.kind == OpKind::kMemalign        ? 0
                      : op.kind == OpKind::kAlignedAlloc  ? 1
                      : op.kind == OpKind::kPosixMemalign ? 2
                      : op.kind == OpKind::kValloc        ? 3
                                                          : 4;
        out_.byte(sub);
        out_.byte(static_cast<uint8_t>(number(op.dst)));
        if (sub >= 3) {
          out_.size(op.a);
        } else {
          out_.alignment(op.a);
          out_.size(op.b);
        }
        break;
      }
      case OpKind::kWrite8:
        out_.byte(static_cast<uint8_t>(Opcode::kWrite8));
        slot_ref(op.src);
        out_.signed_value(op.offset);
        value(op.value);
        break;
      case OpKind::kUsableSize:
        out_.byte(static_cast<uint8_t>(Opcode::kMisc));
        out_.byte(0);
        slot_ref(op.src);
        break;
      case OpKind::kMallopt: {
        out_.byte(static_cast<uint8_t>(Opcode::kMisc));
        out_.byte(1);
        uint8_t p = kMalloptEscape;
        for (size_t i = 0; i < kMalloptParams.size(); ++i) {
          if (kMalloptParams[i] == op.param) p = static_cast<uint8_t>(i);
        }
        out_.byte(p);
        if (p == kMalloptEscape) out_.le(static_cast<uint32_t>(op.param), 4);
        out_.size(op.a);
        break;
      }
      case OpKind::kTrim:
        out_.byte(static_cast<uint8_t>(Opcode::kMisc));
        out_.byte(2);
        out_.size(op.a);
        break;
      case OpKind::kRead8:
        encode_read8(op);
        break;
    }
    live_.apply(op, number(op.dst), number(op.src));
    read_sets_.apply(op, number(op.dst), number(op.src));
  }

  void encode_read8(const Op& op) {
    out_.byte(kReadOpcode);
    out_.byte(static_cast<uint8_t>(number(op.dst)));
    const int x = number(op.src);
    if (x >= 0 && read_sets_.freed.has(x)) {
      out_.byte(static_cast<uint8_t>(read_sets_.freed.index_of(x)));
    } else if (x >= 0 && live_.has(x)) {
      out_.byte(static_cast<uint8_t>(kFreedRefsEnd | live_.index_of(x)));
    } else {
      out_.byte(x < 0 ? kNullSlotByte : static_cast<uint8_t>(kSlotEscapeFirst | x));
    }
    for (size_t i = 0; i < kReadOffsets.size(); ++i) {
      if (kReadOffsets[i] == op.offset) return out_.byte(static_cast<uint8_t>(i));
    }
    out_.byte(kReadOffsetEscape);
    out_.signed_value(op.offset);
  }

  void address(bool is_heap, SlotId slot, int64_t delta) {
    if (!is_heap) slot_ref(slot);
    out_.signed_value(delta);
  }

  void value(const Value& v) {
    switch (v.kind) {
      case Value::Kind::kLiteral:
        out_.byte(0);
        out_.size(v.literal);
        break;
      case Value::Kind::kSlot:
        out_.byte(1);
        address(false, v.slot, v.delta);
        break;
      case Value::Kind::kHeap:
        out_.byte(2);
        address(true, v.slot, v.delta);
        break;
      case Value::Kind::kProtect:
        out_.byte(3);
        out_.byte(v.pos_is_heap ? 1 : 0);
        address(v.pos_is_heap, v.slot, v.delta);
        switch (v.target_kind) {
          case Value::Kind::kSlot:
            out_.byte(1);
            address(false, v.target_slot, v.target_delta);
            break;
          case Value::Kind::kHeap:
            out_.byte(2);
            address(true, v.target_slot, v.target_delta);
            break;
          default:
            out_.byte(0);
            out_.size(v.target_literal);
            break;
        }
        break;
    }
  }

  const Program& program_;
  std::vector<int> number_of_slot_;
  Writer out_;
  LiveSet live_;
  ReadSets read_sets_;
};

}  // namespace

Program decode_fuzz(const uint8_t* data, size_t size, const DecodeOptions& options) {
  return Decoder(data, size, options).run();
}

std::optional<std::string> encode_fuzz(const Program& program, std::string* error) {
  Encoder encoder(program);
  if (!encoder.assign_numbers(error)) return std::nullopt;
  return encoder.run();
}

}  // namespace heaptwin
