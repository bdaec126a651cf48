#include "oracle/comparability_threads.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "oracle/read_value.h"

namespace heaptwin {

extern const ComparabilityRule kReadsAThreadsDtv{
    "reads_a_threads_dtv",
    "a read8 inside the DTV that a thread's creation calloc'd: ld.so writes it, with a pointer "
    "into the thread's stack mapping, each process's own (oracle/comparability_threads.h)"};
extern const ComparabilityRule kReadsSafeLinkedAcrossHeaps{
    "reads_safe_linked_across_heaps",
    "a read8 of a safe-linked value whose word, position and target are not all in one heap, a "
    "thread's among them, or of a number no side can name in a thread's heap or in an mmapped "
    "chunk realloc filled from one: copied between heaps, it mixes two heaps' page numbers, as "
    "mmap placed them (oracle/comparability_threads.h)"};

namespace {

// calloc(0x11, 0x10): dtv_length + 2 entries of 16 bytes (glibc 2.36 allocate_dtv, one TLS module).
constexpr int64_t kDtvBytes = 0x110;

// The op that last assigned slot `slot` before op `at` (among those the trace ran), if any.
std::optional<size_t> last_assignment(const Program& program, const Trace& trace, SlotId slot,
                                      size_t at) {
  for (size_t i = std::min(at, trace.outcomes.size()); i-- > 0;) {
    if (program.ops[i].assigns() && program.ops[i].dst == slot) return i;
  }
  return std::nullopt;
}

// Where slot `slot` pointed before op `at` (the outcome that last assigned it), if into a heap.
std::optional<HeapPlace> place_before(const Program& program, const Trace& trace, SlotId slot,
                                      size_t at) {
  const std::optional<size_t> i = last_assignment(program, trace, slot, at);
  if (!i) return std::nullopt;
  const Outcome& o = trace.outcomes[*i];
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

// Whether slot `slot`, before op `at`, holds an mmapped chunk that realloc filled from a chunk in
// a thread's heap (the bytes it copied, stale links among them, are that heap's).
bool mapping_copied_from_a_threads_heap(const Program& program, const Trace& trace, SlotId slot,
                                        size_t at) {
  const std::optional<size_t> i = last_assignment(program, trace, slot, at);
  if (!i || program.ops[*i].kind != OpKind::kRealloc ||
      trace.outcomes[*i].kind != OutcomeKind::kMmapped) {
    return false;
  }
  const std::optional<HeapPlace> from = place_before(program, trace, program.ops[*i].src, *i);
  return from && from->arena != 0;
}

// The heap a read8's name places it in, as (arena, heap): (0, 0) the main heap, else a thread's.
std::optional<std::pair<uint32_t, uint32_t>> heap_of_name(uint8_t base, uint64_t name) {
  if (base == READ_HEAP) return std::make_pair(0u, 0u);
  if (base != READ_ARENA_HEAP) return std::nullopt;
  return std::make_pair(READ_ARENA_HEAP_ARENA(name), READ_ARENA_HEAP_INDEX(name));
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

bool reads_safe_linked_across_heaps(const Program& program, const std::vector<Trace>& traces,
                                    size_t at) {
  if (traces.empty() || at >= program.ops.size() || program.ops[at].kind != OpKind::kRead8)
    return false;
  const Op& op = program.ops[at];
  for (const Trace& t : traces) {
    if (at >= t.outcomes.size()) return false;
    const Outcome& o = t.outcomes[at];
    // Where the word was read (the slot's place), when a heap's.
    const std::optional<HeapPlace> slot =
        op.src == kNullSlot ? std::nullopt : place_before(program, t, op.src, at);
    if (o.kind != OutcomeKind::kRead) return false;
    if (!slot) {
      // Or in an mmapped chunk realloc filled from a thread's heap: named safe-linked anyhow, or
      // a number of this process's own (found by fuzzing: a stale tcache next of arena1 copied).
      if (op.src == kNullSlot || !mapping_copied_from_a_threads_heap(program, t, op.src, at))
        return false;
      if (!o.read_safe_linked && (o.read_base != READ_NUMBER || o.value < READ_SMALL_TARGET))
        return false;
      continue;
    }
    const std::pair<uint32_t, uint32_t> read_in{slot->arena, slot->heap};
    if (!o.read_safe_linked) {
      // Or no name at all: a number of this process's own, read in a thread's heap.
      if (o.read_base != READ_NUMBER || o.value < READ_SMALL_TARGET || read_in.first == 0)
        return false;
      continue;
    }
    const auto value = heap_of_name(o.read_base, o.value);
    const auto position = heap_of_name(o.read_position_base, o.address);
    if (!value || !position) return false;
    // One heap throughout (there is one main heap): nothing of two processes' placements mixes.
    if (*value == *position && *position == read_in) return false;
  }
  return true;
}

}  // namespace heaptwin
