// The technique table (`heaptwin techniques`, docs/techniques.md): every technique scenario run
// on each release's twin and real glibc, one verdict per cell, and where a twin and its real
// glibc disagree on a release (a twin bug, unless a comparability rule excuses it).
#ifndef HEAPTWIN_TOOLS_TECHNIQUE_TABLE_H_
#define HEAPTWIN_TOOLS_TECHNIQUE_TABLE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "oracle/side.h"
#include "tools/technique_scenario.h"

namespace heaptwin::techniques {

// One column: a release and the side that runs it ("twin-2.31", "glibc-2.31"; the host's are
// "twin" and "glibc").
struct Column {
  std::string release;  // "2.31"
  std::string side;
  bool twin = false;
};

// Releases with a twin (allocator/profile.h), oldest first: "2.31", "2.35", "2.36".
std::vector<std::string> twin_releases();
// Releases with a real side here: the host's, Debian's packages (oracle/glibc/glibc_versions.cc)
// and `user_libc_release` (--libc) when not empty, oldest first.
std::vector<std::string> real_releases(const std::string& user_libc_release = "");

// The columns for `releases` (empty: every release of twin_releases and real_releases), twin
// before real glibc in each; `twins` / `real` pick the kinds.
std::vector<Column> columns_for(const std::vector<std::string>& releases, bool twins, bool real,
                                const std::string& user_libc_release = "");

struct Row {
  const Technique* technique = nullptr;
  std::vector<Verdict> cells;  // one per Table::columns
};

// A release where the twin's run and real glibc's differ: in their verdicts, or in an op's
// outcome or the arena after it (the differ over both traces). A difference a comparability
// rule excuses is kept only where the verdicts differ.
struct Disagreement {
  size_t row = 0;
  std::string release;
  size_t twin_column = 0, glibc_column = 0;
  std::string what;     // for people: both verdicts, the first op that differs
  std::string excused;  // the comparability rule that excuses it, if any (then no twin bug)
};

struct Table {
  std::vector<Column> columns;           // those whose side could be set up
  std::vector<std::string> unavailable;  // "glibc-2.41: why", one per column left out
  std::vector<Row> rows;
  std::vector<Disagreement> disagreements;

  // Whether a disagreement no rule excuses was found.
  bool disagrees() const;
  // The cell of technique `name` in the column of `side`; nullptr when there is none.
  const Verdict* cell(const std::string& name, const std::string& side) const;
};

// How a column's side is made: make_side (oracle/side.h), or a stand-in in tests.
using SideFactory =
    std::function<std::unique_ptr<Side>(const std::string& name, std::string* error)>;

// Runs every technique on every column's side. `progress` (may be empty) hears each side as it
// starts.
Table run_table(const std::vector<Technique>& techniques, const std::vector<Column>& columns,
                const std::function<void(const std::string&)>& progress = {},
                const SideFactory& make = make_side);

// The table for people: short cells, the messages they refer to as numbered notes below, then
// the disagreements.
std::string format_table(const Table& table);

}  // namespace heaptwin::techniques

#endif  // HEAPTWIN_TOOLS_TECHNIQUE_TABLE_H_
