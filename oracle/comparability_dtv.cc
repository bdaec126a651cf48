#include "oracle/comparability_dtv.h"

#include <optional>

#include "oracle/read_value.h"

namespace heaptwin {

namespace {

// calloc(0x11, 0x10): dtv_length + 2 entries of 16 bytes (glibc 2.36 allocate_dtv, one TLS module).
constexpr int64_t kDtvBytes = 0x110;

// Where slot `slot` pointed before op `at` (the outcome that last assigned it), if into a heap.
std::optional<HeapPlace> place_before(const Program& program, const Trace& trace, SlotId slot,
                                      size_t at) {
  for (size_t i = std::min(at, trace.outcomes.size()); i-- > 0;) {
    const Op& op = program.ops[i];
    if (!op.assigns() || op.dst != slot) continue;
    const Outcome& o = trace.outcomes[i];
    if (o.kind == OutcomeKind::kPointer) return HeapPlace{0, 0, o.offset};
    if (o.kind == OutcomeKind::kArenaPointer) {
      return HeapPlace{static_cast<uint32_t>(o.value), static_cast<uint32_t>(o.size), o.offset};
    }
    if (o.kind == OutcomeKind::kRead && o.read_base == READ_HEAP) {
      return HeapPlace{0, 0, static_cast<int64_t>(o.value)};
    }
    if (o.kind == OutcomeKind::kRead && o.read_base == READ_ARENA_HEAP) {
      return HeapPlace{READ_ARENA_HEAP_ARENA(o.value), READ_ARENA_HEAP_INDEX(o.value),
                       static_cast<int64_t>(READ_ARENA_HEAP_DISTANCE(o.value))};
    }
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

bool reads_a_threads_dtv(const Program& program, const std::vector<Trace>& traces, size_t at) {
  if (traces.empty() || at >= program.ops.size() || program.ops[at].kind != OpKind::kRead8)
    return false;
  const Trace& twin = traces[0];
  if (twin.thread_dtvs.empty()) return false;
  const Op& op = program.ops[at];
  if (op.src == kNullSlot) return false;
  const std::optional<HeapPlace> base = place_before(program, twin, op.src, at);
  if (!base) return false;
  const int64_t address = base->offset + op.offset;
  for (const HeapPlace& dtv : twin.thread_dtvs) {
    // Any byte of the 8 read inside it, in the same heap.
    if (dtv.arena == base->arena && dtv.heap == base->heap && address + 8 > dtv.offset &&
        address < dtv.offset + kDtvBytes) {
      return true;
    }
  }
  return false;
}

}  // namespace heaptwin
