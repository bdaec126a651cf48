#include "oracle/comparability_dtv.h"

#include <optional>

#include "oracle/read_value.h"

namespace heaptwin {

namespace {

// calloc(0x11, 0x10): dtv_length + 2 entries of 16 bytes (glibc 2.36 allocate_dtv, one TLS module).
constexpr int64_t kDtvBytes = 0x110;

// The heap offset slot `slot` held before op `at` (the outcome that last assigned it), if it was
// a heap address.
std::optional<int64_t> heap_offset_before(const Program& program, const Trace& trace, SlotId slot, size_t at) {
  for (size_t i = std::min(at, trace.outcomes.size()); i-- > 0;) {
    const Op& op = program.ops[i];
    if (!op.assigns() || op.dst != slot) continue;
    const Outcome& o = trace.outcomes[i];
    if (o.kind == OutcomeKind::kPointer) return o.offset;
    if (o.kind == OutcomeKind::kRead && o.read_base == READ_HEAP) return static_cast<int64_t>(o.value);
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

bool reads_a_threads_dtv(const Program& program, const std::vector<Trace>& traces, size_t at) {
  if (traces.empty() || at >= program.ops.size() || program.ops[at].kind != OpKind::kRead8) return false;
  const Trace& twin = traces[0];
  if (twin.thread_dtvs.empty()) return false;
  const Op& op = program.ops[at];
  if (op.src == kNullSlot) return false;
  const std::optional<int64_t> base = heap_offset_before(program, twin, op.src, at);
  if (!base) return false;
  const int64_t address = *base + op.offset;
  for (int64_t dtv : twin.thread_dtvs) {
    // Any byte of the 8 read inside it.
    if (address + 8 > dtv && address < dtv + kDtvBytes) return true;
  }
  return false;
}

}  // namespace heaptwin
