// Fuzz target twin_vs_glibc: the twin against real glibc: outcomes and the whole arena after every op.
#include <cstddef>
#include <cstdint>

#include "fuzz/differential.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const heaptwin::fuzz::TargetConfig& config = *heaptwin::fuzz::find_target("twin_vs_glibc");
  return heaptwin::fuzz::run_differential(config, data, size);
}
