#include "oracle/read_namer.h"

namespace heaptwin {

bool reads_memory(const Program& program) {
  for (const Op& op : program.ops) {
    if (op.kind == OpKind::kRead8) return true;
  }
  return false;
}

void ReadNamer::start(const Program& program) {
  active_ = reads_memory(program);
  by_slot_.clear();
}

void ReadNamer::after(const Op& op, const Outcome& outcome, uint64_t pointer) {
  if (!active_) return;
  // A block given back (free, or realloc's source, moved or not) is no longer the Program's.
  if (op.kind == OpKind::kFree || op.kind == OpKind::kRealloc) by_slot_.erase(op.src);
  if (!op.assigns()) return;
  by_slot_.erase(op.dst);
  if (outcome.kind == OutcomeKind::kMmapped) {
    by_slot_.insert_or_assign(op.dst, read_mapping_of_chunk(pointer, outcome.size));
  }
}

Outcome ReadNamer::read(ReadPlaces places, uint64_t raw, uint64_t at, uint64_t tcache) {
  mappings_.clear();
  by_slot_.for_each([this](uint64_t, const ReadMapping& m) { mappings_.push_back(m); });
  bool in_arena_heap = false;  // a thread's tcache lies in its arena's heap, named by it
  for (size_t i = 0; i < places.arena_heap_count; ++i) {
    const ReadArenaHeap& h = places.arena_heaps[i];
    in_arena_heap |= tcache >= h.start && tcache - h.start < h.bytes;
  }
  if (tcache != 0 && !in_arena_heap && !(tcache >= places.heap_base && tcache < places.heap_end)) {
    // Its mapping's first page holds the whole struct (0x290 .. 0x300 bytes).
    mappings_.push_back(ReadMapping{tcache & ~uint64_t{0xfff}, 0x1000});
  }
  places.mappings = mappings_.data();
  places.mapping_count = mappings_.size();
  return Outcome::read(read_value(&places, raw, at));
}

}  // namespace heaptwin
