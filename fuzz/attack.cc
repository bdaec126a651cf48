// Fuzz target attack: Programs with write8 corruption: the twin and real glibc must agree on every
// outcome, abort message and fault, and the twin must never crash the fuzzer.
#include <cstddef>
#include <cstdint>

#include "fuzz/differential.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return heaptwin::fuzz::run_differential("attack", data, size);
}

// The sides start before the engine's first input: the first start may build the glibc runner
// (a C compile, seconds on a busy machine), which must not count against the input's timeout.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  heaptwin::fuzz::target_executor("attack");
  return 0;
}
