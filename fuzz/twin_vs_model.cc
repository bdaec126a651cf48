// Fuzz target twin_vs_model: the twin and the reference model in process: the fastest target.
#include <cstddef>
#include <cstdint>

#include "fuzz/differential.h"

namespace {

const heaptwin::fuzz::TargetConfig& config() {
  static const heaptwin::fuzz::TargetConfig kConfig = [] {
    heaptwin::fuzz::TargetConfig c{"twin_vs_model", {"twin", "model"}};
    c.snapshots = false;
    c.check_contents = true;  // no glibc here: the twin's memory is compared with nothing
    c.decode.allow_corruption = false;
    c.decode.max_ops = 256;
    return c;
  }();
  return kConfig;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return heaptwin::fuzz::run_differential(config(), data, size);
}
