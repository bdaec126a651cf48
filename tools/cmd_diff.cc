// heaptwin diff: runs .heap scripts on several sides and reports the first disagreement.
#include <cstdio>
#include <sstream>

#include "oracle/differ.h"
#include "oracle/side.h"
#include "oracle/trace_text.h"
#include "tools/cli_util.h"
#include "tools/side_options.h"

namespace heaptwin::cli {

namespace {

void print_usage() {
  std::printf(
      "usage: heaptwin diff FILE.heap... [--sides A,B,...] [--state] [--glibc 2.31|2.41]\n"
      "                     [--tunable NAME=VALUE]... [--no-check]\n\n"
      "Runs every script on every side and compares them op by op: the outcome of each op and,\n"
      "with --state, the arena after it (every bin, top, last_remainder, mp_). Reports the first\n"
      "op where two sides disagree, both outcomes, and the first bin that differs.\n\n"
      "  --sides      default: every side but the other glibc versions. Known: ");
  for (const auto& n : side_names()) std::printf("%s ", n.c_str());
  std::printf(
      "\n  --glibc V    'glibc' in --sides means real glibc V\n"
      "  --no-check   the twin checks itself after every op unless told not to: the heap checker\n"
      "               (every chunk and bin) and, when no glibc side runs, the block rules\n"
      "               (alignment, no overlap, contents kept, calloc zeroed), until the script\n"
      "               corrupts (write8) or double frees\n"
      "\nexit: 0 all sides agree on every file; 1 a disagreement (report on stdout); 2 bad input\n");
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace

int cmd_diff(const Args& args) {
  if (wants_help(args)) {
    print_usage();
    return kExitOk;
  }
  std::vector<std::string> files, sides;
  std::string version;
  RunOptions options;
  options.check_heap = options.check_contents = true;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    bool has_value = i + 1 < args.size();
    if (a == "--state") {
      options.snapshots = true;
    } else if (a == "--no-check") {
      options.check_heap = options.check_contents = false;
    } else if (a == "--sides") {
      if (!has_value) return usage_error("diff", "--sides needs a list, e.g. glibc,twin");
      sides = split(args[++i]);
    } else if (a == "--glibc") {
      if (!has_value) return usage_error("diff", "--glibc needs a version (2.31 or 2.41)");
      version = args[++i];
    } else if (a == "--tunable") {
      std::pair<std::string, std::string> t;
      if (!has_value || !parse_tunable(args[++i], &t)) return usage_error("diff", "--tunable needs NAME=VALUE");
      options.tunables.push_back(t);
    } else if (!a.empty() && a[0] == '-') {
      return usage_error("diff", "unknown option " + a);
    } else {
      files.push_back(a);
    }
  }
  if (files.empty()) return usage_error("diff", "expected one or more .heap files");
  if (sides.empty()) {
    for (const auto& n : side_names()) {
      if (n.rfind("glibc-", 0) != 0) sides.push_back(n);
    }
  }
  // The block rules write into the twin's blocks; real glibc's memory would not match it.
  for (const auto& s : sides) {
    if (s.rfind("glibc", 0) == 0) options.check_contents = false;
  }
  std::vector<std::unique_ptr<Side>> made;
  for (const auto& s : sides) {
    std::string error;
    auto side = make_side(side_for_version(s, version), &error);
    if (!side) {
      std::fprintf(stderr, "heaptwin diff: %s\n", error.c_str());
      return kExitUsage;
    }
    made.push_back(std::move(side));
  }
  // Parse everything first: bad input is exit 2 before anything runs.
  std::vector<Program> programs;
  for (const auto& f : files) {
    std::string error;
    auto p = load_program(f, &error);
    if (!p) {
      std::fprintf(stderr, "%s\n", error.c_str());
      return kExitUsage;
    }
    programs.push_back(std::move(*p));
  }
  int disagreements = 0, partly = 0;
  std::string names;
  for (const auto& s : made) names += (names.empty() ? "" : ", ") + s->name();
  for (size_t f = 0; f < files.size(); ++f) {
    std::vector<Trace> traces;
    for (auto& s : made) traces.push_back(s->run(programs[f], options));
    DiffResult r = diff_traces(traces);
    if (!r.unmodelled.empty()) {
      ++partly;
      std::printf("%s: %s", files[f].c_str(), compared_until(programs[f], r).c_str());
    }
    if (r.agree()) continue;
    ++disagreements;
    std::printf("%s:\n%s", files[f].c_str(), format_divergence(programs[f], traces, r).c_str());
    if (r.diverged && r.first.in_state && options.snapshots) {
      const Divergence& d = r.first;
      for (size_t k : {d.side_a, d.side_b}) {
        std::printf("  %s after op %zu:\n%s", traces[k].side.c_str(), d.op_index,
                    format_state(traces[k].states[d.op_index], "    ", false).c_str());
      }
    }
  }
  if (disagreements == 0) {
    std::printf("%zu file(s): %s agree on every op%s%s\n", files.size(), names.c_str(),
                options.snapshots ? " and every arena" : "",
                partly ? (" compared (" + std::to_string(partly) + " only partly: see above)").c_str() : "");
    return kExitOk;
  }
  std::printf("%d of %zu file(s) disagree (sides: %s)\n", disagreements, files.size(), names.c_str());
  return kExitFound;
}

}  // namespace heaptwin::cli
