// Golden scenarios (tests/golden/): each NAME.heap beside NAME.expected, the trace with a full
// arena snapshot after every op as recorded from real glibc 2.36. Verified by text comparison,
// so a failure points at the first line that changed.
//
// Other releases keep their recordings in a folder named for the release inside each scenario
// folder (tests/golden/2.31/NAME.expected), with scenarios of their own beside them
// (tests/golden/2.31/NAME.heap): a release runs the folder's scenarios and its own. A release
// without safe-linking skips scenarios that write protect() values (they mean nothing there:
// comparability rule protect_without_safe_linking), and a scenario skips a release it names in a
// line "# not on: 2.27: REASON" (what it does there depends on where the heap lies). A scenario
// runs under the GLIBC_TUNABLES entries its "# tunable: glibc.malloc.NAME=VALUE" lines name.
#ifndef HEAPTWIN_ORACLE_GOLDEN_H_
#define HEAPTWIN_ORACLE_GOLDEN_H_

#include <string>
#include <vector>

#include "oracle/side.h"

namespace heaptwin {

// The glibc version golden files are recorded from.
inline constexpr const char* kGoldenGlibc = "2.36";

struct GoldenResult {
  std::string heap_file;
  bool ok = false;
  bool skipped = false;  // not for this release (message says why); ok too
  std::string message;   // why not (first differing line, missing file, parse error)
};

// Every *.heap in `dir`, sorted.
std::vector<std::string> golden_files(const std::string& dir);

// The .expected text of one run on `release`.
std::string golden_text(const Program& program, const Trace& trace, const std::string& release);

// Runs every scenario of `dir` for the release `side` runs (side_release) on `side`, and
// compares with (update: rewrites) its .expected file.
std::vector<GoldenResult> run_golden(const std::string& dir, Side& side, bool update);

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_GOLDEN_H_
