// Replay rows of ./heaptwin bench: a Program's calls on the twin and on this process's glibc.
#ifndef HEAPTWIN_BENCH_REPLAY_H_
#define HEAPTWIN_BENCH_REPLAY_H_

#include <string>

#include "program/op.h"

namespace heaptwin::bench {

// Adds the row "twin vs glibc: trace <name>" replaying `program` (a recorded trace).
void register_trace(const std::string& name, const Program& program);

}  // namespace heaptwin::bench

#endif  // HEAPTWIN_BENCH_REPLAY_H_
