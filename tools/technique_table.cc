#include "tools/technique_table.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <sstream>

#include "allocator/profile.h"
#include "oracle/comparability.h"
#include "oracle/differ.h"
#include "oracle/glibc/glibc_versions.h"
#include "oracle/side.h"
#include "program/heap_format.h"

namespace heaptwin::techniques {

namespace {

int minor_of(const std::string& release) {
  int minor = 0;
  std::sscanf(release.c_str(), "2.%d", &minor);
  return minor;
}

void sort_releases(std::vector<std::string>* releases) {
  std::sort(releases->begin(), releases->end(),
            [](const std::string& a, const std::string& b) { return minor_of(a) < minor_of(b); });
  releases->erase(std::unique(releases->begin(), releases->end()), releases->end());
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// A run of one technique on one column's side.
struct Run {
  Program program;
  Trace trace;
};

RunOptions options_for_table(bool snapshots) {
  RunOptions o;
  o.digests = !snapshots;
  o.snapshots = snapshots;
  return o;
}

// Compares the twin's run with real glibc's on one release; false when they agree.
bool compare(const Technique& t, const Run& twin, const Run& glibc, Side& twin_side,
             Side& glibc_side, Disagreement* out) {
  const Verdict tv = judge(t, twin.program, twin.trace);
  const Verdict gv = judge(t, glibc.program, glibc.trace);
  if (tv.kind == Verdict::Kind::kError || gv.kind == Verdict::Kind::kError) {
    if (tv == gv) return false;
    out->what = "twin: " + verdict_text(tv) + "; glibc: " + verdict_text(gv);
    return true;
  }
  std::vector<Trace> traces = {twin.trace, glibc.trace};
  DiffResult diff = diff_traces(traces);
  if (tv == gv && !diff.diverged) return false;
  std::string what = "twin: " + verdict_text(tv) + "; glibc: " + verdict_text(gv);
  size_t at = std::min(tv.op, gv.op);
  if (diff.diverged) {
    at = diff.first.op_index;
    std::string detail = diff.first.what;
    if (diff.first.in_state) {
      // Name the first bin that differs: the same run again, with full snapshots.
      const RunOptions o = options_for_table(/*snapshots=*/true);
      std::vector<Trace> full = {twin_side.run(twin.program, o), glibc_side.run(glibc.program, o)};
      DiffResult again = diff_traces(full);
      if (again.diverged) detail = again.first.what;
    }
    const std::string op = at < twin.program.ops.size()
                               ? print_op(twin.program, twin.program.ops[at])
                               : "(after the last op)";
    auto outcome_at = [at](const Trace& t) {
      return at < t.outcomes.size() ? to_string(t.outcomes[at]) : std::string("none");
    };
    what += "; first differ at op " + std::to_string(at) + " (" + op + "): ";
    what += diff.first.in_state
                ? "the arena after it: " + detail
                : "outcome " + outcome_at(twin.trace) + " vs " + outcome_at(glibc.trace);
  }
  out->what = what;
  // Both sides ran the same Program here (same release, same rewrite).
  if (auto rule = excused_divergence(twin.program, traces, at)) {
    // Equal cells, and a difference no side can predict (a protect() value written as it is on
    // a release without safe-linking carries each process's heap address): nothing to show.
    if (tv == gv) return false;
    out->excused = rule->id;
  }
  return true;
}

}  // namespace

std::vector<std::string> twin_releases() {
  std::vector<std::string> out;
  std::string known = alloc::GlibcProfile::known_versions();  // "2.31, 2.35, 2.36"
  for (size_t at = 0; at < known.size();) {
    size_t comma = known.find(',', at);
    std::string r = known.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    r.erase(0, r.find_first_not_of(' '));
    if (!r.empty()) out.push_back(r);
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  sort_releases(&out);
  return out;
}

std::vector<std::string> real_releases(const std::string& user_libc_release) {
  std::vector<std::string> out = {side_release("glibc")};
  // The releases Debian's packages give here (set up on first use).
  for (const std::string& r : packaged_releases()) out.push_back(r);
  if (!user_libc_release.empty()) out.push_back(user_libc_release);
  sort_releases(&out);
  return out;
}

std::vector<Column> columns_for(const std::vector<std::string>& releases, bool twins, bool real,
                                const std::string& user_libc_release) {
  const std::vector<std::string> with_twin = twin_releases();
  const std::vector<std::string> with_real = real_releases(user_libc_release);
  std::vector<std::string> chosen = releases;
  if (chosen.empty()) {
    chosen = with_twin;
    chosen.insert(chosen.end(), with_real.begin(), with_real.end());
  }
  sort_releases(&chosen);
  std::vector<Column> out;
  for (const std::string& r : chosen) {
    if (twins && contains(with_twin, r)) out.push_back({r, side_for_release("twin", r), true});
    if (!real || !contains(with_real, r)) continue;
    // A libc the user brought runs as glibc-V, even for the host's release.
    const std::string side = r == user_libc_release ? "glibc-" + r : side_for_release("glibc", r);
    out.push_back({r, side, false});
  }
  return out;
}

bool Table::disagrees() const {
  for (const auto& d : disagreements) {
    if (d.excused.empty()) return true;
  }
  return false;
}

const Verdict* Table::cell(const std::string& name, const std::string& side) const {
  for (const Row& row : rows) {
    if (row.technique->name != name) continue;
    for (size_t c = 0; c < columns.size(); ++c) {
      if (columns[c].side == side) return &row.cells[c];
    }
  }
  return nullptr;
}

Table run_table(const std::vector<Technique>& techniques, const std::vector<Column>& columns,
                const std::function<void(const std::string&)>& progress, const SideFactory& make) {
  Table table;
  std::vector<std::unique_ptr<Side>> sides;
  for (const Column& c : columns) {
    std::string error;
    auto side = make(c.side, &error);
    if (!side) {
      table.unavailable.push_back(c.side + ": " + error);
      continue;
    }
    table.columns.push_back(c);
    sides.push_back(std::move(side));
  }
  // runs[row][column]
  std::vector<std::vector<Run>> runs(techniques.size(), std::vector<Run>(table.columns.size()));
  const RunOptions options = options_for_table(/*snapshots=*/false);
  for (size_t c = 0; c < table.columns.size(); ++c) {
    if (progress) progress(table.columns[c].side);
    for (size_t r = 0; r < techniques.size(); ++r) {
      Run& run = runs[r][c];
      run.program = program_for_side(techniques[r], table.columns[c].side);
      run.trace = sides[c]->run(run.program, options);
    }
  }
  for (size_t r = 0; r < techniques.size(); ++r) {
    Row row;
    row.technique = &techniques[r];
    for (size_t c = 0; c < table.columns.size(); ++c) {
      row.cells.push_back(judge(techniques[r], runs[r][c].program, runs[r][c].trace));
    }
    table.rows.push_back(std::move(row));
    for (size_t t = 0; t < table.columns.size(); ++t) {
      if (!table.columns[t].twin) continue;
      for (size_t g = 0; g < table.columns.size(); ++g) {
        if (table.columns[g].twin || table.columns[g].release != table.columns[t].release) continue;
        Disagreement d;
        if (compare(techniques[r], runs[r][t], runs[r][g], *sides[t], *sides[g], &d)) {
          d.row = r;
          d.release = table.columns[t].release;
          d.twin_column = t;
          d.glibc_column = g;
          table.disagreements.push_back(d);
        }
      }
    }
  }
  return table;
}

namespace {

// Numbered notes for the texts cells refer to, in the order first used.
class Notes {
 public:
  std::string ref(const std::string& text) {
    auto it = index_.find(text);
    if (it == index_.end()) {
      texts_.push_back(text);
      it = index_.emplace(text, texts_.size()).first;
    }
    return "[" + std::to_string(it->second) + "]";
  }
  std::string print() const {
    std::string out;
    for (size_t i = 0; i < texts_.size(); ++i) {
      out += "  [" + std::to_string(i + 1) + "] " + texts_[i] + "\n";
    }
    return out;
  }

 private:
  std::map<std::string, size_t> index_;
  std::vector<std::string> texts_;
};

std::string short_cell(const Verdict& v, Notes* notes) {
  const std::string at = " at op " + std::to_string(v.op);
  switch (v.kind) {
    case Verdict::Kind::kWorks: return "works";
    case Verdict::Kind::kGoalNotMet: return "goal not met " + notes->ref(v.detail);
    case Verdict::Kind::kStopped: return "stopped" + at + " " + notes->ref(v.message);
    case Verdict::Kind::kFault:
      return "fault" + at + (v.message.empty() ? "" : " " + notes->ref("fault " + v.message));
    case Verdict::Kind::kTimeout: return "timeout" + at;
    case Verdict::Kind::kUnmodelled: return "unmodelled" + at + " " + notes->ref(v.message);
    case Verdict::Kind::kError: return "error " + notes->ref(v.message);
  }
  return "?";
}

std::string pad(const std::string& s, size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

}  // namespace

std::string format_table(const Table& table) {
  Notes notes;
  const size_t n = table.columns.size();
  // Cells, marked where the twin and real glibc disagree ('!!') or differ excused ('~').
  std::vector<std::vector<std::string>> cells(table.rows.size(), std::vector<std::string>(n));
  std::vector<std::string> row_marks(table.rows.size());
  for (size_t r = 0; r < table.rows.size(); ++r) {
    for (size_t c = 0; c < n; ++c) cells[r][c] = short_cell(table.rows[r].cells[c], &notes);
  }
  for (const Disagreement& d : table.disagreements) {
    const char* mark = d.excused.empty() ? "!! " : "~ ";
    cells[d.row][d.twin_column] = mark + cells[d.row][d.twin_column];
    cells[d.row][d.glibc_column] = mark + cells[d.row][d.glibc_column];
    row_marks[d.row] += std::string(row_marks[d.row].empty() ? "" : ", ") +
                        (d.excused.empty() ? "DISAGREE on " : "excused on ") + d.release;
  }
  size_t name_width = std::string("technique").size();
  for (const Row& row : table.rows) name_width = std::max(name_width, row.technique->name.size());
  std::vector<size_t> width(n);
  for (size_t c = 0; c < n; ++c) {
    width[c] = std::max(table.columns[c].release.size(), std::string("glibc").size());
    for (size_t r = 0; r < table.rows.size(); ++r)
      width[c] = std::max(width[c], cells[r][c].size());
  }
  std::string out;
  // Two header lines: the release over each of its columns, then the side.
  std::string releases = pad("", name_width), kinds = pad("technique", name_width);
  for (size_t c = 0; c < n; ++c) {
    const bool first_of_release =
        c == 0 || table.columns[c - 1].release != table.columns[c].release;
    releases += "  " + pad(first_of_release ? table.columns[c].release : "", width[c]);
    kinds += "  " + pad(table.columns[c].twin ? "twin" : "glibc", width[c]);
  }
  auto rstrip = [](std::string s) {
    s.erase(s.find_last_not_of(' ') + 1);
    return s;
  };
  out += rstrip(releases) + "\n" + rstrip(kinds) + "\n";
  for (size_t r = 0; r < table.rows.size(); ++r) {
    std::string line = pad(table.rows[r].technique->name, name_width);
    for (size_t c = 0; c < n; ++c) line += "  " + pad(cells[r][c], width[c]);
    if (!row_marks[r].empty()) line += "  << " + row_marks[r];
    out += rstrip(line) + "\n";
  }
  const std::string listed = notes.print();
  if (!listed.empty()) out += "\n" + listed;
  out += "\nops are numbered from 0, as `heaptwin run FILE` prints them.\n";
  for (const std::string& u : table.unavailable) out += "left out: " + u + "\n";
  if (table.disagreements.empty()) {
    size_t pairs = 0;
    for (size_t t = 0; t < n; ++t) {
      for (size_t g = 0; g < n; ++g) {
        pairs += table.columns[t].twin && !table.columns[g].twin &&
                 table.columns[t].release == table.columns[g].release;
      }
    }
    if (pairs > 0) {
      out += "twin and real glibc agree on every technique, op by op, on " + std::to_string(pairs) +
             (pairs == 1 ? " release.\n" : " releases.\n");
    }
  }
  for (const Disagreement& d : table.disagreements) {
    out += (d.excused.empty() ? "DISAGREE: " : "excused (" + d.excused + "): ") +
           table.rows[d.row].technique->name + " on " + d.release + ": " + d.what + "\n";
  }
  return out;
}

}  // namespace heaptwin::techniques
