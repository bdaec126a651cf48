// Fuzz target twin_vs_model: the twin and the reference model in process: the fastest target.
#include <cstddef>
#include <cstdint>

#include "fuzz/differential.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const heaptwin::fuzz::TargetConfig& config = *heaptwin::fuzz::find_target("twin_vs_model");
  return heaptwin::fuzz::run_differential(config, data, size);
}
