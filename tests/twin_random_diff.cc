// The twin against real glibc on random Programs, judged as twin_vs_glibc judges (the executor).
//   twin_random_diff [--programs N] [--ops N] [--seed S] [--all-ops] [--glibc V | --libc PATH]
//                    [--tunable glibc.malloc.NAME=VALUE]...
// Default: malloc/free Programs (tests/twin_random_programs.h). --all-ops: the model's generator
// over the whole op set (calloc, realloc, the memalign family, usable_size, mallopt, trim).
// Prints the first divergence of each failing Program (and its .heap form), then a summary.
// Exit 0 when every Program agrees.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "oracle/executor.h"
#include "oracle/glibc/glibc_versions.h"
#include "oracle/model/random_programs.h"
#include "program/heap_format.h"
#include "tests/twin_random_programs.h"

int main(int argc, char** argv) {
  using namespace heaptwin;
  uint64_t programs = 10000, seed = 1;
  int ops = 200;
  bool all_ops = false;
  std::string release;                                        // "" the host's
  std::vector<std::pair<std::string, std::string>> tunables;  // GLIBC_TUNABLES on both sides
  for (int i = 1; i < argc; ++i) {
    const bool has_value = i + 1 < argc;
    if (!std::strcmp(argv[i], "--all-ops"))
      all_ops = true;
    else if (!std::strcmp(argv[i], "--programs") && has_value)
      programs = std::strtoull(argv[++i], nullptr, 0);
    else if (!std::strcmp(argv[i], "--ops") && has_value)
      ops = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--seed") && has_value)
      seed = std::strtoull(argv[++i], nullptr, 0);
    else if (!std::strcmp(argv[i], "--glibc") && has_value)
      release = argv[++i];
    else if (!std::strcmp(argv[i], "--tunable") && has_value && std::strchr(argv[i + 1], '=')) {
      const std::string t = argv[++i];
      tunables.emplace_back(t.substr(0, t.find('=')), t.substr(t.find('=') + 1));
    } else if (!std::strcmp(argv[i], "--libc") && has_value) {
      std::string error;
      auto v = use_user_libc(argv[++i], &error);
      if (!v) {
        std::fprintf(stderr, "twin_random_diff: %s\n", error.c_str());
        return 2;
      }
      release = *v;
    } else {
      std::fprintf(stderr,
                   "usage: twin_random_diff [--programs N] [--ops N] [--seed S] [--all-ops] "
                   "[--glibc V | --libc PATH] [--tunable NAME=VALUE]...\n");
      return 2;
    }
  }
  // The twin and real glibc judged as the main fuzz target judges them: outcomes and the arena
  // (digests, full snapshots where they differ), the twin's heap checker.
  JudgeConfig config = *fuzz_target_config("twin_vs_glibc");
  for (std::string& side : config.sides) side = side_for_release(side, release);
  config.tunables = tunables;
  std::string error;
  auto executor = Executor::create(config, &error);
  if (!executor) {
    std::fprintf(stderr, "cannot set up sides: %s\n", error.c_str());
    return 2;
  }
  uint64_t diverged = 0, ops_run = 0;
  auto start = std::chrono::steady_clock::now();
  for (uint64_t n = 0; n < programs; ++n) {
    model::RandomProgramOptions generator;
    generator.ops = ops;
    Program program = all_ops ? model::random_program(seed + n, generator)
                              : testing::random_malloc_free_program(seed + n, ops);
    const Verdict verdict = executor->judge(program);
    if (!verdict.traces.empty()) ops_run += verdict.traces.back().outcomes.size();
    if (verdict.finding()) {
      ++diverged;
      if (diverged <= 5) {
        std::printf("== seed %llu ==\n%s\n%s\n", static_cast<unsigned long long>(seed + n),
                    verdict.report(program).c_str(), print_heap(program).c_str());
      }
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%llu programs x %d ops (seeds %llu..%llu): %llu diverged; %llu ops, %.1f s\n",
              static_cast<unsigned long long>(programs), ops, static_cast<unsigned long long>(seed),
              static_cast<unsigned long long>(seed + programs - 1),
              static_cast<unsigned long long>(diverged), static_cast<unsigned long long>(ops_run),
              secs);
  return diverged == 0 ? 0 : 1;
}
