// model_speed: what the model side and the twin's block rules cost per 64-op fuzz input, the two
// parts of a twin_vs_model execution that are neither the twin nor its heap checker (issue 14).
//
//   bazel run -c opt //bench:model_speed -- [--inputs N] [--reps R] [--ops K] [--only PART]
//
// PART: model (ModelSide::run), blocks (the twin with the block rules and contents, minus the
// twin alone), harness (the executor's twin_vs_model judgement), or all; twin and twin+blocks
// run one of the two blocks runs alone. Under callgrind, run
// with --only model or --only blocks and --toggle-collect on the function of interest.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_inputs.h"
#include "oracle/executor.h"
#include "oracle/side.h"
#include "program/fuzz_encoding.h"

namespace heaptwin::bench {
namespace {

struct Args {
  size_t inputs = 200;
  size_t reps = 20;
  size_t ops = 64;
  std::string only = "all";
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--inputs"))
      a.inputs = std::strtoul(argv[i + 1], nullptr, 0);
    else if (!std::strcmp(argv[i], "--reps"))
      a.reps = std::strtoul(argv[i + 1], nullptr, 0);
    else if (!std::strcmp(argv[i], "--ops"))
      a.ops = std::strtoul(argv[i + 1], nullptr, 0);
    else if (!std::strcmp(argv[i], "--only"))
      a.only = argv[i + 1];
    else {
      std::fprintf(stderr, "model_speed: unknown argument %s\n", argv[i]);
      std::exit(2);
    }
  }
  return a;
}

long minor_faults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Runs every Program `reps` times on `side` and returns microseconds per Program (and in
// *faults, page faults per Program: on this machine a fault costs ~10 us).
double time_side(Side* side, const std::vector<Program>& programs, const RunOptions& options,
                 size_t reps, double* faults = nullptr) {
  size_t sink = 0;
  const long f0 = minor_faults();
  const auto t0 = std::chrono::steady_clock::now();
  for (size_t r = 0; r < reps; ++r) {
    for (const Program& p : programs) sink += side->run(p, options).outcomes.size();
  }
  const double s = seconds_since(t0);
  if (sink == 0) std::fprintf(stderr, "(no outcomes)\n");
  const double runs = static_cast<double>(reps * programs.size());
  if (faults) *faults = static_cast<double>(minor_faults() - f0) / runs;
  return s * 1e6 / runs;
}

double time_harness(Executor* executor, const std::vector<Program>& programs, size_t reps) {
  size_t findings = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (size_t r = 0; r < reps; ++r) {
    for (const Program& p : programs) findings += executor->judge(p).finding();
  }
  const double s = seconds_since(t0);
  if (findings) std::fprintf(stderr, "  (%zu findings)\n", findings);
  return s * 1e6 / static_cast<double>(reps * programs.size());
}

int run(const Args& args) {
  const JudgeConfig* config = fuzz_target_config("twin_vs_model");
  DecodeOptions decode = config->decode;
  decode.max_ops = args.ops;
  std::mt19937_64 rng(args.ops);
  std::vector<Program> programs;
  while (programs.size() < args.inputs) {
    const std::string bytes = random_input(rng, args.ops, decode, uint64_t{1} << 20);
    if (!bytes.empty()) programs.push_back(decode_fuzz(bytes, decode));
  }
  std::printf("%zu random %zu-op inputs, each run %zu times\n", programs.size(), args.ops,
              args.reps);
  std::string error;
  const bool all = args.only == "all";
  if (all || args.only == "model") {
    auto model = make_side("model", &error);
    const double us = time_side(model.get(), programs, RunOptions{}, args.reps);
    std::printf("model side:          %8.2f us per Program, %8.0f Programs/s, %6.1f ns per op\n",
                us, 1e6 / us, us * 1e3 / static_cast<double>(args.ops));
  }
  if (all || args.only == "blocks") {
    auto twin = make_side("twin", &error);
    RunOptions bare;
    RunOptions blocks;
    blocks.check_contents = true;  // the block rules and the contents, no heap checker
    double faults_without = 0, faults_with = 0;
    const double without = time_side(twin.get(), programs, bare, args.reps, &faults_without);
    const double with = time_side(twin.get(), programs, blocks, args.reps, &faults_with);
    std::printf("twin alone:          %8.2f us per Program, %.2f page faults\n", without,
                faults_without);
    std::printf(
        "twin + block rules:  %8.2f us per Program, %.2f page faults (block rules: %.2f us,"
        " %.1f ns per op)\n",
        with, faults_with, with - without, (with - without) * 1e3 / static_cast<double>(args.ops));
  }
  // One of the two runs alone, for callgrind (--toggle-collect='*TwinSide::run*').
  if (args.only == "twin" || args.only == "twin+blocks") {
    auto twin = make_side("twin", &error);
    RunOptions options;
    options.check_contents = args.only == "twin+blocks";
    const double us = time_side(twin.get(), programs, options, args.reps);
    std::printf("%-20s %8.2f us per Program\n", (args.only + ":").c_str(), us);
  }
  if (all || args.only == "harness") {
    auto executor = Executor::create(*config, &error);
    if (!executor) {
      std::fprintf(stderr, "model_speed: %s\n", error.c_str());
      return 2;
    }
    const double us = time_harness(executor.get(), programs, args.reps);
    std::printf("twin_vs_model judge: %8.2f us per Program, %8.0f execs/s\n", us, 1e6 / us);
  }
  return 0;
}

}  // namespace
}  // namespace heaptwin::bench

int main(int argc, char** argv) { return heaptwin::bench::run(heaptwin::bench::parse(argc, argv)); }
