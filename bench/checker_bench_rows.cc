// The heap checker's cost against heap size, on twin heaps holding 10, 100, 1,000 and 10,000
// chunks (half of them free, in every kind of bin):
//  "checker: N chunks"         one op of the twin followed by the incremental check of what it
//                              touched, against the op alone (a bare Allocator: a few ns).
//  "checker: flat"             the same checked op on 10,000 chunks against 10: must stay <= 2.
//  "checker (full): N chunks"  one full check against one op: what the full check after every
//                              op cost (the incremental check runs it at the end of a Program
//                              and every --full-check-every ops).
//  "checker: 1,000,000 ops"    the twin side (what heaptwin run --on twin runs) on a 1,000,000-op
//                              Program keeping ~4,000 blocks live, with its checks (the heap
//                              checker and the block rules, as heaptwin run) against without:
//                              the target is <= 3; and with the heap checker only.
// The ops of the first rows are a steady mix over the prepared heap: malloc then free of sizes
// from every class (tcache, fastbin, small, large), each checked.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "allocator/allocator.h"
#include "allocator/simulated_memory.h"
#include "bench/long_program.h"
#include "bench/stop_on_fatal.h"
#include "bench/table.h"
#include "oracle/heap_check.h"
#include "oracle/heap_check_incremental.h"
#include "oracle/heap_image.h"
#include "oracle/side.h"
#include "oracle/twin_side.h"
#include "program/heap_format.h"

namespace heaptwin::bench {
namespace {

// A twin whose heap holds `chunks` chunks: allocations of mixed sizes, every other one freed
// (tcache, fastbins, then the unsorted bin), and a large request that sorts the unsorted bin into
// small and large bins.
class PreparedTwin {
 public:
  explicit PreparedTwin(int chunks)
      : twin_(&memory_, static_cast<alloc::LibcData*>(memory_.data()), &fatal_,
              alloc::GlibcProfile::glibc_2_36()),
        reader_(memory_),
        layout_(*glibc_layout("2.36")) {
    static const uint64_t sizes[] = {0x18, 0x28, 0x48, 0x88, 0x108, 0x418, 0x458, 0x88, 0x28};
    alloc::Addr prev = 0;
    for (int i = 0; i < chunks; ++i) {
      const alloc::Addr p = twin_.malloc(sizes[i % 9]).raw();
      if (i % 2 == 0) {
        if (prev != 0) twin_.free(alloc::UserAddr{prev});
        prev = p;
      }
    }
    twin_.malloc(0x2000);
    if (!check_heap(reader_, loc(), layout_).empty()) {
      std::fprintf(stderr, "checker bench: the %d-chunk heap is not clean\n", chunks);
      std::exit(2);
    }
  }

  HeapLocation loc() {
    HeapLocation l;
    l.heap_base = memory_.heap_base();
    l.heap_end = memory_.brk();
    l.arena = twin_.main_arena();
    l.mp = reinterpret_cast<uint64_t>(twin_.libc().mp);
    l.global_max_fast = reinterpret_cast<uint64_t>(twin_.libc().global_max_fast);
    l.tcache = twin_.tcache();
    return l;
  }

  // One op of the steady mix: malloc of the next size, or free of what the last malloc returned.
  void op() {
    static const uint64_t mix[] = {0x18, 0x418, 0x88, 0x28, 0x1008, 0x48, 0x108, 0x458};
    if (held_ == 0) {
      held_ = twin_.malloc(mix[next_++ % (sizeof mix / sizeof mix[0])]).raw();
    } else {
      twin_.free(alloc::UserAddr{held_});
      held_ = 0;
    }
  }

  // Checks after every op from now on (a full check first builds the incremental state).
  void start_checking() {
    twin_.set_write_log(checker_.write_log());
    if (!checker_.full_check(memory_, loc(), layout_).empty()) std::exit(2);
  }
  bool check() { return checker_.check_op(memory_, loc(), layout_, 1).empty(); }
  bool full_check() { return check_heap(reader_, loc(), layout_, CheckOptions{1}).empty(); }
  const check::IncrementalStats& stats() const { return checker_.stats(); }

 private:
  alloc::SimulatedMemory memory_;
  StopOnFatal fatal_;
  alloc::Allocator twin_;
  SimulatedMemoryReader reader_;
  GlibcLayout layout_;
  IncrementalHeapChecker checker_;
  alloc::Addr held_ = 0;
  uint64_t next_ = 0;
};

// ns per op, the incremental check after each.
void run_checked_ops(benchmark::State& state, int chunks) {
  PreparedTwin t(chunks);
  t.start_checking();
  for (auto _ : state) {
    t.op();
    if (!t.check()) {
      state.SkipWithError("the incremental check found a violation");
      break;
    }
  }
  if (t.stats().full > 1) state.SkipWithError("a check fell back to a full one");
}

// ns per op, no check.
void run_ops(benchmark::State& state, int chunks) {
  PreparedTwin t(chunks);
  for (auto _ : state) t.op();
}

// ns per full check of the prepared heap.
void run_full_check(benchmark::State& state, int chunks) {
  PreparedTwin t(chunks);
  for (auto _ : state) benchmark::DoNotOptimize(t.full_check());
}

// The long Program (bench/long_program.h), made once.
const Program& long_program_1m() {
  static const Program program = long_program(1000000, 4000, 1);
  return program;
}

// ns per op of the twin side on the long Program: checks 0 none, 1 the heap checker only, 3 the
// heap checker and the block rules (what heaptwin run does).
void run_long_program(benchmark::State& state, int checks) {
  std::string error;
  auto twin = make_side("twin", &error);
  if (!twin) {
    state.SkipWithError(error.c_str());
    return;
  }
  const Program& p = long_program_1m();
  RunOptions options;
  options.check_heap = (checks & 1) != 0;
  options.check_contents = (checks & 2) != 0;
  for (auto _ : state) {
    Trace t = twin->run(p, options);
    if (!t.violation.empty() || t.outcomes.size() != p.ops.size()) {
      state.SkipWithError(("the long Program did not run clean: " + t.violation + t.error).c_str());
      break;
    }
  }
  state.counters["units"] = static_cast<double>(p.ops.size());
}

bool register_all() {
  for (int chunks : {10, 100, 1000, 10000}) {
    const std::string row = "checker: " + std::to_string(chunks) + " chunks";
    benchmark::RegisterBenchmark((row + "/checked op").c_str(), run_checked_ops, chunks)
        ->UseRealTime();
    benchmark::RegisterBenchmark((row + "/twin op").c_str(), run_ops, chunks)->UseRealTime();
    describe_ratio(row, "checked op", "twin op", 0, "one op + the incremental check / one bare op");
    const std::string full = "checker (full): " + std::to_string(chunks) + " chunks";
    benchmark::RegisterBenchmark((full + "/check").c_str(), run_full_check, chunks)->UseRealTime();
    benchmark::RegisterBenchmark((full + "/twin op").c_str(), run_ops, chunks)->UseRealTime();
    describe_ratio(full, "check", "twin op", 0, "one full check / one twin op");
  }
  benchmark::RegisterBenchmark("checker: flat/10,000 chunks", run_checked_ops, 10000)
      ->UseRealTime();
  benchmark::RegisterBenchmark("checker: flat/10 chunks", run_checked_ops, 10)->UseRealTime();
  describe_ratio("checker: flat", "10,000 chunks", "10 chunks", 2,
                 "op + incremental check: 10,000 chunks / 10 chunks <= 2 (flat)");
  const std::string longrow = "checker: 1,000,000 ops";
  const std::string heaprow = "checker: 1,000,000 ops, heap checker only";
  // The argument is run_long_program's checks (0: none). One iteration is seconds: in ms.
  const std::pair<std::string, int> long_rows[] = {{longrow + "/checked", 3},
                                                   {longrow + "/unchecked", 0},
                                                   {heaprow + "/checked", 1},
                                                   {heaprow + "/unchecked", 0}};
  for (const auto& [row, checks] : long_rows) {
    benchmark::RegisterBenchmark(row.c_str(), run_long_program, checks)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  describe_ratio(longrow, "checked", "unchecked", 3,
                 "the twin side with its checks (heap checker, block rules) / without, ~4,000 live "
                 "blocks (issue 14: <= 3)");
  describe_ratio(heaprow, "checked", "unchecked", 0,
                 "the twin side with the heap checker only / without");
  return true;
}

const bool registered = register_all();

}  // namespace
}  // namespace heaptwin::bench
