// A Program's run as a timeline: for each side and each op, the heap as the heap view reads it
// (oracle/heap_view.h: every chunk from the heap start to top with its state and bin, every bin
// list with its links, safe-linked ones revealed beside what is stored, top, last_remainder),
// kept as JSON deltas from the op before so that a long Program stays small. The HTML page
// (html_timeline.h) embeds them and replays the deltas.
#ifndef HEAPTWIN_TOOLS_HEAP_TIMELINE_H_
#define HEAPTWIN_TOOLS_HEAP_TIMELINE_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "oracle/executor.h"
#include "oracle/trace.h"
#include "program/op.h"

namespace heaptwin::cli {

// One side's run: its outcomes, and per op that returned what changed in its heap.
struct SideTimeline {
  std::string side;
  bool has_heap = false;  // false for the model: it predicts outcomes, no memory to draw
  Trace trace;
  // Per op index: a JSON object (chunks set "c", removed "d", bins "b", arena "a", walk stop
  // "w", mmapped chunks "m"; see html_timeline_page.html), "" where the heap was not read (the
  // op ended the Program, or did not run).
  std::vector<std::string> heap_deltas;
};

struct Timeline {
  std::vector<SideTimeline> sides;
};

// Runs `program` once more on every side of `executor` (its options, without checks or digests)
// with the heap read after every op.
Timeline record_timeline(Executor& executor, const Program& program);

// A JSON string literal that is also safe inside an HTML <script> element: quotes, backslashes,
// control characters, '<', '>', '&' and every byte outside ASCII as \u escapes.
std::string json_string(std::string_view text);

}  // namespace heaptwin::cli

#endif  // HEAPTWIN_TOOLS_HEAP_TIMELINE_H_
