#include "fuzz/differential.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>

#include "oracle/differ.h"
#include "oracle/side.h"
#include "program/heap_format.h"

namespace heaptwin::fuzz {

namespace {

// Sides are started once per process and target (a benchmark runs several targets in one
// process): the glibc runner is a fork server, the twin and model reset between Programs.
std::vector<std::unique_ptr<Side>>& sides_of(const TargetConfig& config) {
  static std::map<std::string, std::vector<std::unique_ptr<Side>>> by_target;
  std::vector<std::unique_ptr<Side>>& sides = by_target[config.name];
  if (sides.empty()) {
    for (const auto& name : config.sides) {
      std::string error;
      auto side = make_side(name, &error);
      if (!side) {
        std::fprintf(stderr, "%s: cannot start side '%s': %s\n", config.name, name.c_str(),
                     error.c_str());
        std::exit(2);
      }
      sides.push_back(std::move(side));
    }
  }
  return sides;
}

// Whether the Program may ask for an mmapped chunk aligned beyond a page. glibc then gives back
// a leader whose length depends on where the kernel put the mapping (the runner's process has
// its own layout, the twin's mappings another): the chunk's usable size, a later mremap and
// mp_.mmapped_mem follow it. The twin cannot predict that, so such inputs are not compared. (The outcome of the memalign
// itself is comparable: sides report the mapping's length, docs/op-semantics.md.)
bool has_address_dependent_alignment(const Program& program) {
  constexpr uint64_t kPage = 4096, kDefaultMmapThreshold = 0x20000, kMinSize = 0x20;
  bool threshold_may_drop = false;
  for (const Op& op : program.ops) {
    if (op.kind == OpKind::kMallopt && op.param == static_cast<int32_t>(MalloptParam::kMmapThreshold)) {
      threshold_may_drop = true;
    }
  }
  for (const Op& op : program.ops) {
    bool aligned = op.kind == OpKind::kMemalign || op.kind == OpKind::kAlignedAlloc ||
                   op.kind == OpKind::kPosixMemalign;
    if (!aligned || op.a <= kPage) continue;
    uint64_t total;
    if (__builtin_add_overflow(op.b, op.a + kMinSize, &total) || total >= kDefaultMmapThreshold ||
        threshold_may_drop) {
      return true;
    }
  }
  return false;
}

// Whether the Program makes glibc touch more memory than a fuzzing process should hold: with
// M_PERTURB every allocation is filled, and so is every block freed (one allocated before
// M_PERTURB was set too), and calloc clears what it returns, byte by byte, so a few GiB cost
// that much time and resident memory on every side (the runner's time limit and libFuzzer's
// RSS limit stop the run). Counted generously: once M_PERTURB is set anywhere, every request.
bool touches_too_much_memory(const Program& program) {
  constexpr uint64_t kMaxTouched = uint64_t{64} << 20;  // in all, across the Program
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
    if (touched > kMaxTouched) return true;
  }
  return false;
}

// Whether some write8 before op `until` stores a value computed from an address where it is read
// back as a number (a size field), or from the address of an mmapped
// chunk (the slot's pointer, or safe-linking's pos >> 12 of it). Mappings lie where each
// process's kernel put them, so the value's low bits, read back as a size or flags, differ
// between the twin and glibc: what follows is not comparable. (Heap addresses are, up to 16 MiB:
// both heaps start on a 16 MiB boundary; read back as a whole size, their bits above it are not.)
bool stores_mapping_address(const Program& program, const Trace& trace, size_t until) {
  std::vector<char> mapped(program.slot_count(), 0);
  for (size_t i = 0; i < program.ops.size() && i < trace.outcomes.size() && i <= until; ++i) {
    const Op& op = program.ops[i];
    if (op.allocates()) mapped[op.dst] = trace.outcomes[i].kind == OutcomeKind::kMmapped;
    if (op.kind != OpKind::kWrite8) continue;
    const Value& v = op.value;
    // An address stored over a chunk's own size field (just below its user pointer): read back
    // as a size, all of an address's bits count, and heaps differ above their 16 MiB alignment.
    if (v.kind != Value::Kind::kLiteral && op.offset < 0 && (op.offset & 0xf) == 8) return true;
    // A size within 2^47 of 2^64: free and realloc first test `p > -size`, which then compares
    // the chunk's absolute address with a user-space address, and each heap lies elsewhere.
    if (v.kind == Value::Kind::kLiteral && op.offset < 0 && (op.offset & 0xf) == 8 &&
        v.literal >= 0xffff800000000000ull) {
      return true;
    }
    if (v.kind == Value::Kind::kSlot && mapped[v.slot]) return true;
    if (v.kind == Value::Kind::kProtect &&
        ((!v.pos_is_heap && mapped[v.slot]) ||
         (v.target_kind == Value::Kind::kSlot && mapped[v.target_slot]))) {
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
// Likewise a write8 through an mmapped chunk's pointer that lands outside the page span of its
// mapping: what lies next to a mapping (another mapping, or nothing) is the kernel's layout.
bool uses_unmapped_chunk(const Program& program, const Trace& trace, size_t until) {
  std::vector<char> mapped(program.slot_count(), 0), gone(program.slot_count(), 0);
  std::vector<uint64_t> page_offset(program.slot_count(), 0), length(program.slot_count(), 0);
  for (size_t i = 0; i < program.ops.size() && i < trace.outcomes.size() && i <= until; ++i) {
    const Op& op = program.ops[i];
    const bool reads_src = op.kind == OpKind::kFree || op.kind == OpKind::kRealloc ||
                           op.kind == OpKind::kUsableSize || op.kind == OpKind::kWrite8;
    if (reads_src && op.src != kNullSlot && mapped[op.src] && gone[op.src]) return true;
    if (op.kind == OpKind::kWrite8 && op.src != kNullSlot && mapped[op.src]) {
      // Offsets from the pointer that stay inside [its page, the mapping's length) are safe.
      const int64_t lo = -static_cast<int64_t>(page_offset[op.src]);
      const int64_t hi = static_cast<int64_t>(length[op.src]) - static_cast<int64_t>(page_offset[op.src]);
      if (op.offset < lo || op.offset > hi - 8) return true;
    }
    if (op.kind == OpKind::kFree || op.kind == OpKind::kRealloc) gone[op.src] = 1;
    if (op.allocates()) {
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
  bool all_far_at_until = !traces.empty();
  for (const Trace& t : traces) {
    for (size_t i = 0; i < t.outcomes.size() && i < until; ++i) {
      if (far(t.outcomes[i])) return true;
    }
    all_far_at_until &= until < t.outcomes.size() && far(t.outcomes[until]);
  }
  return all_far_at_until;
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

[[noreturn]] void report(const TargetConfig& config, const Program& program,
                         const std::string& what) {
  std::fprintf(stderr, "\n==== heaptwin %s: %s\n%s==== the input as a .heap script:\n%s====\n",
               config.name, "finding", what.c_str(), print_heap(program).c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace

const TargetConfig* find_target(const std::string& name) {
  static const std::vector<TargetConfig> kTargets = [] {
    TargetConfig model{"twin_vs_model", {"twin", "model"}};
    model.check_contents = true;  // no glibc here: the twin's memory is compared with nothing
    model.decode.allow_corruption = false;
    TargetConfig glibc{"twin_vs_glibc", {"twin", "glibc"}};
    glibc.snapshots = true;
    glibc.decode.allow_corruption = false;
    TargetConfig attack{"attack", {"twin", "glibc"}};
    attack.decode.allow_corruption = true;
    std::vector<TargetConfig> all = {model, glibc, attack};
    for (auto& c : all) c.decode.max_ops = 256;
    return all;
  }();
  for (const auto& c : kTargets) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

int run_differential(const TargetConfig& config, const uint8_t* data, size_t size) {
  std::string finding = check_differential(config, data, size);
  if (finding.empty()) return 0;
  Program program = decode_fuzz(data, size, config.decode);
  report(config, program, finding);
}

bool skipped_before_running(const Program& program) {
  return program.ops.empty() || has_address_dependent_alignment(program) ||
         touches_too_much_memory(program);
}

RunOptions run_options(const TargetConfig& config) {
  RunOptions options;
  options.snapshots = config.snapshots;
  options.check_heap = config.check_heap;
  options.check_contents = config.check_contents;
  return options;
}

bool is_finding(const Program& program, const std::vector<Trace>& traces,
                const DiffResult& result) {
  if (result.agree()) return false;
  // Side failures and broken rules always count; a divergence unless no side can compare it.
  if (!result.side_errors.empty() || !result.violations.empty() || !result.diverged) return true;
  const size_t at = result.first.op_index;
  return !(stores_mapping_address(program, traces[0], at) ||
           uses_unmapped_chunk(program, traces[0], at) || left_the_heap(traces, at) ||
           corrupts_without_a_heap(traces, program, at));
}

std::string check_differential(const TargetConfig& config, const uint8_t* data, size_t size) {
  Program program = decode_fuzz(data, size, config.decode);
  if (skipped_before_running(program)) return "";
  const RunOptions options = run_options(config);
  std::vector<Trace> traces;
  for (auto& side : sides_of(config)) traces.push_back(side->run(program, options));
  DiffResult result = diff_traces(traces);
  if (!is_finding(program, traces, result)) return "";
  // Side failures, broken rules and the first divergence, whichever there are.
  return format_divergence(program, traces, result);
}

}  // namespace heaptwin::fuzz
