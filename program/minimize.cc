#include "program/minimize.h"

#include <algorithm>
#include <vector>

namespace heaptwin {

namespace {

// The slots an op reads (its operand and, for write8, the addresses in its value).
std::vector<SlotId> slots_read(const Op& op) {
  std::vector<SlotId> used = {op.src};
  if (op.kind == OpKind::kWrite8) {
    const Value& v = op.value;
    if (v.kind == Value::Kind::kSlot) used.push_back(v.slot);
    if (v.kind == Value::Kind::kProtect) {
      if (!v.pos_is_heap) used.push_back(v.slot);
      if (v.target_kind == Value::Kind::kSlot) used.push_back(v.target_slot);
    }
  }
  return used;
}

// Smaller values worth trying for a size, best first.
std::vector<uint64_t> smaller_values(uint64_t v) {
  std::vector<uint64_t> out;
  for (uint64_t c : {uint64_t{0}, uint64_t{1}, uint64_t{0x10}, uint64_t{0x18}, uint64_t{0x100},
                     uint64_t{0x400}, uint64_t{0x1000}, uint64_t{0x10000}, uint64_t{0x20000}}) {
    if (c < v) out.push_back(c);
  }
  for (uint64_t c = v / 2; c > 0x20 && out.size() < 24; c /= 2) out.push_back(c & ~uint64_t{0xf});
  if (v >= 0x10) out.push_back(v - 0x10);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool shrinkable(const Op& op, int field) {
  switch (op.kind) {
    case OpKind::kMalloc:
    case OpKind::kRealloc:
    case OpKind::kValloc:
    case OpKind::kPvalloc:
    case OpKind::kTrim: return field == 0;
    case OpKind::kCalloc:
    case OpKind::kMemalign:
    case OpKind::kAlignedAlloc:
    case OpKind::kPosixMemalign:
      return true;  // alignments shrink too: a smaller one that still fails is simpler
    default: return false;
  }
}

}  // namespace

bool is_well_formed(const Program& program) {
  std::vector<bool> assigned(program.slot_count(), false);
  assigned[kNullSlot] = true;
  for (const Op& op : program.ops) {
    for (SlotId s : slots_read(op)) {
      if (s >= program.slot_count() || !assigned[s]) return false;
    }
    if (op.assigns()) {
      if (op.dst == kNullSlot || op.dst >= program.slot_count()) return false;
      assigned[op.dst] = true;
    }
  }
  return true;
}

Program compact_slots(const Program& program) {
  Program out;
  std::vector<SlotId> remap(program.slot_count(), kNullSlot);
  auto map = [&](SlotId s) { return s == kNullSlot ? kNullSlot : remap[s]; };
  for (Op op : program.ops) {
    op.src = map(op.src);
    op.value.slot = map(op.value.slot);
    op.value.target_slot = map(op.value.target_slot);
    if (op.assigns()) {
      if (remap[op.dst] == kNullSlot) remap[op.dst] = out.intern(program.slot_names[op.dst]);
      op.dst = remap[op.dst];
    }
    out.ops.push_back(op);
  }
  return out;
}

Program minimize(const Program& program, const std::function<bool(const Program&)>& still_fails,
                 MinimizeStats* stats, const std::function<void(size_t)>& progress) {
  Program best = program;
  stats->ops_before = program.ops.size();
  auto attempt = [&](const Program& candidate) {
    if (!is_well_formed(candidate)) return false;
    ++stats->tries;
    if (!still_fails(candidate)) return false;
    best = candidate;
    if (progress) progress(best.ops.size());
    return true;
  };

  // Ops: remove chunks, halving the chunk size down to single ops, until nothing more goes.
  bool changed = true;
  while (changed) {
    changed = false;
    for (size_t chunk = std::max<size_t>(best.ops.size() / 2, 1); chunk >= 1; chunk /= 2) {
      for (size_t start = 0; start < best.ops.size();) {
        Program candidate = best;
        size_t end = std::min(start + chunk, candidate.ops.size());
        candidate.ops.erase(candidate.ops.begin() + start, candidate.ops.begin() + end);
        if (attempt(candidate)) {
          changed = true;  // the same start now holds the next ops
        } else {
          start += chunk;
        }
      }
      if (chunk == 1) break;
    }
  }

  // Sizes: the smallest value of each operand that still fails.
  for (size_t i = 0; i < best.ops.size(); ++i) {
    for (int field = 0; field < 2; ++field) {
      if (!shrinkable(best.ops[i], field)) continue;
      uint64_t current = field == 0 ? best.ops[i].a : best.ops[i].b;
      for (uint64_t v : smaller_values(current)) {
        Program candidate = best;
        (field == 0 ? candidate.ops[i].a : candidate.ops[i].b) = v;
        if (attempt(candidate)) break;
      }
    }
  }
  best = compact_slots(best);
  stats->ops_after = best.ops.size();
  return best;
}

}  // namespace heaptwin
