// Fuzz target twin_vs_glibc: the twin against real glibc: outcomes and the whole arena after every op.
#include <cstddef>
#include <cstdint>

#include "fuzz/differential.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return heaptwin::fuzz::run_differential("twin_vs_glibc", data, size);
}
