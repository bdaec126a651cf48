#include "bench/long_program.h"

#include <random>
#include <string>
#include <vector>

namespace heaptwin::bench {

namespace {

uint64_t request_size(std::mt19937_64& rng) {
  auto in = [&](uint64_t lo, uint64_t hi) { return lo + rng() % (hi - lo + 1); };
  const unsigned r = rng() % 1000;
  if (r < 600) return in(1, 0x80);          // tcache and fastbin sizes
  if (r < 900) return in(0x81, 0x400);      // tcache and small bins
  if (r < 985) return in(0x401, 0x4000);    // small and large bins
  if (r < 998) return in(0x4001, 0x1f000);  // large, near top
  return in(0x20000, 0x80000);              // mmapped (until the threshold moves)
}

}  // namespace

Program long_program(size_t ops, size_t live, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Program p;
  p.ops.reserve(ops);
  std::vector<SlotId> live_slots;   // slots holding a live block
  std::vector<SlotId> spare_slots;  // slots whose block was freed
  auto take_slot = [&]() {
    if (!spare_slots.empty()) {
      SlotId s = spare_slots.back();
      spare_slots.pop_back();
      return s;
    }
    return p.intern("b" + std::to_string(p.slot_count()));
  };
  auto take_live = [&]() {
    const size_t i = rng() % live_slots.size();
    const SlotId s = live_slots[i];
    live_slots[i] = live_slots.back();
    live_slots.pop_back();
    return s;
  };
  while (p.ops.size() < ops) {
    Op op;
    // Below the target, mostly allocate; above it, mostly free: the count hovers around it.
    const unsigned alloc_percent = live_slots.size() < live ? 70 : 30;
    const unsigned r = rng() % 100;
    if (live_slots.empty() || r < alloc_percent) {
      op.dst = take_slot();
      if (rng() % 20 == 0) {
        op.kind = OpKind::kCalloc;
        op.a = 1 + rng() % 8;
        op.b = request_size(rng) / op.a + 1;
      } else {
        op.kind = OpKind::kMalloc;
        op.a = request_size(rng);
      }
      live_slots.push_back(op.dst);
    } else if (r < alloc_percent + 8) {
      op.kind = OpKind::kRealloc;
      op.src = take_live();
      op.dst = op.src;
      op.a = request_size(rng);
      live_slots.push_back(op.dst);
    } else {
      op.kind = OpKind::kFree;
      op.src = take_live();
      spare_slots.push_back(op.src);
    }
    p.ops.push_back(op);
  }
  return p;
}

}  // namespace heaptwin::bench
