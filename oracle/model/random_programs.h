// Random non-corrupting Programs for agreement runs between the model and real glibc: mallocs of
// every size class (tcache, fastbin, small, large, mmapped), calloc, realloc, frees of live slots
// only, the memalign family up to page alignment, malloc_usable_size, now and then a mallopt or
// a trim. Deterministic in its seed.
#ifndef HEAPTWIN_ORACLE_MODEL_RANDOM_PROGRAMS_H_
#define HEAPTWIN_ORACLE_MODEL_RANDOM_PROGRAMS_H_

#include <cstdint>

#include "program/op.h"

namespace heaptwin::model {

struct RandomProgramOptions {
  int ops = 200;
  int slots = 24;
  bool mallopt = true;  // include mallopt/trim ops
};

Program random_program(uint64_t seed, const RandomProgramOptions& options = {});

}  // namespace heaptwin::model

#endif  // HEAPTWIN_ORACLE_MODEL_RANDOM_PROGRAMS_H_
