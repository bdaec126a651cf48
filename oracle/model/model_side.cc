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
    case OpKind::kPvalloc:
      a = kPageSize;
      break;
    default:
      break;
  }
  return a;
}

// One run of one Program.
class Run {
 public:
  Run(const Program& program, const Params& params)
      : program_(program), policy_(params), slots_(program.slot_count()) {}

  Outcome step(const Op& op) {
    switch (op.kind) {
      case OpKind::kMalloc: return allocated(op, policy_.malloc(op.a), std::nullopt);
      case OpKind::kCalloc: return allocated(op, policy_.calloc(op.a, op.b), std::nullopt);
      case OpKind::kRealloc: {
        const std::optional<Block> old = live_slot(op.src, "realloc");
        return allocated(op, policy_.realloc(old, op.a), old);
      }
      case OpKind::kMemalign: return allocated(op, policy_.aligned(AlignedKind::kMemalign, op.a, op.b), std::nullopt);
      case OpKind::kAlignedAlloc: return allocated(op, policy_.aligned(AlignedKind::kAlignedAlloc, op.a, op.b), std::nullopt);
      case OpKind::kPosixMemalign: return allocated(op, policy_.aligned(AlignedKind::kPosixMemalign, op.a, op.b), std::nullopt);
      case OpKind::kValloc: return allocated(op, policy_.aligned(AlignedKind::kValloc, 0, op.a), std::nullopt);
      case OpKind::kPvalloc: return allocated(op, policy_.aligned(AlignedKind::kPvalloc, 0, op.a), std::nullopt);
      case OpKind::kFree: {
        const std::optional<Block> b = live_slot(op.src, "free");
        if (b) {
          policy_.free(*b);
          forget(*b);
        }
        return Outcome::done();
      }
      case OpKind::kUsableSize: {
        const std::optional<Block> b = live_slot(op.src, "malloc_usable_size");
        return Outcome::value_of(b ? policy_.usable_size(*b) : 0);
      }
      case OpKind::kWrite8: return write8(op);
      case OpKind::kMallopt:
        return Outcome::value_of(static_cast<uint64_t>(static_cast<int64_t>(
            policy_.mallopt(op.param, static_cast<int32_t>(op.a)))));
      case OpKind::kTrim: return Outcome::value_of(static_cast<uint64_t>(policy_.trim(op.a)));
    }
    throw Unmodelled{"unknown op"};
  }

  const Policy& policy() const { return policy_; }

 private:
  // The block a slot holds: nullopt for NULL; no opinion when it is not live (double free,
  // use after free: glibc's answer depends on bytes the model does not keep).
  std::optional<Block> live_slot(SlotId s, const char* what) const {
    const std::optional<Block>& b = slots_.at(s);
    if (!b) return std::nullopt;
    const bool live = b->mmapped ? live_.mapped_live(b->where) : live_.heap_live(b->where + kUserOffset);
    if (!live) throw Unmodelled{std::string(what) + " of a pointer that is not live"};
    return b;
  }

  void forget(const Block& b) {
    if (b.mmapped) live_.remove_mapped(b.where);
    else live_.remove_heap(b.where + kUserOffset);
  }

  Outcome allocated(const Op& op, const Alloc& a, std::optional<Block> old) {
    if (a.null) {
      // realloc to 0 bytes freed the old block; a failed realloc leaves it live.
      if (old && op.kind == OpKind::kRealloc && op.a == 0) forget(*old);
      slots_.at(op.dst) = std::nullopt;
      return Outcome::null(a.error);
    }
    if (old) forget(*old);
    slots_.at(op.dst) = a.block;
    const uint64_t request = op.kind == OpKind::kRealloc ? op.a : op.request_bytes();
    std::string violation;
    if (a.block.mmapped) {
      violation = live_.add_mapped(a.block.where, a.page_offset, policy_.usable_size(a.block), request,
                                   asked_alignment(op));
    } else {
      violation = live_.add_heap(a.block.where + kUserOffset, policy_.usable_size(a.block), request,
                                 asked_alignment(op), policy_.heap().end());
    }
    if (!violation.empty()) return Outcome::abort("model invariant: " + violation);
    if (a.block.mmapped) return Outcome::mmapped(policy_.mapping(a.block.where).map_size, a.page_offset);
    return Outcome::pointer(static_cast<int64_t>(a.block.where + kUserOffset));
  }

  // Writes inside a live block change nothing glibc reads; anything else is corruption.
  Outcome write8(const Op& op) {
    const std::optional<Block>& b = slots_.at(op.src);
    if (b && op.offset >= 0) {
      const uint64_t off = static_cast<uint64_t>(op.offset);
      if (b->mmapped && live_.mapped_live(b->where) && off + 8 <= policy_.usable_size(*b)) return Outcome::done();
      if (!b->mmapped) {
        const uint64_t user = b->where + kUserOffset;
        const uint64_t end = live_.heap_end_of(user);
        if (end != 0 && user + off + 8 <= end) return Outcome::done();
      }
    }
    throw Unmodelled{"write8 outside a live block"};
  }

  const Program& program_;
  Policy policy_;
  LiveBlocks live_;
  std::vector<std::optional<Block>> slots_;
};

class ModelSide : public Side {
 public:
  ModelSide(std::string name, Params params) : name_(std::move(name)), params_(params) {}
  std::string name() const override { return name_; }
  bool reports_state() const override { return false; }

  Trace run(const Program& program, const RunOptions& options) override {
    Trace trace;
    trace.side = name_;
    Params params = params_;
    bool lost = false;
    std::string why;
    for (const auto& [tunable, value] : options.tunables) {
      if (!params.set_tunable(tunable, value)) {
        lost = true;
        why = "tunable " + tunable + "=" + value + " is not modelled";
      }
    }
    Run run(program, params);
    for (const Op& op : program.ops) {
      Outcome o = Outcome::no_opinion();
      if (!lost) {
        try {
          o = run.step(op);
        } catch (const Unmodelled& u) {
          lost = true;
          why = u.why;
        }
      }
      trace.outcomes.push_back(o);
      if (options.snapshots) {
        if (lost) {
          ArenaSnapshot s;
          s.invalid_reason = "model has no opinion: " + why;
          trace.states.push_back(s);
        } else {
          trace.states.push_back(snapshot_of(run.policy()));
        }
      }
      if (o.is_fatal()) break;
    }
    return trace;
  }

 private:
  std::string name_;
  Params params_;
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
