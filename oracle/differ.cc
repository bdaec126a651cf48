#include "oracle/differ.h"

#include "program/heap_format.h"

namespace heaptwin {

namespace {

constexpr uint64_t kLowAddresses = 0x10000;

// What a side reports at op i: its outcome, or "did not run" when its trace ended before.
std::string outcome_text(const Trace& t, size_t i) {
  if (i < t.outcomes.size()) return to_string(t.outcomes[i]);
  if (!t.error.empty()) return "(side failed: " + t.error + ")";
  return "(not run: the Program had ended)";
}

}  // namespace

std::string compared_until(const Program& program, const DiffResult& result) {
  const size_t i = result.unmodelled_op;
  return "compared up to op " + std::to_string(i) + " (" +
         (i < program.ops.size() ? print_op(program, program.ops[i]) : std::string("?")) +
         "), where " + result.unmodelled + "\n";
}

bool outcomes_agree(const Outcome& a, const Outcome& b) {
  if (a.kind == OutcomeKind::kNoOpinion || b.kind == OutcomeKind::kNoOpinion) return true;
  if (a.kind == OutcomeKind::kFault && b.kind == OutcomeKind::kFault) {
    // A non-canonical address raises #GP (SIGSEGV) or, when glibc's compiler addressed it
    // through rbp or rsp, #SS (SIGBUS); the kernel reports both at address 0. Which register
    // holds a list pointer is the build's choice (2.23's unsorted bk store takes #SS).
    auto non_canonical = [](const Outcome& o) {
      return (o.signal == 11 || o.signal == 7) && !o.address_in_heap && o.address == 0;
    };
    if (non_canonical(a) && non_canonical(b)) return true;
    if (a.signal != b.signal) return false;
    // Heap offsets and low raw addresses (a NULL-based read) are the same in every process;
    // any other raw address is wherever that process's kernel put a mapping.
    auto fixed = [](const Outcome& o) { return o.address_in_heap || o.address < kLowAddresses; };
    if (!fixed(a) || !fixed(b)) return true;
    return a.address_in_heap == b.address_in_heap && a.address == b.address;
  }
  return a == b;
}

DiffResult diff_traces(const std::vector<Trace>& traces) {
  DiffResult result;
  for (const auto& t : traces) {
    if (!t.error.empty()) result.side_errors.push_back(t.side + ": " + t.error);
  }
  for (size_t x = 0; x < traces.size(); ++x) {
    if (!traces[x].violation.empty()) {
      result.violations.push_back({x, traces[x].violation_op, traces[x].violation});
    }
  }
  size_t longest = 0;
  for (const auto& t : traces) longest = std::max(longest, t.outcomes.size());
  // A side that could not follow glibc ends the comparison at its last op (no opinion there).
  for (size_t x = 0; x < traces.size(); ++x) {
    const Trace& t = traces[x];
    if (t.unmodelled.empty() || t.outcomes.empty() || t.outcomes.size() > longest) continue;
    if (result.unmodelled.empty() || t.outcomes.size() < longest) {
      longest = t.outcomes.size();
      result.unmodelled_op = longest - 1;
      result.unmodelled = t.side + ": " + t.unmodelled;
    }
  }
  for (size_t i = 0; i < longest; ++i) {
    // Outcomes first: a different result matters more than a different bin.
    for (size_t x = 0; x < traces.size(); ++x) {
      for (size_t y = x + 1; y < traces.size(); ++y) {
        const Trace& a = traces[x];
        const Trace& b = traces[y];
        bool has_a = i < a.outcomes.size(), has_b = i < b.outcomes.size();
        if (!has_a && !has_b) continue;
        // A side that failed is reported as such, not as a divergence.
        if ((!has_a && !a.error.empty()) || (!has_b && !b.error.empty())) continue;
        bool agree = has_a && has_b
                         ? outcomes_agree(a.outcomes[i], b.outcomes[i])
                         : (has_a ? a.outcomes[i] : b.outcomes[i]).kind == OutcomeKind::kNoOpinion;
        if (!agree) {
          result.diverged = true;
          result.first = {i, x, y, false, "outcome"};
          return result;
        }
      }
    }
    for (size_t x = 0; x < traces.size(); ++x) {
      for (size_t y = x + 1; y < traces.size(); ++y) {
        const Trace& a = traces[x];
        const Trace& b = traces[y];
        if (i < a.outcomes.size() && a.outcomes[i].kind == OutcomeKind::kNoOpinion) continue;
        if (i < b.outcomes.size() && b.outcomes[i].kind == OutcomeKind::kNoOpinion) continue;
        std::string d;
        if (i < a.states.size() && i < b.states.size()) {
          d = first_difference(a.states[i], b.states[i]);
        } else if (i < a.digests.size() && i < b.digests.size() && a.digests[i] != b.digests[i]) {
          d = "the arena digests differ";
        }
        if (!d.empty()) {
          result.diverged = true;
          result.first = {i, x, y, true, d};
          return result;
        }
      }
    }
  }
  return result;
}

namespace {

std::string op_named(const Program& program, size_t i) {
  return "op " + std::to_string(i) + " (" +
         (i < program.ops.size() ? print_op(program, program.ops[i])
                                 : std::string("out of range")) +
         ")";
}

// The rule id in a side's violation: "heap checker: op 3: bin.x at ..." -> "bin.x",
// "block.overlap: ..." -> "block.overlap"; "" when it names none.
std::string rule_of(const std::string& what) {
  std::string rest = what;
  if (rest.rfind("heap checker: ", 0) == 0) {
    rest = rest.substr(14);
    if (rest.rfind("op ", 0) == 0 && rest.find(": ") != std::string::npos)
      rest = rest.substr(rest.find(": ") + 2);
  }
  const size_t end = rest.find_first_of(" :");
  const std::string id = rest.substr(0, end);
  return id.find('.') != std::string::npos ? id : "";
}

// The first line of `text`, at most `width` characters.
std::string first_line(const std::string& text, size_t width) {
  std::string line = text.substr(0, text.find('\n'));
  return line.size() > width ? line.substr(0, width - 3) + "..." : line;
}

}  // namespace

std::string format_headline(const Program& program, const std::vector<Trace>& traces,
                            const DiffResult& result) {
  if (!result.side_errors.empty())
    return "side failed: " + first_line(result.side_errors.front(), 160);
  if (!result.violations.empty()) {
    const DiffResult::Violation& v = result.violations.front();
    const std::string rule = rule_of(v.what);
    return traces[v.side].side + " broke " +
           (rule.empty() ? first_line(v.what, 100) : "rule " + rule) + " after " +
           op_named(program, v.op_index);
  }
  if (!result.diverged) return "the sides agree";
  const Divergence& d = result.first;
  const Trace& a = traces[d.side_a];
  const Trace& b = traces[d.side_b];
  if (d.in_state) {
    return op_named(program, d.op_index) + ": the arena after it differs, " + a.side + " vs " +
           b.side + ": " + first_line(d.what, 120);
  }
  return op_named(program, d.op_index) + " diverged: " + a.side + " " +
         first_line(outcome_text(a, d.op_index), 80) + ", " + b.side + " " +
         first_line(outcome_text(b, d.op_index), 80);
}

std::string format_divergence(const Program& program, const std::vector<Trace>& traces,
                              const DiffResult& result) {
  std::string out;
  for (const auto& e : result.side_errors) out += "side failed: " + e + "\n";
  for (const auto& v : result.violations) {
    std::string op = v.op_index < program.ops.size() ? print_op(program, program.ops[v.op_index])
                                                     : "(op out of range)";
    out += traces[v.side].side + " broke a rule after op " + std::to_string(v.op_index) + ": " +
           op + "\n  " + v.what + "\n";
  }
  if (!result.diverged) return out;
  const Divergence& d = result.first;
  const Trace& a = traces[d.side_a];
  const Trace& b = traces[d.side_b];
  std::string op = d.op_index < program.ops.size() ? print_op(program, program.ops[d.op_index])
                                                   : "(op out of range)";
  out += "first divergence at op " + std::to_string(d.op_index) + ": " + op + "\n";
  size_t from = d.op_index > 4 ? d.op_index - 4 : 0;
  for (size_t i = from; i < d.op_index; ++i) {
    out += "    " + std::to_string(i) + "  " + print_op(program, program.ops[i]) + "  -> " +
           outcome_text(a, i) + "\n";
  }
  size_t width = std::max(a.side.size(), b.side.size());
  auto pad = [width](const std::string& s) { return s + std::string(width - s.size(), ' '); };
  if (!d.in_state) {
    out += "  " + pad(a.side) + "  " + outcome_text(a, d.op_index) + "\n";
    out += "  " + pad(b.side) + "  " + outcome_text(b, d.op_index) + "\n";
  } else {
    out += "  both: " + outcome_text(a, d.op_index) + "\n";
    out += "  the arena after it differs (" + a.side + " vs " + b.side + "): " + d.what + "\n";
  }
  return out;
}

}  // namespace heaptwin
