// heaptwin diff: runs .heap scripts on several sides and reports the first disagreement.
#include <cstdio>

#include "oracle/executor.h"
#include "oracle/trace_text.h"
#include "tools/cli_util.h"
#include "tools/side_options.h"

namespace heaptwin::cli {

namespace {

void print_usage() {
  std::printf(
      "usage: heaptwin diff FILE.heap... [--sides A,B,...] [--target T] [--no-state]\n"
      "                     [--glibc V|--libc PATH] [--tunable NAME=VALUE]... [--no-check]\n"
      "                     [--full-check-every N]\n\n"
      "Runs every script on every side and judges it as the fuzz targets do (oracle/executor.h):\n"
      "the outcome of each op, and the arena after each op (every bin, top, last_remainder, mp_)\n"
      "between the sides that have one (the twin, real glibc), compared through a digest; where\n"
      "they differ, a second run with full snapshots names the first bin that differs. Reports\n"
      "the first op where two sides disagree, both outcomes and the ops before it. Programs or\n"
      "divergences no side can predict (mapping addresses, memory no heap owns) are reported as\n"
      "such, with the rule that says so, and do not count as disagreements.\n\n"
      "  --sides      default: twin, model and glibc (of --glibc V; the model only for 2.36). "
      "Known: ");
  for (const auto& n : side_names()) std::printf("%s ", n.c_str());
  std::printf(
      "\n  --target T   judge as fuzz target T does (its sides, checks and state comparison):\n"
      "               twin_vs_glibc, twin_vs_model, attack, threads\n"
      "  --no-state   compare outcomes only (--state, the default, is accepted)\n"
      "  --glibc V    'glibc' in --sides means real glibc V (2.31, 2.41, 2.43, 2.44), 'twin' its "
      "twin\n"
      "               (2.23, 2.27, 2.31, 2.35, 2.36, 2.39, 2.41, 2.43, 2.44)\n"
      "  --libc PATH  the real side runs under this libc.so.6 (or the folder holding it and its\n"
      "               ld-linux-x86-64.so.2); its release is read from it and picks the twin\n"
      "  --no-check   the twin checks itself after every op unless told not to: the heap checker\n"
      "               (what the op touched, and the whole heap after the last op) and, when no\n"
      "               glibc side runs, the block rules (alignment, no overlap, contents kept,\n"
      "               calloc zeroed), until the script corrupts (write8) or double frees\n"
      "  --full-check-every N  also check the whole heap after every Nth op\n"
      "\nexit: 0 all sides agree on every file; 1 a disagreement (report on stdout); 2 bad "
      "input\n");
}

}  // namespace

int cmd_diff(const Args& args) {
  if (printed_help(args, print_usage)) return kExitOk;
  std::vector<std::string> files, sides;
  std::string version, target;
  JudgeConfig config;
  config.name = "diff";
  config.check_heap = config.check_contents = true;
  bool checks_set = false, state_set = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    bool has_value = i + 1 < args.size();
    if (a == "--state") {
      config.compare_state = true;
      state_set = true;
    } else if (a == "--no-state") {
      config.compare_state = false;
      state_set = true;
    } else if (a == "--no-check") {
      config.check_heap = config.check_contents = false;
      checks_set = true;
    } else if (a == "--full-check-every") {
      if (!has_value || !parse_count(args[++i], &config.full_check_every)) {
        return usage_error("diff", "--full-check-every needs a positive number of ops");
      }
    } else if (a == "--sides") {
      if (!has_value) return usage_error("diff", "--sides needs a list, e.g. glibc,twin");
      sides = comma_list(args[++i]);
    } else if (a == "--target") {
      if (!has_value || fuzz_target_config(args[i + 1]) == nullptr) {
        return usage_error("diff",
                           "--target needs twin_vs_glibc, twin_vs_model, attack or threads");
      }
      target = args[++i];
    } else if (std::string e; take_side_option(args, &i, &version, &config.tunables, &e)) {
      if (!e.empty()) return usage_error("diff", e);
    } else if (!a.empty() && a[0] == '-') {
      return usage_error("diff", "unknown option " + a);
    } else {
      files.push_back(a);
    }
  }
  if (files.empty()) return usage_error("diff", "expected one or more .heap files");
  if (!target.empty()) {
    // The target's configuration; the command line's own choices on top of it.
    JudgeConfig t = *fuzz_target_config(target);
    t.tunables = config.tunables;
    if (checks_set) t.check_heap = t.check_contents = false;
    t.full_check_every = config.full_check_every;
    if (state_set) t.compare_state = config.compare_state;
    config = t;
  }
  if (!sides.empty()) {
    config.sides = sides;
  } else if (target.empty()) {
    for (const auto& n : side_names()) {
      if (n.find('-') != std::string::npos) continue;                       // no other releases
      if (n == "model" && !version.empty() && version != "2.36") continue;  // a model of 2.36
      config.sides.push_back(n);
    }
  }
  for (auto& s : config.sides) s = side_for_version(s, version);
  // Parse everything first: bad input is exit 2 before anything runs.
  std::vector<Program> programs;
  if (!load_programs(files, &programs)) return kExitUsage;
  std::string error;
  auto executor = Executor::create(config, &error);
  if (!executor) {
    std::fprintf(stderr, "heaptwin diff: %s\n", error.c_str());
    return kExitUsage;
  }
  int disagreements = 0, partly = 0, not_compared = 0;
  std::string names;
  for (const auto& s : executor->sides()) names += (names.empty() ? "" : ", ") + s->name();
  for (size_t f = 0; f < files.size(); ++f) {
    const Verdict v = executor->judge(programs[f]);
    if (!v.diff.unmodelled.empty()) ++partly;
    if (v.kind == Verdict::Kind::kAgree) {
      if (!v.diff.unmodelled.empty()) {
        std::printf("%s: %s", files[f].c_str(), compared_until(programs[f], v.diff).c_str());
      }
      continue;
    }
    if (!v.finding()) {
      ++not_compared;
      std::printf("%s: %s", files[f].c_str(), v.report(programs[f]).c_str());
      continue;
    }
    ++disagreements;
    // What was found in one line first, then the detail.
    std::printf("%s: %s\n%s", files[f].c_str(), v.headline(programs[f]).c_str(),
                v.report(programs[f]).c_str());
    const DiffResult& r = v.diff;
    if (r.diverged && r.first.in_state && !v.digest_only) {
      const Divergence& d = r.first;
      for (size_t k : {d.side_a, d.side_b}) {
        if (d.op_index >= v.traces[k].states.size()) continue;
        std::printf("  %s after op %zu:\n%s", v.traces[k].side.c_str(), d.op_index,
                    format_state(v.traces[k].states[d.op_index], "    ", false).c_str());
      }
    }
  }
  if (disagreements == 0) {
    std::string notes;
    if (partly) notes += ", " + std::to_string(partly) + " only partly (see above)";
    if (not_compared) notes += ", " + std::to_string(not_compared) + " not comparable (see above)";
    std::printf("%zu file(s): %s agree on every op%s%s\n", files.size(), names.c_str(),
                config.compare_state ? " and every arena" : "",
                notes.empty() ? "" : (" compared" + notes).c_str());
    return kExitOk;
  }
  std::printf("%d of %zu file(s) disagree (sides: %s)\n", disagreements, files.size(),
              names.c_str());
  return kExitFound;
}

}  // namespace heaptwin::cli
