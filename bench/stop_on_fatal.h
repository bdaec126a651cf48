// Benchmarks never corrupt the heap: any fatal condition of the twin is a bug worth stopping for.
#ifndef HEAPTWIN_BENCH_STOP_ON_FATAL_H_
#define HEAPTWIN_BENCH_STOP_ON_FATAL_H_

#include <cstdio>
#include <cstdlib>

#include "allocator/fatal.h"

namespace heaptwin::bench {

class StopOnFatal : public alloc::FatalHandler {
 public:
  [[noreturn]] void abort_with(const char* message) override { stop("aborted", message); }
  [[noreturn]] void fault(uint64_t) override { stop("faulted", ""); }
  [[noreturn]] void hang() override { stop("hung", ""); }
  [[noreturn]] void unmodelled(const char* why) override { stop("left its model", why); }

 private:
  [[noreturn]] static void stop(const char* what, const char* message) {
    std::fprintf(stderr, "the twin %s during a benchmark %s\n", what, message);
    std::abort();
  }
};

}  // namespace heaptwin::bench

#endif  // HEAPTWIN_BENCH_STOP_ON_FATAL_H_
