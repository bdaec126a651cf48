// Runs the registered benchmarks and prints one table: each row a ratio of two things measured
// side by side in this run (the bench binaries are built with --config=opt by ./heaptwin bench).
//
// Benchmarks name themselves "<row>/<column>" (e.g. "tcache-heavy/glibc") and set the counter
// "units" to the work done per iteration (ops, or Programs); the table shows ns per unit and,
// for rows with two columns, their ratio against the row's target.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "bench/replay.h"
#include "bench/table.h"
#include "program/heap_format.h"

namespace {

class TableReporter : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.error_occurred) {
        std::fprintf(stderr, "%s: %s\n", run.benchmark_name().c_str(), run.error_message.c_str());
        continue;
      }
      auto it = run.counters.find("units");
      double units = it == run.counters.end() ? 1.0 : static_cast<double>(it->second);
      // GetAdjustedRealTime is per iteration, in run.time_unit (multiplier: units per second).
      double ns = run.GetAdjustedRealTime() * 1e9 /
                  benchmark::GetTimeUnitMultiplier(run.time_unit) / (units > 0 ? units : 1);
      heaptwin::bench::record(run.benchmark_name(), ns);
      std::fprintf(stderr, "  measured %-48s %12.1f ns/unit\n", run.benchmark_name().c_str(), ns);
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  // --rows=FILE (repeatable): rows measured outside this process (bench/table.h).
  // --trace=NAME=FILE (repeatable): a recorded .heap trace to replay on the twin and on glibc.
  // --emit_rows=FILE: also write what this run measured there, in the same format (./heaptwin
  // bench runs some rows in a process of their own and gathers them that way).
  std::vector<std::string> row_files, traces;
  std::string emit_rows;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--rows=", 0) == 0) {
      row_files.push_back(a.substr(7));
    } else if (a.rfind("--emit_rows=", 0) == 0) {
      emit_rows = a.substr(12);
    } else if (a.rfind("--trace=", 0) == 0) {
      traces.push_back(a.substr(8));
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  for (const auto& f : row_files) {
    std::string error;
    if (!heaptwin::bench::load_rows(f, &error)) {
      std::fprintf(stderr, "bench: %s\n", error.c_str());
      return 2;
    }
  }
  for (const auto& t : traces) {
    size_t eq = t.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "bench: --trace=%s: expected --trace=NAME=FILE\n", t.c_str());
      return 2;
    }
    const std::string file = t.substr(eq + 1);
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    std::string error;
    auto program = in ? heaptwin::parse_heap(text.str(), file, &error) : std::nullopt;
    if (!program) {
      std::fprintf(stderr, "bench: %s\n", in ? error.c_str() : (file + ": cannot read").c_str());
      return 2;
    }
    heaptwin::bench::register_trace(t.substr(0, eq), *program);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  TableReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  if (!emit_rows.empty()) {
    std::ofstream out(emit_rows);
    out << heaptwin::bench::format_rows();
    if (!out) {
      std::fprintf(stderr, "bench: cannot write %s\n", emit_rows.c_str());
      return 2;
    }
  }
  std::printf("%s", heaptwin::bench::format_table().c_str());
  benchmark::Shutdown();
  return 0;
}
