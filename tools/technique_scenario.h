// A how2heap technique as a .heap scenario (tests/techniques/, docs/techniques.md): the Program,
// and in its header what the attacker wants at the end (the goal) and how its protect() values
// are meant on releases without safe-linking.
//
//   # technique: tcache_poisoning
//   # how2heap: tcache_poisoning.c
//   # goal: d == t+0x10
//   # protect: by release
//
// The header is the run of `#` lines before the first op; other comment lines in it are prose.
#ifndef HEAPTWIN_TOOLS_TECHNIQUE_SCENARIO_H_
#define HEAPTWIN_TOOLS_TECHNIQUE_SCENARIO_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "oracle/trace.h"
#include "program/op.h"

namespace heaptwin::techniques {

// An address a goal names: the pointer a slot holds after its last assignment, the heap base, or
// main_arena, plus a delta. Outcomes are offsets from the heap base (a read8's are named by what
// they point into), so all of them compare across processes.
struct GoalAddress {
  bool is_heap = false;
  bool is_main_arena = false;
  SlotId slot = kNullSlot;  // when neither; kNullSlot is `null` (the allocation gave NULL)
  int64_t delta = 0;
};

struct Goal {
  enum class Kind {
    kEquals,    // SLOT == ADDR: the slot's last pointer is that address (a read8 slot's value, by
                //   its name: a safe-linked one by its revealed target)
    kOverlaps,  // SLOT overlaps SLOT: the two last blocks (their requested bytes) share a byte
    kNoAbort,   // no abort: every op ran (the attack's writes went through unchecked)
  };
  Kind kind = Kind::kNoAbort;
  SlotId slot = kNullSlot;
  GoalAddress address;       // kEquals
  SlotId other = kNullSlot;  // kOverlaps
  std::string text;          // as written, for reports
};

// How a scenario's protect(POS, TARGET) values are meant on a release without safe-linking.
enum class ProtectMode {
  kByRelease,  // as the release stores the pointer: protect(POS, T) before 2.32 is plain T
  kAsWritten,  // (POS >> 12) ^ T on every release
};

struct Technique {
  std::string file;
  std::string name;         // "# technique:", else the file's name without .heap
  std::string how2heap;     // "# how2heap:" (how2heap's file the scenario follows), may be empty
  std::vector<Goal> goals;  // all must hold; at least one
  ProtectMode protect = ProtectMode::kByRelease;
  Program program;
};

// Parses a scenario. nullopt with *error "FILE:LINE: what was expected" (a missing goal names
// line 1; an error in the Program is parse_heap's).
std::optional<Technique> parse_technique(const std::string& text, const std::string& file,
                                         std::string* error);

// Every *.heap in `dir`, sorted by file name. nullopt with *error for the first bad one.
std::optional<std::vector<Technique>> load_techniques(const std::string& dir, std::string* error);

// The Program as side `side_name` runs it: with_plain_pointers on a release without
// safe-linking (oracle/comparability.h has_safe_linking) when the scenario says "by release".
Program program_for_side(const Technique& technique, const std::string& side_name);

// What one side's run says of a technique.
struct Verdict {
  enum class Kind {
    kWorks,       // every op ran and every goal holds
    kGoalNotMet,  // every op ran; a goal does not hold (`detail` says which and why)
    kStopped,     // glibc (or the twin) aborted at op `op` with `message`
    kFault,       // SIGSEGV/SIGBUS at op `op`
    kTimeout,     // op `op` did not finish (a hang: a cycle in a list)
    kUnmodelled,  // the twin cannot follow glibc from op `op` (docs/op-semantics.md)
    kError,       // the side itself failed (`message`)
  };
  Kind kind = Kind::kWorks;
  size_t op = 0;
  std::string message;
  std::string detail;

  bool operator==(const Verdict& o) const {
    return kind == o.kind && op == o.op && message == o.message && detail == o.detail;
  }
  bool operator!=(const Verdict& o) const { return !(*this == o); }
};

// The verdict of `trace`, a run of `program` (program_for_side's) for `technique`.
Verdict judge(const Technique& technique, const Program& program, const Trace& trace);

// "works", "goal not met: ...", "stopped at op 7: malloc(): unaligned tcache chunk detected",
// "fault at op 5", "timeout at op 5", ...
std::string verdict_text(const Verdict& v);

}  // namespace heaptwin::techniques

#endif  // HEAPTWIN_TOOLS_TECHNIQUE_SCENARIO_H_
