// Synthetic malloc/free op streams for benchmarks: deterministic, balanced (every block is
// freed by the end, so a stream can run again and again in a steady state).
#ifndef HEAPTWIN_BENCH_WORKLOADS_H_
#define HEAPTWIN_BENCH_WORKLOADS_H_

#include <cstdint>
#include <string>
#include <vector>

namespace heaptwin::bench {

struct StreamOp {
  bool is_free;
  uint32_t slot;
  uint64_t size;  // malloc only
};

struct Workload {
  std::string name;
  uint32_t slots;
  std::vector<StreamOp> ops;
};

// tcache-heavy (small sizes, few live), fastbin-heavy (bursts of frees past the tcache's 7),
// large-bin churn (0x400..0x10000, many live), mixed (every size class, mmap included).
std::vector<Workload> standard_workloads();

}  // namespace heaptwin::bench

#endif  // HEAPTWIN_BENCH_WORKLOADS_H_
