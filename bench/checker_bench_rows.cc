// The heap checker's cost against heap size: one full check of a twin heap holding 10, 100,
// 1,000 and 10,000 chunks (half of them free, in every kind of bin), beside the cost of one op of
// the twin on the same Program. The ratio is what checking after every op multiplies an op by.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "bench/table.h"
#include "oracle/heap_check.h"
#include "oracle/heap_image.h"
#include "oracle/side.h"
#include "program/heap_format.h"

namespace heaptwin::bench {
namespace {

// `chunks` allocations of mixed sizes; every other one freed (tcache, fastbins, then the unsorted
// bin), and a large request that sorts the unsorted bin into small and large bins.
Program program_with(int chunks) {
  static const char* sizes[] = {"0x18", "0x28", "0x48", "0x88", "0x108", "0x418", "0x458", "0x88", "0x28"};
  std::string s;
  // Slots are reused in pairs: a kept chunk and a freed one; 4096 slots would not hold 10,000.
  for (int i = 0; i < chunks; ++i) {
    std::string slot = (i % 2 == 0 ? "f" : "k") + std::to_string(i % 4000);
    s += slot + " = malloc " + sizes[i % 9] + "\n";
    if (i % 2 == 0 && i >= 2) s += "free f" + std::to_string((i - 2) % 4000) + "\n";
  }
  s += "big = malloc 0x2000\n";
  std::string error;
  auto p = parse_heap(s, "bench.heap", &error);
  if (!p) {
    std::fprintf(stderr, "checker bench: %s\n", error.c_str());
    std::exit(2);
  }
  return *p;
}

Side& twin() {
  static std::unique_ptr<Side> side = [] {
    std::string error;
    auto s = make_side("twin", &error);
    if (!s) {
      std::fprintf(stderr, "checker bench: %s\n", error.c_str());
      std::exit(2);
    }
    return s;
  }();
  return *side;
}

const HeapImage& heap_with(int chunks) {
  static std::map<int, HeapImage> images;
  auto it = images.find(chunks);
  if (it != images.end()) return it->second;
  HeapImage last;
  RunOptions options;
  const size_t last_op = program_with(chunks).ops.size() - 1;
  options.inspect = [&](size_t op, const MemoryReader& mem, const HeapLocation& loc,
                        const GlibcLayout& layout) {
    if (op == last_op) last = HeapImage::capture(mem, loc, layout);
  };
  const Program p = program_with(chunks);
  Trace t = twin().run(p, options);
  if (!t.error.empty() || !check_heap(last, last.loc, last.layout).empty()) {
    std::fprintf(stderr, "checker bench: the %d-chunk heap is not clean\n", chunks);
    std::exit(2);
  }
  return images.emplace(chunks, std::move(last)).first->second;
}

void run_check(benchmark::State& state, int chunks) {
  const HeapImage& image = heap_with(chunks);
  for (auto _ : state) {
    auto v = check_heap(image, image.loc, image.layout);
    benchmark::DoNotOptimize(v.data());
  }
}

// ns per op of the twin on the same Program, no checks: the unit the check is compared with.
void run_ops(benchmark::State& state, int chunks) {
  const Program p = program_with(chunks);
  RunOptions options;
  for (auto _ : state) {
    Trace t = twin().run(p, options);
    benchmark::DoNotOptimize(t.outcomes.data());
  }
  state.counters["units"] = static_cast<double>(p.ops.size());
}

bool register_all() {
  for (int chunks : {10, 100, 1000, 10000}) {
    const std::string row = "checker: " + std::to_string(chunks) + " chunks";
    benchmark::RegisterBenchmark((row + "/check").c_str(), run_check, chunks)->UseRealTime();
    benchmark::RegisterBenchmark((row + "/twin op").c_str(), run_ops, chunks)->UseRealTime();
    describe_ratio(row, "check", "twin op", 0, "one full check / one twin op (checking every op)");
  }
  return true;
}

const bool registered = register_all();

}  // namespace
}  // namespace heaptwin::bench
