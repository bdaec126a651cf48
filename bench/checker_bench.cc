// The heap checker's cost per op: a full check of a real glibc heap of ~100 chunks (tcache,
// fastbins, unsorted, small and large bins all in use), copied out of the runner once and then
// checked in process, as a side checking its own heap after every op does.
//
//   bazel run -c opt //bench:checker_bench
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "oracle/glibc/glibc_side.h"
#include "oracle/heap_check.h"
#include "oracle/heap_image.h"
#include "program/heap_format.h"

namespace heaptwin {
namespace {

// 100 chunks: 90 allocations of mixed sizes with guards, every other one freed, then a large
// request that sorts the unsorted bin into small and large bins.
std::string hundred_chunk_program() {
  const char* sizes[] = {"0x18", "0x28", "0x48", "0x88", "0x108", "0x418", "0x458", "0x88", "0x28"};
  std::string s;
  for (int i = 0; i < 90; ++i) s += "c" + std::to_string(i) + " = malloc " + sizes[i % 9] + "\n";
  for (int i = 0; i < 90; i += 2) s += "free c" + std::to_string(i) + "\n";
  return s + "big = malloc 0x2000\n";
}

const HeapImage& hundred_chunk_heap() {
  static const HeapImage image = [] {
    std::string error;
    auto side = make_glibc_side("glibc", &error);
    if (!side) {
      std::fprintf(stderr, "checker_bench: %s\n", error.c_str());
      std::exit(2);
    }
    auto program = parse_heap(hundred_chunk_program(), "bench.heap", &error);
    HeapImage last;
    RunOptions options;
    options.inspect = [&](size_t, const MemoryReader& mem, const HeapLocation& loc,
                          const GlibcLayout& layout) {
      last = HeapImage::capture(mem, loc, layout);
    };
    Trace t = side->run(*program, options);
    if (!t.error.empty() || !check_heap(last, last.loc, last.layout).empty()) {
      std::fprintf(stderr, "checker_bench: the benchmark heap is not clean: %s\n", t.error.c_str());
      std::exit(2);
    }
    return last;
  }();
  return image;
}

void BM_CheckHeap100Chunks(benchmark::State& state) {
  const HeapImage& m = hundred_chunk_heap();
  std::string broken;
  const size_t chunks = walk_chunks(m, m.loc, m.layout, &broken).size();
  for (auto _ : state) {
    auto v = check_heap(m, m.loc, m.layout);
    benchmark::DoNotOptimize(v.data());
  }
  state.counters["chunks"] = static_cast<double>(chunks);
}
BENCHMARK(BM_CheckHeap100Chunks);

// The floor: a heap with one chunk besides the tcache struct and top.
void BM_CheckHeapOneChunk(benchmark::State& state) {
  static const HeapImage image = [] {
    std::string error;
    auto side = make_glibc_side("glibc", &error);
    auto program = parse_heap("a = malloc 0x18\n", "bench.heap", &error);
    HeapImage last;
    RunOptions options;
    options.inspect = [&](size_t, const MemoryReader& mem, const HeapLocation& loc,
                          const GlibcLayout& layout) {
      last = HeapImage::capture(mem, loc, layout);
    };
    side->run(*program, options);
    return last;
  }();
  for (auto _ : state) {
    auto v = check_heap(image, image.loc, image.layout);
    benchmark::DoNotOptimize(v.data());
  }
}
BENCHMARK(BM_CheckHeapOneChunk);

}  // namespace
}  // namespace heaptwin
