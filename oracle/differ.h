// The differ: compares the Traces of several sides of one Program op by op and names the first
// op where two of them disagree (outcome first, then the arena when both report it: snapshots,
// else digests).
// Outcomes compare with Outcome::operator==, except (docs/op-semantics.md): kNoOpinion neither
// agrees nor disagrees, and a fault address counts only when both sides report it heap-relative
// or raw below 0x10000. A side that could not follow glibc (Trace::unmodelled) ends the
// comparison at its last op.
#ifndef HEAPTWIN_ORACLE_DIFFER_H_
#define HEAPTWIN_ORACLE_DIFFER_H_

#include <cstddef>
#include <string>
#include <vector>

#include "oracle/trace.h"
#include "program/op.h"

namespace heaptwin {

struct Divergence {
  size_t op_index = 0;
  size_t side_a = 0, side_b = 0;  // indices into the traces
  bool in_state = false;          // outcomes agree; the snapshots after the op differ
  std::string what;               // the state difference, or "outcome"
};

struct DiffResult {
  std::vector<std::string> side_errors;  // "glibc: why it failed"
  // What a side's own checks found (Trace::violation), whether or not the sides agree.
  struct Violation {
    size_t side = 0;
    size_t op_index = 0;
    std::string what;
  };
  std::vector<Violation> violations;
  bool diverged = false;
  Divergence first;
  // Set when a side could not follow glibc (Trace::unmodelled): no op after unmodelled_op was
  // compared. "side: why".
  std::string unmodelled;
  size_t unmodelled_op = 0;
  bool agree() const { return !diverged && side_errors.empty() && violations.empty(); }
};

// Whether two outcomes of the same op agree, with the rules above.
bool outcomes_agree(const Outcome& a, const Outcome& b);

DiffResult diff_traces(const std::vector<Trace>& traces);

// "compared up to op N (op), where side: why" for a result with `unmodelled` set.
std::string compared_until(const Program& program, const DiffResult& result);

// What a finding is, in one line (no newline), for the first line of every report: which side
// broke which rule after which op, or which op diverged and how ("op 3 (free a) diverged: twin
// heap+0x2a0, glibc abort ..."), or which side failed.
std::string format_headline(const Program& program, const std::vector<Trace>& traces,
                            const DiffResult& result);

// A report for people: the Program up to the op, both outcomes, the first differing bin.
std::string format_divergence(const Program& program, const std::vector<Trace>& traces,
                              const DiffResult& result);

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_DIFFER_H_
