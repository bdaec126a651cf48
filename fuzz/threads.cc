// Fuzz target threads: format v3's threads (tN: ops): the twin against real glibc, each op on the
// thread it names (docs/threads.md), outcomes and main_arena after every op.
#include <cstddef>
#include <cstdint>

#include "fuzz/differential.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return heaptwin::fuzz::run_differential("threads", data, size);
}

// The sides start before the engine's first input: the first start may build the glibc runner
// (a C compile, seconds on a busy machine), which must not count against the input's timeout.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  heaptwin::fuzz::target_executor("threads");
  return 0;
}
