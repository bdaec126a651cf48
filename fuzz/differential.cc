#include "fuzz/differential.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>

#include "program/heap_format.h"

namespace heaptwin::fuzz {

Executor& target_executor(const char* target) {
  static std::map<std::string, std::unique_ptr<Executor>> executors;
  std::unique_ptr<Executor>& e = executors[target];
  if (!e) {
    const JudgeConfig* config = fuzz_target_config(target);
    if (config == nullptr) {
      std::fprintf(stderr, "%s: not a differential fuzz target\n", target);
      std::exit(2);
    }
    std::string error;
    e = Executor::create(*config, &error);
    if (!e) {
      std::fprintf(stderr, "%s: cannot start the sides: %s\n", target, error.c_str());
      std::exit(2);
    }
  }
  return *e;
}

int run_differential(const char* target, const uint8_t* data, size_t size) {
  Executor& executor = target_executor(target);
  const Program program = decode_fuzz(data, size, executor.config().decode);
  const Verdict verdict = executor.judge(program);
  if (!verdict.finding()) return 0;
  std::fprintf(stderr, "\n==== heaptwin %s: finding\n%s==== the input as a .heap script:\n%s====\n",
               target, verdict.report(program).c_str(), print_heap(program).c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace heaptwin::fuzz
