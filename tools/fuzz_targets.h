// The fuzz targets as fuzz/targets.txt lists them (the one list every place reads): name, role
// (main, differential, format), CI's execution count and a summary for --help.
#ifndef HEAPTWIN_TOOLS_FUZZ_TARGETS_H_
#define HEAPTWIN_TOOLS_FUZZ_TARGETS_H_

#include <cstdint>
#include <string>
#include <vector>

namespace heaptwin::cli {

struct FuzzTargetInfo {
  std::string name;
  std::string role;      // "main" (the default target), "differential" or "format"
  uint64_t ci_runs = 0;  // executions of CI's fixed-seed run; 0: none
  std::string summary;
};

// Parses manifest text. On a malformed line returns {} and sets *error to
// "FILE:LINE: what was expected".
std::vector<FuzzTargetInfo> parse_fuzz_targets(const std::string& text, const std::string& file,
                                               std::string* error);

// The manifest compiled into this binary (fuzz/targets.txt at build time).
const std::vector<FuzzTargetInfo>& fuzz_targets();
const FuzzTargetInfo* find_fuzz_target(const std::string& name);
// The target whose role is "main".
const FuzzTargetInfo& main_fuzz_target();

}  // namespace heaptwin::cli

#endif  // HEAPTWIN_TOOLS_FUZZ_TARGETS_H_
