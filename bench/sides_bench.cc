// Programs per second of each side, and of the differential fuzz harnesses (the work of one fuzz
// execution, without the engine), on random Programs of 16, 64 and 256 ops.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_inputs.h"
#include "bench/table.h"
#include "fuzz/differential.h"
#include "oracle/differ.h"
#include "oracle/glibc/glibc_side.h"
#include "oracle/side.h"
#include "program/fuzz_encoding.h"

namespace heaptwin::bench {
namespace {

Side* side(const std::string& name) {
  static std::map<std::string, std::unique_ptr<Side>> sides;
  auto& s = sides[name];
  if (!s) {
    std::string error;
    // "glibc-fork": the runner with a fresh fork per Program instead of the persistent reset.
    s = name == "glibc-fork" ? make_glibc_side("glibc", RunnerMode::kFork, &error)
                             : make_side(name, &error);
    if (!s) std::fprintf(stderr, "side %s: %s\n", name.c_str(), error.c_str());
  }
  return s.get();
}

// Random non-corrupting fuzz inputs of `ops` ops, asking for 1 MiB at most in all, the kind
// bench/engines.sh runs (bench_inputs.h), on which twin, model and glibc all agree (the harness
// aborts on a disagreement, and a benchmark measures the passing path).
const std::vector<std::string>& inputs(size_t ops) {
  static std::map<size_t, std::vector<std::string>> cache;
  auto& v = cache[ops];
  if (!v.empty()) return v;
  std::mt19937_64 rng(ops);
  DecodeOptions decode = fuzz_target_config("twin_vs_glibc")->decode;
  decode.max_ops = ops;
  size_t tried = 0;
  while (v.size() < 200 && tried < 5000) {
    ++tried;
    std::string bytes = random_input(rng, ops, decode, uint64_t{1} << 20);
    Program p = decode_fuzz(bytes, decode);
    if (p.ops.size() != ops) continue;
    std::vector<Trace> traces;
    RunOptions options;
    for (const char* s : {"twin", "model", "glibc"}) {
      if (Side* x = side(s)) traces.push_back(x->run(p, options));
    }
    if (diff_traces(traces).agree()) v.push_back(bytes);
  }
  std::fprintf(stderr, "  %zu-op inputs: %zu of %zu random inputs agree on every side\n", ops,
               v.size(), tried);
  return v;
}

void run_side(benchmark::State& state, std::string name, size_t ops) {
  Side* s = side(name);
  const auto& in = inputs(ops);
  if (!s || in.empty()) return state.SkipWithError("side or inputs unavailable");
  DecodeOptions decode = fuzz_target_config("twin_vs_glibc")->decode;
  decode.max_ops = ops;
  std::vector<Program> programs;
  for (const auto& b : in) programs.push_back(decode_fuzz(b, decode));
  RunOptions options;
  size_t i = 0;
  for (auto _ : state) {
    Trace t = s->run(programs[i++ % programs.size()], options);
    benchmark::DoNotOptimize(t);
  }
}

void run_harness(benchmark::State& state, std::string target, size_t ops) {
  const auto& in = inputs(ops);
  if (in.empty()) return state.SkipWithError("inputs unavailable");
  size_t i = 0;
  for (auto _ : state) {
    const std::string& b = in[i++ % in.size()];
    fuzz::run_differential(target.c_str(), reinterpret_cast<const uint8_t*>(b.data()), b.size());
  }
}

bool register_all() {
  for (const char* name : {"twin", "model", "glibc"}) {
    std::string row = std::string("side ") + name + ": 64-op Programs";
    benchmark::RegisterBenchmark((row + "/run").c_str(), run_side, std::string(name), size_t{64})
        ->UseRealTime();
    describe_rate(row, "run", name == std::string("glibc") ? 20000 : 0, "Programs/s");
  }
  // The same Programs on the runner's two ways of isolating them.
  const std::string modes = "glibc runner: fork vs persistent, 64 ops";
  benchmark::RegisterBenchmark((modes + "/fork").c_str(), run_side, std::string("glibc-fork"),
                               size_t{64})
      ->UseRealTime();
  benchmark::RegisterBenchmark((modes + "/persistent").c_str(), run_side, std::string("glibc"),
                               size_t{64})
      ->UseRealTime();
  describe_ratio(modes, "fork", "persistent", 0, "-");
  for (size_t ops : {16, 64, 256}) {
    for (const auto* target : {"twin_vs_model", "twin_vs_glibc"}) {
      std::string row = std::string("harness ") + target + ": " + std::to_string(ops) + " ops";
      benchmark::RegisterBenchmark((row + "/exec").c_str(), run_harness, std::string(target), ops)
          ->UseRealTime();
      double goal = ops != 64 ? 0 : (target == std::string("twin_vs_model") ? 100000 : 20000);
      describe_rate(row, "exec", goal, "execs/s");
    }
  }
  return true;
}

const bool registered = register_all();

}  // namespace
}  // namespace heaptwin::bench
