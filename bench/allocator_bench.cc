// The twin against real glibc, in process, on identical malloc/free streams: ns per op.
// Real glibc is this process's own malloc; the twin runs over simulated memory with no checker.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "allocator/allocator.h"
#include "allocator/simulated_memory.h"
#include "bench/same_policy.h"
#include "bench/stop_on_fatal.h"
#include "bench/table.h"
#include "bench/workloads.h"

namespace heaptwin::bench {
namespace {

void run_glibc(benchmark::State& state, const Workload& w) {
  fix_thresholds();
  std::vector<void*> slots(w.slots, nullptr);
  for (auto _ : state) {
    for (const StreamOp& op : w.ops) {
      if (op.is_free) {
        std::free(slots[op.slot]);
      } else {
        slots[op.slot] = std::malloc(op.size);
        benchmark::DoNotOptimize(slots[op.slot]);
      }
    }
    benchmark::ClobberMemory();
  }
  state.counters["units"] = static_cast<double>(w.ops.size());
}

void run_twin(benchmark::State& state, const Workload& w) {
  alloc::SimulatedMemory memory;
  StopOnFatal fatal;
  alloc::Allocator twin(&memory, static_cast<alloc::LibcData*>(memory.data()), &fatal,
                        alloc::GlibcProfile{});
  fix_thresholds(twin);
  std::vector<alloc::Addr> slots(w.slots, 0);
  for (auto _ : state) {
    for (const StreamOp& op : w.ops) {
      if (op.is_free) {
        twin.free(alloc::UserAddr{slots[op.slot]});
      } else {
        slots[op.slot] = twin.malloc(op.size).raw();
        benchmark::DoNotOptimize(slots[op.slot]);
      }
    }
    benchmark::ClobberMemory();
  }
  state.counters["units"] = static_cast<double>(w.ops.size());
}

bool register_all() {
  static const std::vector<Workload> workloads = standard_workloads();
  for (const Workload& w : workloads) {
    std::string row = "twin vs glibc: " + w.name;
    benchmark::RegisterBenchmark((row + "/glibc").c_str(), run_glibc, w)->UseRealTime();
    benchmark::RegisterBenchmark((row + "/twin").c_str(), run_twin, w)->UseRealTime();
    describe_ratio(row, "twin", "glibc", 1.05, "twin/glibc <= 1.05");
  }
  return true;
}

const bool registered = register_all();

}  // namespace
}  // namespace heaptwin::bench
