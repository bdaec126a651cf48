// The shared body of the differential fuzz targets: bytes -> Program -> every side -> differ.
// A divergence, a checker violation or a side failure prints a short report (first differing op,
// both outcomes, the .heap form of the input) and aborts, so the engine keeps the input.
#ifndef HEAPTWIN_FUZZ_DIFFERENTIAL_H_
#define HEAPTWIN_FUZZ_DIFFERENTIAL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "oracle/differ.h"
#include "oracle/side.h"
#include "program/fuzz_encoding.h"

namespace heaptwin::fuzz {

struct TargetConfig {
  const char* name;
  std::vector<std::string> sides;  // make_side names, e.g. {"twin", "glibc"}
  bool snapshots = false;          // compare the arena after every op too
  // The twin's own checks after every op (RunOptions::check_heap / check_contents). The contents
  // rules write a pattern into every block, which real glibc's memory does not hold: they are
  // only for targets that do not compare the twin's memory with glibc's.
  bool check_heap = true;
  bool check_contents = false;
  DecodeOptions decode;
};

// The differential targets' configurations: "twin_vs_model", "twin_vs_glibc", "attack"; nullptr
// for any other name. (The fuzz targets and the benchmarks share these.)
const TargetConfig* find_target(const std::string& name);

// Runs one input. Returns 0, or aborts with a report.
int run_differential(const TargetConfig& config, const uint8_t* data, size_t size);

// The same, without aborting: the report of what was found, or "" when nothing was.
std::string check_differential(const TargetConfig& config, const uint8_t* data, size_t size);

// The pieces of check_differential, for tools that replay findings (heaptwin repro) and must
// judge them as the fuzzer did:
// Programs no side can compare (address-dependent alignments, GiBs of memory touched).
bool skipped_before_running(const Program& program);
// The options the target runs its sides with.
RunOptions run_options(const TargetConfig& config);
// Whether the traces (twin first) show a finding: a side failure, a broken rule, or a
// divergence that does not follow from something no side can predict (mapping addresses,
// memory no heap owns; see differential.cc).
bool is_finding(const Program& program, const std::vector<Trace>& traces,
                const DiffResult& result);

}  // namespace heaptwin::fuzz

#endif  // HEAPTWIN_FUZZ_DIFFERENTIAL_H_
