#include "fuzz/differential.h"

#include <gnu/libc-version.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>

#include "oracle/glibc/glibc_versions.h"
#include "program/heap_format.h"

namespace heaptwin::fuzz {

namespace {

// `heaptwin fuzz --glibc V` / `--libc PATH` reach the target through its environment:
// HEAPTWIN_GLIBC=V, HEAPTWIN_LIBC=PATH (the libc's own release wins). "" for the host's.
// HEAPTWIN_GLIBC=host: the real side is this process's own glibc and the twin follows it.
std::string release_from_environment(const char* target) {
  if (const char* libc = std::getenv("HEAPTWIN_LIBC"); libc && *libc) {
    std::string error;
    auto release = use_user_libc(libc, &error);
    if (!release) {
      std::fprintf(stderr, "%s: HEAPTWIN_LIBC: %s\n", target, error.c_str());
      std::exit(2);
    }
    return *release;
  }
  const char* glibc = std::getenv("HEAPTWIN_GLIBC");
  return glibc ? glibc : "";
}

}  // namespace

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
    JudgeConfig judged = *config;
    const std::string release = release_from_environment(target);
    if (release == "host") {
      // Real glibc stays this process's own, whatever its release, and the twin follows that
      // release: what a ClusterFuzzLite/OSS-Fuzz build sets (.clusterfuzzlite/build.sh), whose
      // image's glibc is not 2.36. A target without a glibc side keeps its sides.
      const auto& sides = judged.sides;
      if (std::find(sides.begin(), sides.end(), "glibc") != sides.end()) {
        for (std::string& side : judged.sides) {
          if (side == "twin") side = side_for_release(side, gnu_get_libc_version());
        }
      }
    } else {
      for (std::string& side : judged.sides) side = side_for_release(side, release);
    }
    e = Executor::create(judged, &error);
    if (!e) {
      std::fprintf(stderr, "%s: cannot start the sides: %s\n", target, error.c_str());
      std::exit(2);
    }
  }
  return *e;
}

int run_differential(const char* target, const uint8_t* data, size_t size) {
  Executor& executor = target_executor(target);
  static const std::string release = side_release(executor.config().sides.front());
  const Program program = decode_input(executor.config(), release, data, size);
  const Verdict verdict = executor.judge(program);
  if (!verdict.finding()) return 0;
  // One line first that says what was found, then the detail.
  std::fprintf(stderr,
               "\n==== heaptwin %s finding: %s\n%s==== the input as a .heap script:\n%s====\n",
               target, verdict.headline(program).c_str(), verdict.report(program).c_str(),
               print_heap(program).c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace heaptwin::fuzz
