// Shrinks a Program while it keeps failing the same way: fewest ops first, then smallest sizes.
// The caller's predicate says whether a candidate still fails; candidates that would name a slot
// before it is assigned are never offered.
#ifndef HEAPTWIN_PROGRAM_MINIMIZE_H_
#define HEAPTWIN_PROGRAM_MINIMIZE_H_

#include <cstddef>
#include <functional>

#include "program/op.h"

namespace heaptwin {

struct MinimizeStats {
  size_t tries = 0;
  size_t ops_before = 0, ops_after = 0;
};

// Every operand names a slot assigned by an earlier op (or null).
bool is_well_formed(const Program& program);

// Drops slots no op assigns any more and renumbers the rest in order of first assignment.
Program compact_slots(const Program& program);

// `still_fails(p)` must be true for `program` itself. `progress` (may be empty) is called after
// each accepted step with the current op count.
Program minimize(const Program& program, const std::function<bool(const Program&)>& still_fails,
                 MinimizeStats* stats, const std::function<void(size_t)>& progress = {});

}  // namespace heaptwin

#endif  // HEAPTWIN_PROGRAM_MINIMIZE_H_
