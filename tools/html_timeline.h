// `heaptwin show --html` and `repro --html`: a Program's run as one self-contained HTML page (no
// network, no external scripts or fonts), a step per op: the heap as chunk boxes scaled by size
// and coloured by state and bin, the bins as lists with their links (safe-linked pointers
// revealed beside what is stored), the op and its outcome, the sides in columns side by side, the
// first divergence marked and selected at open. The data is one JSON blob (heap_timeline.h's
// deltas) read by a small renderer (html_timeline_page.html, compiled in).
#ifndef HEAPTWIN_TOOLS_HTML_TIMELINE_H_
#define HEAPTWIN_TOOLS_HTML_TIMELINE_H_

#include <string>

#include "oracle/executor.h"
#include "program/op.h"
#include "tools/heap_timeline.h"

namespace heaptwin::cli {

struct TimelinePage {
  std::string title;    // the input, as named on the command line
  std::string command;  // what made the page: "heaptwin show --html"
  // The step selected when the page opens; -1: the first divergence, else the first broken
  // rule, else the first op that ended the Program on some side, else op 0.
  long open_at = -1;
};

// The JSON blob the page embeds (its shape is described at the top of html_timeline_page.html).
std::string timeline_json(const Program& program, const Timeline& timeline, const Verdict& verdict,
                          const TimelinePage& page);

// The whole page: the template with the blob in it.
std::string timeline_html(const Program& program, const Timeline& timeline, const Verdict& verdict,
                          const TimelinePage& page);

// Whether a file can be written at `path` (checked before a long run): it is not a folder and
// its folder exists and is writable. Else false, *error = "PATH: reason".
bool output_path_writable(const std::string& path, std::string* error);

// Records the timeline of `program` on the executor's sides, renders it and writes it to `path`
// (atomically). False with *error = "PATH: reason" when it cannot be written.
bool write_html_timeline(Executor& executor, const Program& program, const Verdict& verdict,
                         const TimelinePage& page, const std::string& path, std::string* error);

}  // namespace heaptwin::cli

#endif  // HEAPTWIN_TOOLS_HTML_TIMELINE_H_
