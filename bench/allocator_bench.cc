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
#include "bench/stop_on_fatal.h"
#include "bench/table.h"
#include "bench/workloads.h"

namespace heaptwin::bench {
namespace {

// glibc's mmap and trim thresholds move with what this process freed before (each bigger
// mmapped chunk freed raises them), the twin's start at the defaults: both sides fix them at
// the defaults, so both run the same policy whatever ran before.
constexpr int kMmapThreshold = 128 * 1024, kTrimThreshold = 128 * 1024;

void run_glibc(benchmark::State& state, const Workload& w) {
  ::mallopt(M_MMAP_THRESHOLD, kMmapThreshold);
  ::mallopt(M_TRIM_THRESHOLD, kTrimThreshold);
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
  twin.mallopt(M_MMAP_THRESHOLD, kMmapThreshold);
  twin.mallopt(M_TRIM_THRESHOLD, kTrimThreshold);
  std::vector<alloc::Addr> slots(w.slots, 0);
  for (auto _ : state) {
    for (const StreamOp& op : w.ops) {
      if (op.is_free) {
        twin.free(slots[op.slot]);
      } else {
        slots[op.slot] = twin.malloc(op.size);
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
