// Fuzz target attack: Programs with write8 corruption: the twin and real glibc must agree on every
// outcome, abort message and fault, and the twin must never crash the fuzzer.
#include <cstddef>
#include <cstdint>

#include "fuzz/differential.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return heaptwin::fuzz::run_differential("attack", data, size);
}
