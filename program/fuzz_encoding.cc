// The fuzz byte encoding's decoder (fuzz_encoding.h: decode_fuzz): any bytes to a valid Program.
// The format's forms are fuzz_encoding_format.h's; the encoder is fuzz_encode.cc.
#include "program/fuzz_encoding.h"

#include <array>
#include <string>

#include "program/fuzz_encoding_format.h"

namespace heaptwin {

// The decoder is one half of the format: inside its namespace, the forms go by their own names.
namespace fuzz_format {
namespace {

class Decoder {
 public:
  Decoder(const uint8_t* data, size_t size, const DecodeOptions& options)
      : in_(data, size), options_(options) {
    slot_of_number_.fill(kNullSlot);
  }

  Program run() {
    if (in_.done()) return program_;
    // 1, 2 and 3 are v1, v2 and v3; any other value reads as v4, the newest.
    const uint8_t format = in_.byte();
    repeats_allowed_ =
        format != kFuzzFormatV1 && format != kFuzzFormatV2 && format != kFuzzFormatV3;
    reads_allowed_ = format != kFuzzFormatV1;
    threads_allowed_ = (format == kFuzzFormatV3 || repeats_allowed_) && options_.allow_threads;
    while (!in_.done() && program_.ops.size() < options_.max_ops) decode_op();
    return program_;
  }

 private:
  void decode_op() {
    Op op;
    int dst = -1, src = -1;
    const uint8_t first = in_.byte();
    int count = 1;  // how many times the op is repeated (format v4)
    if (first >> 4 >= kThreadSwitch) {
      if (threads_allowed_) thread_ = static_cast<uint8_t>((first >> 4) - kThreadSwitch);
    } else if (repeats_allowed_) {
      count = kRepeatCounts[first >> 4];
    }
    if (reads_allowed_ && (first & 15) == kReadOpcode) return decode_read8();
    Opcode code = opcode_of(first);
    if (code == Opcode::kWrite8 && !options_.allow_corruption) code = Opcode::kMalloc;
    switch (code) {
      case Opcode::kMalloc:
        op.kind = OpKind::kMalloc;
        dst = dst_number();
        op.a = in_.size();
        return add_allocations(op, dst, count);
      case Opcode::kFree:
        op.kind = OpKind::kFree;
        op.src = slot_ref(&src);
        return add_frees(op, src, count);
      case Opcode::kCalloc:
        op.kind = OpKind::kCalloc;
        dst = dst_number();
        op.a = in_.size();
        op.b = in_.size();
        return add_allocations(op, dst, count);
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
        return add_allocations(op, dst, count);
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
    op.thread = thread_;
    live_.apply(op, dst, src);
    read_sets_.apply(op, dst, src);
    if (dst >= 0) {
      op.dst = program_.intern("s" + std::to_string(dst));
      slot_of_number_[dst] = op.dst;
    }
    program_.ops.push_back(op);
  }

  // Format v4's repeats (count 1 elsewhere), each stopping at max_ops. An allocating op assigns
  // s(dst), s(dst + 1), ... wrapping past s30 to s0.
  void add_allocations(const Op& op, int dst, int count) {
    add(op, dst, -1);
    for (int i = 1; i < count && program_.ops.size() < options_.max_ops; ++i) {
      add(op, (dst + i) % kFuzzSlots, -1);
    }
  }

  // A free frees its ref, then each time the next live slot after the one it freed last (going up,
  // wrapping past s30 to s0), until count frees or no slot is live. A free of null is not repeated.
  void add_frees(Op op, int src, int count) {
    add(op, -1, src);
    for (int i = 1; i < count && src >= 0 && program_.ops.size() < options_.max_ops; ++i) {
      const int next = live_.next_after(src);
      if (next < 0) break;
      op.src = slot_of(next, &src);
      add(op, -1, src);
    }
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

  // A literal, or a slot's or the heap's address plus a delta, by its form (0, 1, 2): a value
  // itself, or the target of a protect().
  void term(int form, Value::Kind* kind, uint64_t* literal, SlotId* slot, int64_t* delta) {
    switch (form) {
      case 0:
        *kind = Value::Kind::kLiteral;
        *literal = in_.size();
        break;
      case 1:
        *kind = Value::Kind::kSlot;
        address(false, slot, delta);
        break;
      default:
        *kind = Value::Kind::kHeap;
        address(true, slot, delta);
        break;
    }
  }

  Value value() {
    Value v;
    const int form = in_.byte() % 4;
    if (form < 3) {
      term(form, &v.kind, &v.literal, &v.slot, &v.delta);
      return v;
    }
    v.kind = Value::Kind::kProtect;
    v.pos_is_heap = in_.byte() % 2 == 1;
    address(v.pos_is_heap, &v.slot, &v.delta);
    term(in_.byte() % 3, &v.target_kind, &v.target_literal, &v.target_slot, &v.target_delta);
    return v;
  }

  Reader in_;
  DecodeOptions options_;
  Program program_;
  LiveSet live_;
  ReadSets read_sets_;
  bool reads_allowed_ = false;    // format v2, v3 and v4
  bool repeats_allowed_ = false;  // format v4
  bool threads_allowed_ = false;  // format v3 and v4, where DecodeOptions::allow_threads
  uint8_t thread_ = 0;            // the thread of the op before
  std::array<SlotId, kFuzzSlots> slot_of_number_;
};

}  // namespace
}  // namespace fuzz_format

Program decode_fuzz(const uint8_t* data, size_t size, const DecodeOptions& options) {
  return fuzz_format::Decoder(data, size, options).run();
}

}  // namespace heaptwin
