// Random fuzz inputs of an exact op count for the benchmarks (the harness rows of ./heaptwin
// bench and the inputs bench/engines.sh replays, made by //bench:fuzz_inputs).
#ifndef HEAPTWIN_BENCH_BENCH_INPUTS_H_
#define HEAPTWIN_BENCH_BENCH_INPUTS_H_

#include <cstdint>
#include <random>
#include <string>

#include "program/fuzz_encoding.h"
#include "program/op.h"

namespace heaptwin::bench {

// What a Program asks for in all, requests refused at once (>= 1 TiB) aside.
uint64_t requested_bytes(const Program& program);

// Random bytes (byte 0 the format) that `decode` reads as exactly `ops` ops, drawn op by op: an
// op is drawn again when the Program up to it would ask for more than `budget` bytes in all or
// be one the executor refuses to run (refused_before_running). The result is the
// shortest such prefix (the last op cut short after its first byte); "" when some op could not
// be drawn. Why a budget: uniform bytes ask for ~1.5 MiB per op (a quarter of all sizes are
// 64 KiB..4 MiB), so whole random 256-op strings almost never stay small, and such Programs
// measure memset and page faults, the same on every side, not the allocators.
std::string random_input(std::mt19937_64& rng, size_t ops, const DecodeOptions& decode,
                         uint64_t budget);

}  // namespace heaptwin::bench

#endif  // HEAPTWIN_BENCH_BENCH_INPUTS_H_
