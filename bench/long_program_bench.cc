// What comparing costs on a long Program (bench/long_program.h: a million calls over ~4,000 live
// blocks): the whole diff against real glibc with the default checks, printing and parsing the
// script included (target: 30 s, i.e. >= 33,333 ops/s). One iteration: seconds to minutes. (The
// twin with and without its checks on the same Program: checker_bench_rows.cc.)
#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>
#include <string>

#include "bench/long_program.h"
#include "bench/table.h"
#include "oracle/executor.h"
#include "program/heap_format.h"

namespace heaptwin::bench {
namespace {

constexpr size_t kOps = 1000000, kLive = 4000;
const char* const kRow = "long Program, 1M ops, ~4,000 live";

const Program& program() {
  static const Program p = long_program(kOps, kLive, 1);
  return p;
}

void run_diff(benchmark::State& state) {
  JudgeConfig config;
  config.name = "diff";
  config.sides = {"twin", "glibc"};  // heaptwin diff's configuration with these sides
  std::string error;
  auto executor = Executor::create(config, &error);
  if (!executor) return state.SkipWithError(error.c_str());
  program();  // made before the clock starts
  for (auto _ : state) {
    const std::string text = print_heap(program());
    auto parsed = parse_heap(text, "long.heap", &error);
    if (!parsed) return state.SkipWithError(error.c_str());
    const Verdict v = executor->judge(*parsed);
    if (v.kind != Verdict::Kind::kAgree) return state.SkipWithError(v.report(*parsed).c_str());
  }
  state.counters["units"] = static_cast<double>(kOps);
}

bool register_all() {
  const std::string diff_row = std::string(kRow) + ": diff twin,glibc";
  benchmark::RegisterBenchmark((diff_row + "/op").c_str(), run_diff)
      ->Iterations(1)
      ->UseRealTime()
      ->Unit(benchmark::kSecond);
  describe_rate(diff_row, "op", kOps / 30.0, "ops/s (1M in 30 s)");
  return true;
}

const bool registered = register_all();

}  // namespace
}  // namespace heaptwin::bench
