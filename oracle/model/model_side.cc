#include "oracle/model/model_side.h"

#include <optional>
#include <vector>

#include "oracle/model/invariants.h"
#include "oracle/model/policy.h"
#include "oracle/model/snapshot.h"
#include "oracle/model/unmodelled.h"

namespace heaptwin {
namespace model {

namespace {

constexpr uint64_t kUserOffset = 0x10;  // user pointer = chunk + 16

// The alignment the program asked for, as the invariant checks it.
uint64_t asked_alignment(const Op& op) {
  uint64_t a = 16;
  switch (op.kind) {
    case OpKind::kMemalign:
    case OpKind::kAlignedAlloc:
    case OpKind::kPosixMemalign:
      if (op.a != 0 && (op.a & (op.a - 1)) == 0 && op.a > a) a = op.a;
      break;
    case OpKind::kValloc:
    case OpKind::kPvalloc: a = kPageSize; break;
    default: break;
  }
  return a;
}

// The runs of Programs, one at a time; what it holds is reused from one Program to the next.
class Run {
 public:
  explicit Run(const Params& params) : policy_(params) {}

  void start(const Program& program, const Params& params) {
    policy_.reset(params);
    live_.clear();
    slots_.assign(program.slot_count(), std::nullopt);
    read_values_.assign(program.slot_count(), 0);
    why_ = nullptr;
  }

  // Why the model stopped predicting, or nullptr: the op that set it has no opinion, nor any
  // op after it.
  const char* lost() const { return why_ ? why_ : policy_.unmodelled(); }

  Outcome step(const Op& op) {
    switch (op.kind) {
      case OpKind::kMalloc: return allocated(op, policy_.malloc(op.bytes()), std::nullopt);
      case OpKind::kCalloc:
        return allocated(op, policy_.calloc(op.count(), op.element_size()), std::nullopt);
      case OpKind::kRealloc: {
        const std::optional<Block> old = live_slot(op.src, "realloc of a pointer that is not live");
        if (lost()) return Outcome::no_opinion();
        return allocated(op, policy_.realloc(old, op.bytes()), old);
      }
      case OpKind::kMemalign:
        return allocated(
            op, policy_.aligned(AlignedKind::kMemalign, op.alignment(), op.aligned_bytes()),
            std::nullopt);
      case OpKind::kAlignedAlloc:
        return allocated(
            op, policy_.aligned(AlignedKind::kAlignedAlloc, op.alignment(), op.aligned_bytes()),
            std::nullopt);
      case OpKind::kPosixMemalign:
        return allocated(
            op, policy_.aligned(AlignedKind::kPosixMemalign, op.alignment(), op.aligned_bytes()),
            std::nullopt);
      case OpKind::kValloc:
        return allocated(op, policy_.aligned(AlignedKind::kValloc, 0, op.bytes()), std::nullopt);
      case OpKind::kPvalloc:
        return allocated(op, policy_.aligned(AlignedKind::kPvalloc, 0, op.bytes()), std::nullopt);
      case OpKind::kFree: {
        const std::optional<Block> b = live_slot(op.src, "free of a pointer that is not live");
        if (lost()) return Outcome::no_opinion();
        if (b) {
          policy_.free(*b);
          forget(*b);
        }
        return Outcome::done();
      }
      case OpKind::kUsableSize: {
        const std::optional<Block> b =
            live_slot(op.src, "malloc_usable_size of a pointer that is not live");
        if (lost()) return Outcome::no_opinion();
        return Outcome::value_of(b ? policy_.usable_size(*b) : 0);
      }
      case OpKind::kWrite8: return write8(op);
      case OpKind::kMallopt:
        return Outcome::value_of(static_cast<uint64_t>(
            static_cast<int64_t>(policy_.mallopt(op.param, op.mallopt_value()))));
      case OpKind::kTrim: {
        const int released = policy_.trim(op.pad());
        if (lost()) return Outcome::no_opinion();
        return Outcome::value_of(static_cast<uint64_t>(released));
      }
      case OpKind::kRead8: return read8(op);
    }
    return give_up("unknown op");
  }

  const Policy& policy() const { return policy_; }

 private:
  Outcome give_up(const char* why) {
    why_ = why;
    return Outcome::no_opinion();
  }

  bool live(const Block& b) const {
    return b.mmapped ? live_.mapped_live(b.where) : live_.heap_live(b.where + kUserOffset);
  }

  // The block a slot holds: nullopt for NULL. One that is not live (double free, use after
  // free: glibc's answer depends on bytes the model does not keep) makes the model give up.
  std::optional<Block> live_slot(SlotId s, const char* why) {
    if (read_values_.at(s)) {
      give_up("a value read8 read, used as a pointer");
      return std::nullopt;
    }
    const std::optional<Block>& b = slots_.at(s);
    if (b && !live(*b)) give_up(why);
    return b;
  }

  void forget(const Block& b) {
    if (b.mmapped)
      live_.remove_mapped(b.where);
    else
      live_.remove_heap(b.where + kUserOffset);
  }

  Outcome allocated(const Op& op, const Alloc& a, std::optional<Block> old) {
    if (lost()) return Outcome::no_opinion();
    if (a.null) {
      // realloc to 0 bytes freed the old block; a failed realloc leaves it live.
      if (old && op.kind == OpKind::kRealloc && op.bytes() == 0) forget(*old);
      slots_.at(op.dst) = std::nullopt;
      read_values_.at(op.dst) = 0;
      return Outcome::null(a.error);
    }
    if (old) forget(*old);
    slots_.at(op.dst) = a.block;
    read_values_.at(op.dst) = 0;
    const uint64_t request = op.kind == OpKind::kRealloc ? op.bytes() : op.request_bytes();
    std::string violation;
    if (a.block.mmapped) {
      violation = live_.add_mapped(a.block.where, a.page_offset, policy_.usable_size(a.block),
                                   request, asked_alignment(op));
    } else {
      violation = live_.add_heap(a.block.where + kUserOffset, policy_.usable_size(a.block), request,
                                 asked_alignment(op), policy_.heap().end());
    }
    if (!violation.empty()) return Outcome::abort("model invariant: " + violation);
    if (a.block.mmapped)
      return Outcome::mmapped(policy_.mapping(a.block.where).map_size, a.page_offset);
    return Outcome::pointer(static_cast<int64_t>(a.block.where + kUserOffset));
  }

  // Writes inside a live block change nothing glibc reads; anything else is corruption.
  Outcome write8(const Op& op) {
    const std::optional<Block>& b = slots_.at(op.src);
    if (b && op.offset >= 0) {
      const uint64_t off = static_cast<uint64_t>(op.offset);
      if (b->mmapped && live_.mapped_live(b->where) && off + 8 <= policy_.usable_size(*b))
        return Outcome::done();
      if (!b->mmapped) {
        const uint64_t user = b->where + kUserOffset;
        const uint64_t end = live_.heap_end_of(user);
        if (end != 0 && user + off + 8 <= end) return Outcome::done();
      }
    }
    return give_up("write8 outside a live block");
  }

  // What a read8 reads is memory contents, which the model does not keep: no opinion on this op.
  // Whether glibc faults there the model knows when the address lies in the heap below its break
  // (a freed chunk's too) or in a live block's mapping, and then it goes on; the slot assigned
  // holds a value the model does not know. Elsewhere it gives up.
  Outcome read8(const Op& op) {
    const std::optional<Block>& b = slots_.at(op.src);
    bool readable = false;
    constexpr int64_t kFar = int64_t{1} << 48;  // no heap or mapping is this big
    if (b && !read_values_.at(op.src) && op.offset > -kFar && op.offset < kFar) {
      if (!b->mmapped) {
        const int64_t at = static_cast<int64_t>(b->where + kUserOffset) + op.offset;
        readable = at >= 0 && static_cast<uint64_t>(at) + 8 <= policy_.heap().end();
      } else if (live_.mapped_live(b->where)) {  // a mapping given back may be gone
        const int64_t usable = static_cast<int64_t>(policy_.usable_size(*b));
        readable = op.offset >= -static_cast<int64_t>(kUserOffset) && op.offset <= usable - 8;
      }
    }
    if (!readable) return give_up("read8 outside the heap and the live mappings");
    slots_.at(op.dst) = std::nullopt;
    read_values_.at(op.dst) = 1;
    return Outcome::no_opinion();
  }

  Policy policy_;
  LiveBlocks live_;
  std::vector<std::optional<Block>> slots_;
  std::vector<char> read_values_;  // the slot holds what a read8 read (no block, no NULL)
  const char* why_ = nullptr;
};

class ModelSide : public Side {
 public:
  ModelSide(std::string name, Params params)
      : name_(std::move(name)), params_(params), run_(params) {}
  std::string name() const override { return name_; }
  bool reports_state() const override { return false; }

  Trace run(const Program& program, const RunOptions& options) override {
    Trace trace;
    trace.side = name_;
    trace.outcomes.reserve(program.ops.size());
    if (options.snapshots) trace.states.reserve(program.ops.size());
    Params params = params_;
    std::string why;  // set: no opinion from here on
    for (const auto& [tunable, value] : options.tunables) {
      if (!params.set_tunable(tunable, value))
        why = "tunable " + tunable + "=" + value + " is not modelled";
    }
    run_.start(program, params);
    for (const Op& op : program.ops) {
      Outcome& o = trace.outcomes.emplace_back();
      if (why.empty() && op.thread != 0)
        why = "threads are not modelled (an op on a thread other than t0)";
      if (why.empty()) {
        step(op, &o, &why);
      } else {
        o = Outcome::no_opinion();
      }
      if (options.snapshots) {
        if (!why.empty()) {
          ArenaSnapshot s;
          s.invalid_reason = "model has no opinion: " + why;
          trace.states.push_back(std::move(s));
        } else {
          trace.states.push_back(snapshot_of(run_.policy()));
        }
      }
      if (o.is_fatal()) break;
      if (!why.empty() && !options.snapshots) {  // the rest at once
        trace.outcomes.resize(program.ops.size(), Outcome::no_opinion());
        break;
      }
    }
    return trace;
  }

 private:
  // One op into *o; sets *why when the model gives up on it (the op then has no opinion either).
  // Assigned in place, not returned: an Outcome holds a std::string, and moving one into the
  // trace costs a call to memcpy.
  void step(const Op& op, Outcome* o, std::string* why) {
    try {
      *o = run_.step(op);
      if (const char* lost = run_.lost()) {
        *why = lost;
        *o = Outcome::no_opinion();
      }
    } catch (const Unmodelled& u) {  // the model's own consistency checks
      *why = u.why;
      *o = Outcome::no_opinion();
    }
  }

  std::string name_;
  Params params_;
  Run run_;
};

}  // namespace

std::unique_ptr<Side> make_model_side_with(const std::string& name, const Params& params) {
  return std::make_unique<ModelSide>(name, params);
}

}  // namespace model

std::unique_ptr<Side> make_model_side(const std::string& name, std::string* error) {
  return model::make_model_side_with(name, model::Params{});
}

}  // namespace heaptwin
