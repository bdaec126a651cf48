// Fuzz target twin_vs_model: the twin and the reference model in process: the fastest target.
#include <cstddef>
#include <cstdint>

#include "fuzz/differential.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return heaptwin::fuzz::run_differential("twin_vs_model", data, size);
}
