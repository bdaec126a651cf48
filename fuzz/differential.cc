#include "fuzz/differential.h"

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "oracle/differ.h"
#include "oracle/side.h"
#include "program/heap_format.h"

namespace heaptwin::fuzz {

namespace {

// Sides are started once per process: the glibc runner is a fork server, the twin and model
// reset between Programs.
std::vector<std::unique_ptr<Side>>& sides_of(const TargetConfig& config) {
  static std::vector<std::unique_ptr<Side>> sides;
  if (sides.empty()) {
    for (const auto& name : config.sides) {
      std::string error;
      auto side = make_side(name, &error);
      if (!side) {
        std::fprintf(stderr, "%s: cannot start side '%s': %s\n", config.name, name.c_str(),
                     error.c_str());
        std::exit(2);
      }
      sides.push_back(std::move(side));
    }
  }
  return sides;
}

[[noreturn]] void report(const TargetConfig& config, const Program& program,
                         const std::string& what) {
  std::fprintf(stderr, "\n==== heaptwin %s: %s\n%s==== the input as a .heap script:\n%s====\n",
               config.name, "finding", what.c_str(), print_heap(program).c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace

int run_differential(const TargetConfig& config, const uint8_t* data, size_t size) {
  Program program = decode_fuzz(data, size, config.decode);
  if (program.ops.empty()) return 0;
  RunOptions options;
  options.snapshots = config.snapshots;
  std::vector<Trace> traces;
  for (auto& side : sides_of(config)) traces.push_back(side->run(program, options));
  DiffResult result = diff_traces(traces);
  if (result.agree()) return 0;
  std::string what;
  for (const auto& e : result.side_errors) what += "side failed: " + e + "\n";
  if (result.diverged) what += format_divergence(program, traces, result);
  report(config, program, what);
}

}  // namespace heaptwin::fuzz
