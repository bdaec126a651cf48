// Fuzz target twin_vs_glibc: the twin against real glibc: outcomes and the whole arena after every
// op.
#include <cstddef>
#include <cstdint>

#include "fuzz/differential.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return heaptwin::fuzz::run_differential("twin_vs_glibc", data, size);
}

// The sides start before the engine's first input: the first start may build the glibc runner
// (a C compile, seconds on a busy machine), which must not count against the input's timeout.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  heaptwin::fuzz::target_executor("twin_vs_glibc");
  return 0;
}
