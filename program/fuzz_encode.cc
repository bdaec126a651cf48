// The fuzz byte encoding's encoder (fuzz_encoding.h: encode_fuzz): a Program's canonical bytes.
// The format's forms are fuzz_encoding_format.h's; the decoder is fuzz_encoding.cc.
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "program/fuzz_encoding.h"
#include "program/fuzz_encoding_format.h"

namespace heaptwin {

// The encoder is one half of the format: inside its namespace, the forms go by their own names.
namespace fuzz_format {
namespace {

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
      if (n.size() >= 2 && n[0] == 's' &&
          n.find_first_not_of("0123456789", 1) == std::string::npos && n.size() <= 3 &&
          !(n.size() == 3 && n[1] == '0')) {
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
             " slots; the fuzz encoding holds at most " + std::to_string(kFuzzSlots) + " (s0..s30)";
    return false;
  }

  bool threads_fit(std::string* error) const {
    for (const Op& op : program_.ops) {
      if (op.thread >= kMaxThreads) {
        *error = "an op runs on thread " + std::to_string(op.thread) +
                 "; the fuzz encoding names t0 to t" + std::to_string(kMaxThreads - 1);
        return false;
      }
    }
    return true;
  }

  std::string run() {
    bool reads = false;
    for (const Op& op : program_.ops) reads |= op.kind == OpKind::kRead8;
    const bool threads = program_.uses_threads();
    const std::vector<int> pieces = plan_pieces();
    bool repeats = false;
    for (int count : pieces) repeats |= count > 1;
    out_.byte(repeats   ? kFuzzFormatV4
              : threads ? kFuzzFormatV3
              : reads   ? kFuzzFormatV2
                        : kFuzzFormatV1);
    uint8_t thread = 0;
    for (size_t i = 0; i < program_.ops.size(); i += pieces[i]) {
      const Op& op = program_.ops[i];
      const size_t first = out_.bytes.size();
      encode_op(op);
      for (int k = 1; k < pieces[i]; ++k) apply(program_.ops[i + k]);  // the repeat writes them
      uint8_t nibble = repeat_nibble(pieces[i]);
      if (threads && op.thread != thread) {  // the shortest form: a nibble only where it changes
        thread = op.thread;                  // (plan_pieces repeats no op that changes it)
        nibble = kThreadSwitch + thread;
      }
      out_.bytes[first] = static_cast<char>(static_cast<uint8_t>(out_.bytes[first]) | nibble << 4);
    }
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

  // Format v4's repeats: for each op, how many ops from it on one first byte stands for (0 for
  // the ops a repeat before them writes). A run is ops that a repeat could write one after the
  // other (chained()); it is cut into as few pieces as kRepeatCounts allow, larger pieces first
  // on a tie, and a run's first op that moves the Program to another thread stands alone (its
  // nibble names the thread).
  std::vector<int> plan_pieces() const {
    const std::vector<Op>& ops = program_.ops;
    std::vector<int> pieces(ops.size(), 0);
    // fewest[n]: the fewest pieces n chained ops take; first[n]: the first piece's size.
    std::vector<int> fewest{0}, first{0};
    auto plan = [&](size_t from, size_t n) {
      while (fewest.size() <= n) {
        const size_t m = fewest.size();
        int best = -1, best_count = 0;
        for (uint8_t count : kRepeatCounts) {  // the largest count of the fewest pieces
          if (count > m) continue;
          const int pieces_after = fewest[m - count];
          if (best < 0 || pieces_after + 1 < best ||
              (pieces_after + 1 == best && count > best_count)) {
            best = pieces_after + 1;
            best_count = count;
          }
        }
        fewest.push_back(best);
        first.push_back(best_count);
      }
      for (size_t i = from; n > 0; i += first[n], n -= first[n]) pieces[i] = first[n];
    };
    LiveSet live;
    uint8_t thread = 0;
    for (size_t i = 0; i < ops.size();) {
      size_t n = 1;
      LiveSet after = live;  // the live slots after ops i .. i + n - 1
      after.apply(ops[i], number(ops[i].dst), number(ops[i].src));
      while (i + n < ops.size() && chained(ops[i + n - 1], ops[i + n], after)) {
        after.apply(ops[i + n], number(ops[i + n].dst), number(ops[i + n].src));
        ++n;
      }
      const bool switches = program_.uses_threads() && ops[i].thread != thread;
      if (switches) pieces[i] = 1;
      plan(i + switches, n - switches);
      thread = ops[i].thread;
      live = after;
      i += n;
    }
    return pieces;
  }

  // Whether a repeat of `op` writes `next` after it; live: the slots live after op.
  bool chained(const Op& op, const Op& next, const LiveSet& live) const {
    if (next.kind != op.kind || next.thread != op.thread) return false;
    switch (op.kind) {
      case OpKind::kMalloc:
      case OpKind::kCalloc:
      case OpKind::kMemalign:
      case OpKind::kAlignedAlloc:
      case OpKind::kPosixMemalign:
      case OpKind::kValloc:
      case OpKind::kPvalloc:
        return next.a == op.a && next.b == op.b && number(op.dst) >= 0 &&
               number(next.dst) == (number(op.dst) + 1) % kFuzzSlots;
      case OpKind::kFree:
        if (number(op.src) < 0) return false;  // a free of null is not repeated
        return number(next.src) >= 0 && number(next.src) == live.next_after(number(op.src));
      default: return false;
    }
  }

  void apply(const Op& op) {
    live_.apply(op, number(op.dst), number(op.src));
    read_sets_.apply(op, number(op.dst), number(op.src));
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
      case OpKind::kRead8: encode_read8(op); break;
    }
    apply(op);
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

  // A literal, or a slot's or the heap's address plus a delta: its form byte (0, 1, 2), then
  // the literal or the address. A value itself, or the target of a protect().
  void term(Value::Kind kind, uint64_t literal, SlotId slot, int64_t delta) {
    switch (kind) {
      case Value::Kind::kSlot:
        out_.byte(1);
        address(false, slot, delta);
        break;
      case Value::Kind::kHeap:
        out_.byte(2);
        address(true, slot, delta);
        break;
      default:
        out_.byte(0);
        out_.size(literal);
        break;
    }
  }

  void value(const Value& v) {
    if (v.kind != Value::Kind::kProtect) return term(v.kind, v.literal, v.slot, v.delta);
    out_.byte(3);
    out_.byte(v.pos_is_heap ? 1 : 0);
    address(v.pos_is_heap, v.slot, v.delta);
    term(v.target_kind, v.target_literal, v.target_slot, v.target_delta);
  }

  const Program& program_;
  std::vector<int> number_of_slot_;
  Writer out_;
  LiveSet live_;
  ReadSets read_sets_;
};

}  // namespace
}  // namespace fuzz_format

std::optional<std::string> encode_fuzz(const Program& program, std::string* error) {
  fuzz_format::Encoder encoder(program);
  if (!encoder.assign_numbers(error) || !encoder.threads_fit(error)) return std::nullopt;
  return encoder.run();
}

}  // namespace heaptwin
