// When two sides cannot be compared. The twin reproduces glibc's malloc, not the kernel: where an
// outcome depends on where a process's kernel put a mapping, or on memory no heap owns, no side
// can predict another, and a divergence there says nothing. Each such condition is one rule,
// named here, with a .heap scenario of its own (tests/comparability/) that shows the sides do
// differ there and that the rule is what excuses it.
//
// Two kinds: rules that keep a whole Program from running (it would cost too much, or every run
// of it would differ), and rules that excuse a divergence, judged on the ops before it (where
// the sides agree) and, only when every side shows the condition, the divergent op itself: one
// side alone leaving the heap is a finding (a missed check can hand out a forged chunk anywhere).
#ifndef HEAPTWIN_ORACLE_COMPARABILITY_H_
#define HEAPTWIN_ORACLE_COMPARABILITY_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "oracle/trace.h"
#include "program/op.h"

namespace heaptwin {

struct ComparabilityRule {
  const char* id;       // "address_dependent_alignment"
  const char* meaning;  // one line, for --help and reports
};

// Every rule, those that refuse a Program first.
const std::vector<ComparabilityRule>& comparability_rules();

// What calloc and M_PERTURB may clear or fill in all before a Program is refused
// (touches_too_much_memory): the commands' budget; the fuzz targets keep a smaller one
// (JudgeConfig::max_touched_bytes).
inline constexpr uint64_t kMaxTouchedBytes = uint64_t{64} << 20;

// The rule that refuses `program` before it runs, if any, with `max_touched` bytes as the budget
// of touches_too_much_memory.
std::optional<ComparabilityRule> refused_before_running(const Program& program,
                                                        uint64_t max_touched = kMaxTouchedBytes);

// Whether the release `side_name` runs (side_release) safe-links its tcache and fastbin lists
// (2.32+).
bool has_safe_linking(const std::string& side_name);

// Whether a write8 among the first `until` + 1 ops stores a protect() value (by default: any op).
bool writes_protected_pointer(const Program& program, size_t until = ~size_t{0});

// The rule that excuses a divergence first seen at op `at`, if any. `traces` are the sides'
// traces, the twin's first.
std::optional<ComparabilityRule> excused_divergence(const Program& program,
                                                    const std::vector<Trace>& traces, size_t at);

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_COMPARABILITY_H_
