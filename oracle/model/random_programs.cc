#include "oracle/model/random_programs.h"

#include <random>
#include <string>
#include <vector>

namespace heaptwin::model {

namespace {

class Gen {
 public:
  explicit Gen(uint64_t seed) : rng_(seed) {}
  uint64_t below(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng_); }
  bool chance(int percent) { return below(100) < static_cast<uint64_t>(percent); }

  // Sizes weighted towards the interesting boundaries of glibc's classes.
  uint64_t size() {
    switch (below(10)) {
      case 0:
      case 1:
      case 2: return below(0x90);  // fastbin / tcache
      case 3:
      case 4: return below(0x420);         // tcache / small
      case 5: return 0x3e0 + below(0x60);  // small/large boundary
      case 6:
      case 7: return 0x400 + below(0x2000);  // large
      case 8: return below(0x20000);         // up to the mmap threshold
      default: return chance(50) ? 0x1f000 + below(0x3000) : 0x20000 + below(0x60000);  // mmap
    }
  }

 private:
  std::mt19937_64 rng_;
};

}  // namespace

Program random_program(uint64_t seed, const RandomProgramOptions& options) {
  Gen g(seed);
  Program p;
  std::vector<SlotId> slots;
  for (int i = 0; i < options.slots; ++i) slots.push_back(p.intern("s" + std::to_string(i)));
  std::vector<bool> live(p.slot_count(), false);
  auto any_slot = [&] { return slots[g.below(slots.size())]; };
  auto live_or_null = [&]() -> SlotId {
    std::vector<SlotId> l;
    for (SlotId s : slots)
      if (live[s]) l.push_back(s);
    if (l.empty() || g.chance(3)) return kNullSlot;
    return l[g.below(l.size())];
  };
  for (int i = 0; i < options.ops; ++i) {
    Op op;
    const uint64_t r = g.below(100);
    if (r < 38) {
      op.kind = OpKind::kMalloc;
      op.dst = any_slot();
      op.a = g.size();
    } else if (r < 70) {
      op.kind = OpKind::kFree;
      op.src = live_or_null();
    } else if (r < 76) {
      op.kind = OpKind::kCalloc;
      op.dst = any_slot();
      op.a = 1 + g.below(8);
      op.b = g.size() / op.a;
    } else if (r < 86) {
      op.kind = OpKind::kRealloc;
      op.src = live_or_null();
      op.dst = g.chance(70) && op.src != kNullSlot ? op.src : any_slot();
      op.a = g.chance(5) ? 0 : g.size();
    } else if (r < 92) {
      static const OpKind kAligned[] = {OpKind::kMemalign, OpKind::kAlignedAlloc,
                                        OpKind::kPosixMemalign, OpKind::kValloc, OpKind::kPvalloc};
      op.kind = kAligned[g.below(5)];
      op.dst = any_slot();
      const uint64_t align = uint64_t{8} << g.below(10);  // 8 .. 4096
      if (op.kind == OpKind::kValloc || op.kind == OpKind::kPvalloc) {
        op.a = g.size();
      } else {
        op.a = g.chance(10) ? align + 8 : align;  // now and then not a power of two
        op.b = g.size();
      }
    } else if (r < 96) {
      op.kind = OpKind::kUsableSize;
      op.src = live_or_null();
    } else if (options.mallopt && r < 98) {
      op.kind = OpKind::kMallopt;
      static const int32_t kParams[] = {1, -1, -2, -3, -4, -6};
      op.param = kParams[g.below(6)];
      switch (op.param) {
        case 1: op.a = g.below(0xb0); break;
        case -4: op.a = g.chance(50) ? 0 : 65536; break;
        case -6: op.a = g.below(256); break;
        default: op.a = g.below(0x60000); break;
      }
    } else if (options.mallopt) {
      op.kind = OpKind::kTrim;
      op.a = g.chance(50) ? 0 : g.below(0x40000);
    } else {
      op.kind = OpKind::kMalloc;
      op.dst = any_slot();
      op.a = g.size();
    }
    // Slot liveness after the op (a NULL result is not predicted here; freeing a NULL slot is
    // harmless, so "live" may only over-approximate for slots that got NULL).
    switch (op.kind) {
      case OpKind::kFree: live[op.src] = false; break;
      case OpKind::kRealloc:
        live[op.src] = false;
        live[op.dst] = op.a != 0 || op.src == kNullSlot;
        break;
      case OpKind::kUsableSize:
      case OpKind::kMallopt:
      case OpKind::kTrim:
      case OpKind::kWrite8: break;
      default: live[op.dst] = true; break;
    }
    live[kNullSlot] = false;
    p.ops.push_back(op);
  }
  return p;
}

}  // namespace heaptwin::model
