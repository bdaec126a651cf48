// Fuzz target attack: Programs with write8 corruption: the twin and real glibc must agree on every
// outcome, abort message and fault, and the twin must never crash the fuzzer.
#include <cstddef>
#include <cstdint>

#include "fuzz/differential.h"

namespace {

const heaptwin::fuzz::TargetConfig& config() {
  static const heaptwin::fuzz::TargetConfig kConfig = [] {
    heaptwin::fuzz::TargetConfig c{"attack", {"twin", "glibc"}};
    c.snapshots = false;
    c.decode.allow_corruption = true;
    c.decode.max_ops = 256;
    return c;
  }();
  return kConfig;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return heaptwin::fuzz::run_differential(config(), data, size);
}
