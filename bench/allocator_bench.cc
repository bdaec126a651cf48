// The twin against real glibc, in process, on identical malloc/free streams: ns per op.
// Real glibc is this process's own malloc; the twin runs over simulated memory with no checker.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "allocator/allocator.h"
#include "allocator/simulated_memory.h"
#include "bench/table.h"
#include "bench/workloads.h"

namespace heaptwin::bench {
namespace {

// Benchmarks never corrupt the heap: any fatal condition is a bug worth stopping for.
class StopOnFatal : public alloc::FatalHandler {
 public:
  [[noreturn]] void abort_with(const char* message) override {
    std::fprintf(stderr, "twin aborted during a benchmark: %s\n", message);
    std::abort();
  }
  [[noreturn]] void fault(uint64_t address) override {
    std::fprintf(stderr, "twin faulted during a benchmark at 0x%llx\n",
                 static_cast<unsigned long long>(address));
    std::abort();
  }
  [[noreturn]] void hang() override { std::abort(); }
  [[noreturn]] void unmodelled(const char* why) override {
    std::fprintf(stderr, "twin left its model during a benchmark: %s\n", why);
    std::abort();
  }
};

void run_glibc(benchmark::State& state, const Workload& w) {
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
