// The shared body of the differential fuzz targets: bytes -> Program (the target's decoding) ->
// the target's executor (oracle/executor.h) -> on a finding, a short report (first differing op,
// both outcomes, the input as a .heap script) and abort, so the engine keeps the input.
#ifndef HEAPTWIN_FUZZ_DIFFERENTIAL_H_
#define HEAPTWIN_FUZZ_DIFFERENTIAL_H_

#include <cstddef>
#include <cstdint>

#include "oracle/executor.h"

namespace heaptwin::fuzz {

// The executor of a differential target ("twin_vs_glibc", "twin_vs_model", "attack"), made on
// first use and kept for the process (the glibc runner is a server; the twin resets in place).
// Exits with status 2 when the target is unknown or a side cannot start.
Executor& target_executor(const char* target);

// Runs one input. Returns 0, or aborts with a report.
int run_differential(const char* target, const uint8_t* data, size_t size);

}  // namespace heaptwin::fuzz

#endif  // HEAPTWIN_FUZZ_DIFFERENTIAL_H_
