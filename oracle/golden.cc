#include "oracle/golden.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "oracle/comparability.h"
#include "oracle/trace_text.h"
#include "program/heap_format.h"

namespace heaptwin {

namespace {

bool read_text(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buf;
  buf << in.rdbuf();
  *out = buf.str();
  return true;
}

std::vector<std::string> content_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '#') continue;
    lines.push_back(line);
  }
  return lines;
}

// Empty when equal, else the first line that differs, both ways.
std::string compare(const std::string& expected, const std::string& actual) {
  auto e = content_lines(expected);
  auto a = content_lines(actual);
  size_t n = std::max(e.size(), a.size());
  for (size_t i = 0; i < n; ++i) {
    std::string el = i < e.size() ? e[i] : "(end of file)";
    std::string al = i < a.size() ? a[i] : "(end of trace)";
    if (el != al) {
      // Name the op the difference belongs to.
      std::string op;
      for (size_t k = std::min(i, e.size() ? e.size() - 1 : 0) + 1; k-- > 0;) {
        if (k < e.size() && !e[k].empty() && e[k][0] != ' ') {
          op = e[k];
          break;
        }
      }
      return "first difference at line " + std::to_string(i + 1) +
             (op.empty() ? "" : " (in op " + op + ")") + "\n  expected: " + el +
             "\n  actual:   " + al;
    }
  }
  return "";
}

// A scenario's "# not on: 2.27: REASON" line for `release`: the reason, or "".
std::string not_on_release(const std::string& text, const std::string& release) {
  const std::string prefix = "# not on: " + release + ":";
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0) {
      const size_t start = line.find_first_not_of(' ', prefix.size());
      return start == std::string::npos ? "(no reason given)" : line.substr(start);
    }
  }
  return "";
}

// A scenario's "# tunable: glibc.malloc.NAME=VALUE" lines: the GLIBC_TUNABLES entries both sides
// run it under (e.g. 2.42's large tcache bins, which only glibc.malloc.tcache_max turns on).
std::vector<std::pair<std::string, std::string>> scenario_tunables(const std::string& text) {
  const std::string prefix = "# tunable: ";
  std::vector<std::pair<std::string, std::string>> tunables;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) != 0) continue;
    const std::string entry =
        line.substr(prefix.size(), line.find_first_of(" #", prefix.size()) - prefix.size());
    const size_t eq = entry.find('=');
    if (eq != std::string::npos) tunables.emplace_back(entry.substr(0, eq), entry.substr(eq + 1));
  }
  return tunables;
}

}  // namespace

std::vector<std::string> golden_files(const std::string& dir) {
  std::vector<std::string> files;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return files;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".heap") == 0)
      files.push_back(dir + "/" + name);
  }
  ::closedir(d);
  std::sort(files.begin(), files.end());
  return files;
}

std::string golden_text(const Program& program, const Trace& trace, const std::string& release) {
  return std::string("# Recorded from real glibc ") + release +
         " by `heaptwin golden --update`; do not edit by hand.\n"
         "# Per op: index, op, outcome; then the arena after it (chunk offsets from the heap "
         "base).\n" +
         format_trace(program, trace, true);
}

std::vector<GoldenResult> run_golden(const std::string& dir, Side& side, bool update) {
  std::vector<GoldenResult> results;
  const std::string release = side_release(side.name());
  const bool host = release == kGoldenGlibc;
  const std::string expected_dir = host ? dir : dir + "/" + release;
  std::vector<std::string> files = golden_files(dir);
  if (!host) {
    for (const auto& own : golden_files(expected_dir)) files.push_back(own);
  }
  for (const auto& file : files) {
    GoldenResult r;
    r.heap_file = file;
    std::string text, error;
    if (!read_text(file, &text)) {
      r.message = "cannot read " + file;
      results.push_back(r);
      continue;
    }
    auto program = parse_heap(text, file, &error);
    if (!program) {
      r.message = error;
      results.push_back(r);
      continue;
    }
    if (const std::string why = not_on_release(text, release); !why.empty()) {
      r.ok = r.skipped = true;
      r.message = "skipped on " + release + ": " + why;
      results.push_back(r);
      continue;
    }
    if (!has_safe_linking(side.name()) && writes_protected_pointer(*program)) {
      r.ok = r.skipped = true;
      r.message = "skipped: writes protect() values, and glibc " + release + " has no safe-linking";
      results.push_back(r);
      continue;
    }
    RunOptions options;
    options.snapshots = true;
    options.tunables = scenario_tunables(text);
    Trace trace = side.run(*program, options);
    if (!trace.error.empty()) {
      r.message = side.name() + " failed: " + trace.error;
      results.push_back(r);
      continue;
    }
    std::string actual = golden_text(*program, trace, release);
    const std::string name = file.substr(file.rfind('/') + 1);
    std::string expected_path = expected_dir + "/" + name.substr(0, name.size() - 5) + ".expected";
    if (update) {
      if (!host) ::mkdir(expected_dir.c_str(), 0755);
      std::ofstream out(expected_path, std::ios::binary | std::ios::trunc);
      out << actual;
      r.ok = static_cast<bool>(out);
      if (!r.ok) r.message = "cannot write " + expected_path;
    } else {
      std::string expected;
      if (!read_text(expected_path, &expected)) {
        r.message = "no " + expected_path + " (record it with `heaptwin golden --update`)";
      } else {
        r.message = compare(expected, actual);
        r.ok = r.message.empty();
      }
    }
    results.push_back(r);
  }
  return results;
}

}  // namespace heaptwin
