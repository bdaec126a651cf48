// The tunable parameters of the policy (glibc's mp_ and global_max_fast), their defaults, and how
// mallopt and GLIBC_TUNABLES change them.
#ifndef HEAPTWIN_ORACLE_MODEL_PARAMS_H_
#define HEAPTWIN_ORACLE_MODEL_PARAMS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "oracle/model/bins.h"

namespace heaptwin::model {

struct Params {
  uint64_t global_max_fast = 0x80;
  uint64_t trim_threshold = 0x20000;
  uint64_t top_pad = 0x20000;
  uint64_t mmap_threshold = 0x20000;
  int32_t n_mmaps_max = 65536;
  bool no_dyn_threshold = false;
  uint64_t arena_test = 8, arena_max = 0;
  int32_t perturb = 0;
  uint64_t tcache_bins = 64;
  uint64_t tcache_max_bytes = 0x408;
  uint64_t tcache_count = 7;
  uint64_t tcache_unsorted_limit = 0;
  PlantedBug bug = PlantedBug::kNone;

  // mallopt(param, value) after the consolidation: glibc's return value.
  int set_by_mallopt(int32_t param, int32_t value);
  // One GLIBC_TUNABLES entry ("glibc.malloc.tcache_count", "0"). False when the model does not
  // know the tunable or its value; the side then has no opinion on the Program.
  bool set_tunable(const std::string& name, const std::string& value);
};

}  // namespace heaptwin::model

#endif  // HEAPTWIN_ORACLE_MODEL_PARAMS_H_
