#include "tools/fuzz_targets.h"

#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace heaptwin::cli {

// fuzz/targets.txt, embedded by the genrule of tools/BUILD.bazel.
extern const char kFuzzTargetsManifest[];

namespace {

bool valid_name(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

bool parse_count(const std::string& s, uint64_t* out) {
  if (s.empty() || s.size() > 18) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

}  // namespace

std::vector<FuzzTargetInfo> parse_fuzz_targets(const std::string& text, const std::string& file,
                                               std::string* error) {
  std::vector<FuzzTargetInfo> targets;
  std::istringstream in(text);
  std::string line;
  int line_no = 0, mains = 0;
  auto fail = [&](const std::string& what) {
    *error = file + ":" + std::to_string(line_no) + ": " + what;
    return std::vector<FuzzTargetInfo>{};
  };
  while (std::getline(in, line)) {
    ++line_no;
    std::istringstream fields(line);
    FuzzTargetInfo t;
    std::string runs;
    if (!(fields >> t.name) || t.name[0] == '#') continue;
    if (!valid_name(t.name))
      return fail("expected a target name ([a-z0-9_]), found '" + t.name + "'");
    if (!(fields >> t.role) ||
        (t.role != "main" && t.role != "differential" && t.role != "format")) {
      return fail("expected a role (main, differential, format) after '" + t.name + "'");
    }
    if (!(fields >> runs) || !parse_count(runs, &t.ci_runs)) {
      return fail("expected CI's execution count (a number) after the role of '" + t.name + "'");
    }
    std::getline(fields >> std::ws, t.summary);
    if (t.summary.empty()) return fail("expected a summary after the CI count of '" + t.name + "'");
    for (const auto& other : targets) {
      if (other.name == t.name) return fail("target '" + t.name + "' is listed twice");
    }
    if (t.role == "main") ++mains;
    targets.push_back(t);
  }
  if (targets.empty()) return fail("no targets");
  if (mains != 1)
    return fail("expected exactly one target whose role is main, found " + std::to_string(mains));
  return targets;
}

const std::vector<FuzzTargetInfo>& fuzz_targets() {
  static const std::vector<FuzzTargetInfo> kTargets = [] {
    std::string error;
    auto t = parse_fuzz_targets(kFuzzTargetsManifest, "fuzz/targets.txt", &error);
    if (t.empty()) {  // the manifest is checked by fuzz_targets_test; this is a broken build
      std::fprintf(stderr, "heaptwin: %s\n", error.c_str());
      std::abort();
    }
    return t;
  }();
  return kTargets;
}

const FuzzTargetInfo* find_fuzz_target(const std::string& name) {
  for (const auto& t : fuzz_targets()) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

const FuzzTargetInfo& main_fuzz_target() {
  for (const auto& t : fuzz_targets()) {
    if (t.role == "main") return t;
  }
  std::abort();  // parse_fuzz_targets guarantees one
}

}  // namespace heaptwin::cli
