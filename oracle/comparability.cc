#include "oracle/comparability.h"

#include "oracle/comparability_threads.h"
#include "oracle/read_value.h"
#include "oracle/side.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <set>

namespace heaptwin {

namespace {

// Whether the Program may ask for an mmapped chunk aligned beyond a page. glibc then gives back
// a leader whose length depends on where the kernel put the mapping (the runner's process has
// its own layout, the twin's mappings another): the chunk's usable size, a later mremap and
// mp_.mmapped_mem follow it. The twin cannot predict that, so such inputs are not compared. (The
// outcome of the memalign itself is comparable: sides report the mapping's length,
// docs/op-semantics.md.)
bool has_address_dependent_alignment(const Program& program) {
  constexpr uint64_t kPage = 4096, kDefaultMmapThreshold = 0x20000, kMinSize = 0x20;
  constexpr uint64_t kPtrdiffMax = ~uint64_t{0} >> 1;
  bool threshold_may_drop = false;
  for (const Op& op : program.ops) {
    if (op.kind == OpKind::kMallopt &&
        op.param == static_cast<int32_t>(MalloptParam::kMmapThreshold)) {
      threshold_may_drop = true;
    }
  }
  for (const Op& op : program.ops) {
    bool aligned = op.kind == OpKind::kMemalign || op.kind == OpKind::kAlignedAlloc ||
                   op.kind == OpKind::kPosixMemalign;
    if (!aligned || op.a <= kPage) continue;
    // Refused before any chunk exists, the same in every process (_mid_memalign,
    // _int_memalign, posix_memalign's own test): an alignment above PTRDIFF_MAX, a size above
    // it, a posix_memalign alignment that is no power of two.
    if (op.a > (kPtrdiffMax >> 1) + 1 || op.b > kPtrdiffMax) continue;
    if (op.kind == OpKind::kPosixMemalign && (op.a & (op.a - 1)) != 0) continue;
    uint64_t alignment = 1;
    while (alignment < op.a) alignment <<= 1;  // memalign rounds up
    // _int_memalign asks _int_malloc for request2size(bytes) + alignment + MINSIZE, which
    // request2size rounds again: that is what meets mmap_threshold.
    auto request2size = [](uint64_t n) {
      return n + 8 + 15 < kMinSize ? kMinSize : (n + 8 + 15) & ~uint64_t{15};
    };
    const uint64_t total = request2size(request2size(op.b) + alignment + kMinSize);
    if (total > kPtrdiffMax) continue;  // _int_malloc refuses it: ENOMEM
    if (total >= kDefaultMmapThreshold || threshold_may_drop) return true;
  }
  return false;
}

// Whether the Program makes glibc touch more memory than a fuzzing process should hold: with
// M_PERTURB every allocation is filled, and so is every block freed (one allocated before
// M_PERTURB was set too), and calloc clears what it returns, byte by byte, so a few GiB cost
// that much time and resident memory on every side (the runner's time limit and libFuzzer's
// RSS limit stop the run). Counted generously: once M_PERTURB is set anywhere, every request.
// `max_touched`: in all, across the Program.
bool touches_too_much_memory(const Program& program, uint64_t max_touched) {
  bool perturb = false;
  for (const Op& op : program.ops) {
    if (op.kind == OpKind::kMallopt && op.param == static_cast<int32_t>(MalloptParam::kPerturb) &&
        op.a != 0) {
      perturb = true;
    }
  }
  uint64_t touched = 0;
  for (const Op& op : program.ops) {
    const bool clears = perturb || op.kind == OpKind::kCalloc;
    if (!clears || !op.allocates() || op.request_bytes() == ~uint64_t{0}) continue;
    if (op.request_bytes() >= (uint64_t{1} << 40)) continue;  // refused at once (ENOMEM)
    touched += op.request_bytes();  // < 2^40 each: no overflow before the test below
    if (touched > max_touched) return true;
  }
  return false;
}

// Whether an outcome gives its slot an address outside the heap: an mmapped chunk, or a read8
// value in a mapping or in libc (main_arena+0x60, say).
bool outside_the_heap(const Outcome& o) {
  return o.kind == OutcomeKind::kMmapped ||
         (o.kind == OutcomeKind::kRead && o.read_base != READ_NUMBER && o.read_base != READ_HEAP);
}

// Whether the outcome that assigned a slot left a heap address in it.
bool in_the_heap(const Outcome& o) {
  return o.kind == OutcomeKind::kPointer ||
         (o.kind == OutcomeKind::kRead && o.read_base == READ_HEAP);
}

// The heap offset of the address an in_the_heap() outcome left in its slot.
int64_t heap_offset_of(const Outcome& o) {
  return o.kind == OutcomeKind::kPointer ? o.offset : static_cast<int64_t>(o.value);
}

// Whether some write8 before op `until` stores a value computed from an address where it is read
// back as a number (a size field), or from an address outside the heap (an mmapped
// chunk's, or one a read8 found in a mapping or libc: the slot's value, or safe-linking's
// pos >> 12 of it), or a safe-linked heap address protected at a position outside the heap (NULL
// - 8, say: its page number's bits then mix with every bit of the heap's address, which no read
// can name). Mappings lie where each
// process's kernel put them, so the value's low bits, read back as a size or flags, differ
// between the twin and glibc: what follows is not comparable. (Heap addresses are, up to 16 MiB:
// both heaps start on a 16 MiB boundary; read back as a whole size, their bits above it are not.)
bool stores_mapping_address(const Program& program, const Trace& trace, size_t until) {
  std::vector<char> mapped(program.slot_count(), 0), heap(program.slot_count(), 0);
  std::vector<int64_t> offset(program.slot_count(), 0);
  for (size_t i = 0; i < program.ops.size() && i < trace.outcomes.size() && i <= until; ++i) {
    const Op& op = program.ops[i];
    if (op.assigns()) {
      mapped[op.dst] = outside_the_heap(trace.outcomes[i]);
      heap[op.dst] = in_the_heap(trace.outcomes[i]);
      if (heap[op.dst]) offset[op.dst] = heap_offset_of(trace.outcomes[i]);
    }
    if (op.kind != OpKind::kWrite8) continue;
    const Value& v = op.value;
    // An address (or a safe-linked one) stored where a chunk's size field can be (8 mod 16 from
    // a user pointer: its own, or a neighbour's, such as +0x18 after a 0x20 chunk; not its own
    // bk at +8): read back as a size, all of an address's bits count, and heaps differ above
    // their 16 MiB alignment.
    if (v.kind != Value::Kind::kLiteral && (op.offset & 0xf) == 8 && op.offset != 8) return true;
    if (v.kind == Value::Kind::kSlot && mapped[v.slot]) return true;
    if (v.kind == Value::Kind::kProtect &&
        ((!v.pos_is_heap && mapped[v.slot]) ||
         (v.target_kind == Value::Kind::kSlot && mapped[v.target_slot]))) {
      return true;
    }
    // A position below the heap base (s1 - 0x340 from the heap's first chunk, say) is outside
    // it too: what it reveals to, read anywhere in the heap, is no place a read can name.
    const int64_t pos_offset = (v.pos_is_heap ? 0 : offset[v.slot]) + v.delta;
    const bool pos_in_heap = (v.pos_is_heap || heap[v.slot]) && pos_offset >= 0;
    const bool target_in_heap = v.target_kind == Value::Kind::kHeap ||
                                (v.target_kind == Value::Kind::kSlot && heap[v.target_slot]);
    if (v.kind == Value::Kind::kProtect && !pos_in_heap && target_in_heap) return true;
    // A safe-linked value stored in an mmapped chunk: read back there, a namer reveals it at the
    // mapping's page number, and raw it carries the heap's, each process's own (found by fuzzing
    // attack: the twin named it revealed at the mapping, glibc found no name).
    if (v.kind == Value::Kind::kProtect && op.src != kNullSlot && mapped[op.src]) return true;
  }
  return false;
}

// Whether some write8 up to `until` stored, where a chunk's size field can be (8 mod 16 from a
// user pointer: its own at -8, a neighbour's at +0x18, a forged chunk's at +8), a number within
// 2^47 of 2^64. glibc adds such a size to the chunk's address, or compares the address with its
// negation, which is a user-space address: free's `p > -size` ("free(): invalid pointer"),
// mtrim's `p + size > paligned_mem`. Whether the sum wraps past 2^64 depends on where each
// process's heap lies (the runner's brk heap near 0x55..., the twin's reservation near 0x7f...),
// so one side passes the test and the other fails it.
bool stores_wrapping_size(const Program& program, size_t until) {
  constexpr uint64_t kWithin2To47 = 0xffff800000000000ull;
  for (size_t i = 0; i < program.ops.size() && i <= until; ++i) {
    const Op& op = program.ops[i];
    if (op.kind == OpKind::kWrite8 && op.value.kind == Value::Kind::kLiteral &&
        (op.offset & 0xf) == 8 && op.value.literal >= kWithin2To47) {
      return true;
    }
  }
  return false;
}

// Whether some op up to `until` hands glibc a pointer into an mmapped chunk that has been
// unmapped since (freed, or moved by realloc): whether that address is mapped again, and by
// which later mapping, is the kernel's choice and each process's history (Linux reuses the
// highest hole that fits), so a fault on one side and success on the other say nothing.
//
// Likewise a write8 or read8 through an mmapped chunk's pointer that lands outside the page span of
// its mapping: what lies next to a mapping (another mapping, or nothing) is the kernel's layout.
bool uses_unmapped_chunk(const Program& program, const Trace& trace, size_t until) {
  std::vector<char> mapped(program.slot_count(), 0), gone(program.slot_count(), 0);
  std::vector<uint64_t> page_offset(program.slot_count(), 0), length(program.slot_count(), 0);
  for (size_t i = 0; i < program.ops.size() && i < trace.outcomes.size() && i <= until; ++i) {
    const Op& op = program.ops[i];
    const bool reads_src = op.kind == OpKind::kFree || op.kind == OpKind::kRealloc ||
                           op.kind == OpKind::kUsableSize || op.kind == OpKind::kWrite8 ||
                           op.kind == OpKind::kRead8;
    if (reads_src && op.src != kNullSlot && mapped[op.src] && gone[op.src]) return true;
    const bool touches = op.kind == OpKind::kWrite8 || op.kind == OpKind::kRead8;
    if (touches && op.src != kNullSlot && mapped[op.src]) {
      // Offsets from the pointer that stay inside [its page, the mapping's length) are safe.
      const int64_t lo = -static_cast<int64_t>(page_offset[op.src]);
      const int64_t hi =
          static_cast<int64_t>(length[op.src]) - static_cast<int64_t>(page_offset[op.src]);
      if (op.offset < lo || op.offset > hi - 8) return true;
    }
    if (op.kind == OpKind::kFree || op.kind == OpKind::kRealloc) gone[op.src] = 1;
    if (op.assigns()) {
      mapped[op.dst] = trace.outcomes[i].kind == OutcomeKind::kMmapped;
      page_offset[op.dst] = static_cast<uint64_t>(trace.outcomes[i].offset);
      length[op.dst] = trace.outcomes[i].size;
      gone[op.dst] = 0;
    }
  }
  return false;
}

// Whether the sides handed out, before op `until` (where they agree), or all of them at `until`,
// a pointer outside the brk heap that is no mmapped chunk: after a refused sbrk, glibc continues
// the main arena in mmapped memory (non-contiguous), and offsets from the heap base into it are
// wherever each kernel put it. (At `until` one side alone leaving the heap is a finding: a
// missed check can hand out a forged chunk anywhere.)
bool left_the_heap(const std::vector<Trace>& traces, size_t until) {
  // In practice a fuzz Program's brk heap stays far below this (reaching it takes a thousand
  // 1 GiB requests from the break, M_MMAP_MAX 0, and the address space for them).
  constexpr int64_t kFarFromHeap = int64_t{1} << 40;
  auto far = [](const Outcome& o) {
    return o.kind == OutcomeKind::kPointer && (o.offset < 0 || o.offset >= kFarFromHeap);
  };
  // A side with no opinion at `until` (the model, which does not follow a top_pad near 2^64)
  // neither joins nor vetoes the others.
  bool all_far_at_until = true;
  int with_opinion = 0;
  for (const Trace& t : traces) {
    for (size_t i = 0; i < t.outcomes.size() && i < until; ++i) {
      if (far(t.outcomes[i])) return true;
    }
    if (until < t.outcomes.size() && t.outcomes[until].kind == OutcomeKind::kNoOpinion) continue;
    ++with_opinion;
    all_far_at_until &= until < t.outcomes.size() && far(t.outcomes[until]);
  }
  if (with_opinion >= 2 && all_far_at_until) return true;
  // Or no memory handed out, but top itself moved into the mapping on every side (a mapping
  // too small for the request: ENOMEM with the arena continued there; 2.43's fallback maps
  // nb + top_pad + MINSIZE): each snapshot names top's place in its own process.
  int top_outside = 0;
  for (const Trace& t : traces) {
    if (until >= t.states.size()) continue;
    const ArenaSnapshot& s = t.states[until];
    if (s.valid || s.invalid_reason.rfind("top outside the heap", 0) != 0) return false;
    ++top_outside;
  }
  return top_outside >= 2;
}

// Whether the Program corrupted memory while no brk heap existed (every chunk so far mmapped):
// glibc's top is then still the initial top, a bin head inside main_arena whose "size" is an
// address, and freeing a forged chunk compares it with that: (out) or (!prev) depends on where
// libc and the mappings lie in each process. Judged on the ops before `until`, where the sides
// agree, and not when some side has a heap at `until`.
bool corrupts_without_a_heap(const std::vector<Trace>& traces, const Program& program,
                             size_t until) {
  for (const Trace& t : traces) {
    if (until < t.outcomes.size() && t.outcomes[until].kind == OutcomeKind::kPointer) return false;
  }
  const Trace& trace = traces[0];
  bool wrote = false;
  for (size_t i = 0; i < program.ops.size() && i < trace.outcomes.size() && i < until; ++i) {
    if (trace.outcomes[i].kind == OutcomeKind::kPointer) return false;
    if (program.ops[i].kind == OpKind::kWrite8) wrote = true;
  }
  return wrote || (until < program.ops.size() && program.ops[until].kind == OpKind::kWrite8);
}

// Whether some write8 up to `until` stored a protect() value while the sides run a release
// without safe-linking (before 2.32): there the value is not revealed but followed as it is, and
// (pos >> 12) ^ target carries the heap's absolute address, which differs between processes.
bool protect_without_safe_linking(const Program& program, const std::vector<Trace>& traces,
                                  size_t until) {
  bool old_release = false;
  for (const Trace& t : traces) old_release |= !has_safe_linking(t.side);
  return old_release && writes_protected_pointer(program, until);
}

// Whether some op up to `until` frees or reallocates a pointer into the tcache struct, which a
// read8 found (before 2.34 every cached chunk's key is the struct's address), while a side runs
// a release whose key is that address: tcache_put then writes the address into the struct's own
// counts, whose bytes are wherever each process's heap lies.
// 2.43+: the tcache is allocated at the first free that caches, wherever a freed chunk was (often
// heap+0x10). A slot that still holds that chunk's pointer, freed a second time, frees the struct
// itself into its own tcache: tcache_put's safe-linked next, (struct >> 12) ^ head, lands in
// num_slots[0..3], bytes of wherever each process's heap lies; realloc'd, its split-off rest is
// binned inside the struct, its fd and bk (main_arena's address) over later num_slots. Judged on
// the dangling free or realloc and on the states after `until` differing in tcache counts (or
// not taken).
bool frees_the_lazy_tcache_struct(const Program& program, const std::vector<Trace>& traces,
                                  size_t until) {
  const Trace& trace = traces[0];
  bool counts_differ = true;
  if (traces.size() >= 2 && until < traces[0].states.size() && until < traces[1].states.size()) {
    const ArenaSnapshot& a = traces[0].states[until];
    const ArenaSnapshot& b = traces[1].states[until];
    counts_differ = false;
    counts_differ = a.tcache_counts != b.tcache_counts;
  }
  if (!counts_differ) return false;
  // The pointers each slot holds, and which of them are freed and not handed out again (by
  // pointer: realloc in place gives one chunk to two slots).
  std::vector<int64_t> at(program.slot_count(), -1);
  std::set<int64_t> freed;
  for (size_t i = 0; i < program.ops.size() && i < trace.outcomes.size() && i <= until; ++i) {
    const Op& op = program.ops[i];
    const Outcome& o = trace.outcomes[i];
    const int64_t src = op.kind == OpKind::kFree || op.kind == OpKind::kRealloc ? at[op.src] : -1;
    if (src >= 0 && freed.count(src) != 0) return true;
    // free, or a realloc that moved the block (or freed it: size 0), leaves the pointer dangling.
    const bool moved =
        op.kind == OpKind::kRealloc && !(o.kind == OutcomeKind::kPointer && o.offset == src);
    if (src >= 0 && (op.kind == OpKind::kFree || moved)) freed.insert(src);
    if (!op.assigns()) continue;
    at[op.dst] = o.kind == OutcomeKind::kPointer ? o.offset : -1;
    if (at[op.dst] >= 0) freed.erase(at[op.dst]);
  }
  return false;
}

bool frees_the_tcache_struct(const Program& program, const std::vector<Trace>& traces,
                             size_t until) {
  constexpr uint64_t kTcacheStructEnd =
      0x290;  // its chunk, from the heap base (2.30 on; 0x250 before)
  bool key_is_address = false, lazy_tcache = false;
  for (const Trace& t : traces) {
    key_is_address |= std::atoi(side_release(t.side).c_str() + 2) < 34;  // "2.31" -> 31
    lazy_tcache |= std::atoi(side_release(t.side).c_str() + 2) >= 43;
  }
  if (lazy_tcache && !traces.empty() && frees_the_lazy_tcache_struct(program, traces, until)) {
    return true;
  }
  if (!key_is_address || traces.empty()) return false;
  const Trace& trace = traces[0];
  std::vector<char> into_tcache(program.slot_count(), 0);
  for (size_t i = 0; i < program.ops.size() && i < trace.outcomes.size() && i <= until; ++i) {
    const Op& op = program.ops[i];
    if ((op.kind == OpKind::kFree || op.kind == OpKind::kRealloc) && into_tcache[op.src])
      return true;
    if (!op.assigns()) continue;
    const Outcome& o = trace.outcomes[i];
    into_tcache[op.dst] =
        o.kind == OutcomeKind::kRead && o.read_base == READ_HEAP && o.value < kTcacheStructEnd;
  }
  return false;
}

// Whether a block at `offset` or more above the heap base was handed out before op `at`.
bool heap_reached(const Trace& trace, size_t at, uint64_t offset) {
  for (size_t i = 0; i < at && i < trace.outcomes.size(); ++i) {
    const Outcome& o = trace.outcomes[i];
    if (o.kind == OutcomeKind::kPointer && o.offset >= static_cast<int64_t>(offset)) return true;
  }
  return false;
}

// A read8 whose value was revealed as safe-linked, or read, 48 MiB or more above the heap base on
// some side. Every side's heap starts 16 MiB above a 64 MiB boundary (the glibc runner aligns its
// break, the twin its reservation), so page numbers of positions below base + 48 MiB differ
// between processes only in bits that XOR cancels; above it the addition carries into each
// base's own bits, and (position >> 12) ^ target is each process's own number (read8 names a
// value copied out of its position by the first heap page that reveals it into the heap). So is
// any safe-linked value once the heap has reached that far: one written there may have been
// copied lower (found by ./heaptwin fuzz: a realloc from heap+0x10011ef10 to heap+0x2506050).
bool reads_safe_linked_past_48_mib(const Program& program, const std::vector<Trace>& traces,
                                   size_t at) {
  constexpr uint64_t kAligned = uint64_t{48} << 20;
  if (at >= program.ops.size() || program.ops[at].kind != OpKind::kRead8) return false;
  for (const Trace& t : traces) {
    if (at >= t.outcomes.size()) continue;
    const Outcome& o = t.outcomes[at];
    if (o.kind != OutcomeKind::kRead) continue;
    const bool far_value = o.read_base == READ_HEAP && o.value >= kAligned;
    const bool far_position =
        o.read_safe_linked && o.read_position_base == READ_HEAP && o.address >= kAligned;
    if (far_value || far_position) return true;
    // A value safe-linked up there and copied down since (realloc moves a block's bytes) carries
    // that page number wherever it is read: the heap had reached so far if a block lay there.
    if (o.read_safe_linked && heap_reached(t, at, kAligned)) return true;
  }
  return false;
}

// Where slot `slot` pointed before op `at`, as far as its low bits go: the heap offset, page
// offset or read value of the outcome that last assigned it (0 when none did: NULL, or a chunk
// pointer, 16-aligned).
int64_t slot_low_bits(const Program& program, const Trace& trace, SlotId slot, size_t at) {
  for (size_t i = std::min(at, trace.outcomes.size()); i-- > 0;) {
    const Op& op = program.ops[i];
    if (!op.assigns() || op.dst != slot) continue;
    const Outcome& o = trace.outcomes[i];
    if (o.kind == OutcomeKind::kPointer || o.kind == OutcomeKind::kMmapped) return o.offset;
    if (o.kind == OutcomeKind::kRead) return static_cast<int64_t>(o.value);
    return 0;
  }
  return 0;
}

// A read8 of 8 bytes that straddle two words (at an address that is not 8-aligned) and read as
// a plain number on some side. Each word alone is named so that it compares (read_value.h:
// main_arena+0x60, heap+N, mapping+N), but bytes cut out of an address (libc's, a mapping's, the
// heap's upper bytes) are each process's own. Found by ./heaptwin fuzz --glibc 2.44: from 2.42
// realloc's old chunk goes to a small bin, whose fd and bk point into main_arena.
bool reads_across_words(const Program& program, const std::vector<Trace>& traces, size_t at) {
  if (at >= program.ops.size() || program.ops[at].kind != OpKind::kRead8) return false;
  const Op& op = program.ops[at];
  const int64_t low = op.src == kNullSlot ? 0 : slot_low_bits(program, traces[0], op.src, at);
  if (((low + op.offset) & 7) == 0) return false;
  for (const Trace& t : traces) {
    if (at < t.outcomes.size() && t.outcomes[at].kind == OutcomeKind::kRead &&
        t.outcomes[at].read_base == READ_NUMBER) {
      return true;
    }
  }
  return false;
}

const ComparabilityRule kReadsAcrossWords{
    "reads_across_words",
    "a read8 at an address that is not 8-aligned read as a number: the bytes it cut out of an "
    "address (libc's, a mapping's, the heap's upper bytes) are each process's own"};
const ComparabilityRule kReadsSafeLinkedPast48Mib{
    "reads_safe_linked_past_48_mib",
    "a read8 of a safe-linked value 48 MiB or more above the heap base: page numbers there carry "
    "into each process's own heap address, so no side can predict another's value"};
const ComparabilityRule kAddressDependentAlignment{
    "address_dependent_alignment",
    "an mmapped chunk aligned beyond a page: its leader's length depends on the mapping's address"};
const ComparabilityRule kTouchesTooMuchMemory{
    "touches_too_much_memory",
    "calloc or M_PERTURB would clear or fill more than 64 MiB (the fuzz targets: 4 MiB): too "
    "slow and big for every side"};
const ComparabilityRule kStoresMappingAddress{
    "stores_mapping_address",
    "a write8 stored an address where it is read back as a size, or an address outside the heap "
    "(an mmapped chunk's, or a mapping's or libc's that a read8 found), or a heap address "
    "safe-linked at a position outside the heap or stored in an mmapped chunk"};
const ComparabilityRule kStoresWrappingSize{
    "stores_wrapping_size",
    "a write8 stored a size within 2^47 of 2^64: chunk + size wraps past 2^64 or not by where "
    "each process's heap lies (free's p > -size, malloc_trim's p + size > paligned_mem)"};
const ComparabilityRule kUsesUnmappedChunk{
    "uses_unmapped_chunk",
    "an op reaches into an mmapped chunk that is gone, or past its mapping: the kernel's layout"};
const ComparabilityRule kLeftTheHeap{
    "left_the_heap",
    "the sides handed out memory outside the brk heap that is no mmapped chunk, or moved top "
    "there (glibc went on in mmapped memory after a refused sbrk)"};
const ComparabilityRule kCorruptsWithoutAHeap{
    "corrupts_without_a_heap",
    "the Program corrupted memory while no brk heap existed: glibc compares forged chunks with an "
    "initial top inside libc, wherever libc lies"};
const ComparabilityRule kFreesTheTcacheStruct{
    "frees_the_tcache_struct",
    "a pointer into the tcache struct that a read8 found was freed on a release whose tcache key "
    "is the struct's address (< 2.34): the key lands in the struct's own counts; or, from 2.43 "
    "(the tcache allocated late, where a freed chunk was), a stale pointer into the struct freed "
    "again: tcache_put's safe-linked next lands in num_slots"};
const ComparabilityRule kProtectWithoutSafeLinking{
    "protect_without_safe_linking",
    "a protect() value written on a release without safe-linking (< 2.32): followed as it is, "
    "it carries the heap's address"};

}  // namespace

bool has_safe_linking(const std::string& side_name) {
  return std::atoi(side_release(side_name).c_str() + 2) >= 32;  // "2.31" -> 31
}

bool writes_protected_pointer(const Program& program, size_t until) {
  for (size_t i = 0; i < program.ops.size() && i <= until; ++i) {
    const Op& op = program.ops[i];
    if (op.kind == OpKind::kWrite8 && op.value.kind == Value::Kind::kProtect) return true;
  }
  return false;
}

const std::vector<ComparabilityRule>& comparability_rules() {
  static const std::vector<ComparabilityRule> rules = {
      kAddressDependentAlignment,  kTouchesTooMuchMemory,      kStoresMappingAddress,
      kStoresWrappingSize,         kUsesUnmappedChunk,         kLeftTheHeap,
      kCorruptsWithoutAHeap,       kProtectWithoutSafeLinking, kFreesTheTcacheStruct,
      kReadsSafeLinkedPast48Mib,   kReadsAcrossWords,          kReadsAThreadsDtv,
      kReadsSafeLinkedAcrossHeaps,
  };
  return rules;
}

std::optional<ComparabilityRule> refused_before_running(const Program& program,
                                                        uint64_t max_touched) {
  if (has_address_dependent_alignment(program)) return kAddressDependentAlignment;
  if (touches_too_much_memory(program, max_touched)) return kTouchesTooMuchMemory;
  return std::nullopt;
}

std::optional<ComparabilityRule> excused_divergence(const Program& program,
                                                    const std::vector<Trace>& traces, size_t at) {
  if (traces.empty()) return std::nullopt;
  if (stores_mapping_address(program, traces[0], at)) return kStoresMappingAddress;
  if (stores_wrapping_size(program, at)) return kStoresWrappingSize;
  if (uses_unmapped_chunk(program, traces[0], at)) return kUsesUnmappedChunk;
  if (left_the_heap(traces, at)) return kLeftTheHeap;
  if (corrupts_without_a_heap(traces, program, at)) return kCorruptsWithoutAHeap;
  if (protect_without_safe_linking(program, traces, at)) return kProtectWithoutSafeLinking;
  if (frees_the_tcache_struct(program, traces, at)) return kFreesTheTcacheStruct;
  if (reads_safe_linked_past_48_mib(program, traces, at)) return kReadsSafeLinkedPast48Mib;
  if (reads_across_words(program, traces, at)) return kReadsAcrossWords;
  if (reads_a_threads_dtv(program, traces, at)) return kReadsAThreadsDtv;
  if (reads_safe_linked_across_heaps(program, traces, at)) return kReadsSafeLinkedAcrossHeaps;
  return std::nullopt;
}

}  // namespace heaptwin
