// Fuzz target twin_vs_model: the twin and the reference model in process: the fastest target.
#include <cstddef>
#include <cstdint>

#include "fuzz/differential.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return heaptwin::fuzz::run_differential("twin_vs_model", data, size);
}

// The sides start before the engine's first input: the first start may build the glibc runner
// (a C compile, seconds on a busy machine), which must not count against the input's timeout.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  heaptwin::fuzz::target_executor("twin_vs_model");
  return 0;
}
