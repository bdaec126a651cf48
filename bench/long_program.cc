// Writes a long random malloc/free Program (bench/long_program.h) as a .heap script:
//   bazel run -c opt //bench:long_program -- OPS LIVE [SEED] > long.heap
//   heaptwin run long.heap --on twin > /dev/null      (and with --no-check)
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bench/long_program.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: long_program OPS LIVE [SEED] > FILE.heap\n");
    return 2;
  }
  const uint64_t seed = argc > 3 ? std::strtoull(argv[3], nullptr, 0) : 1;
  heaptwin::bench::long_program(std::atol(argv[1]), std::atol(argv[2]), seed, [](const std::string& piece) {
    std::fwrite(piece.data(), 1, piece.size(), stdout);
  });
  return 0;
}
