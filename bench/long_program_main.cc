// Writes a long Program (bench/long_program.h) as a .heap script, for timing the commands on it:
//   bazel run -c opt //bench:long_program -- OPS LIVE [SEED] > long.heap
//   heaptwin run long.heap --on twin > /dev/null        (and with --no-check)
//   heaptwin diff long.heap --sides twin,glibc
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bench/long_program.h"
#include "program/heap_format.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: long_program OPS LIVE [SEED] > FILE.heap\n");
    return 2;
  }
  const uint64_t seed = argc > 3 ? std::strtoull(argv[3], nullptr, 0) : 1;
  const heaptwin::Program p = heaptwin::bench::long_program(
      std::strtoull(argv[1], nullptr, 0), std::strtoull(argv[2], nullptr, 0), seed);
  const std::string text = heaptwin::print_heap(p);
  return std::fwrite(text.data(), 1, text.size(), stdout) == text.size() ? 0 : 1;
}
