// glibc raises its mmap threshold (and with it the trim threshold, to twice as much) each time
// it frees a bigger mmapped chunk, so what this process freed before (earlier benchmarks, a
// parsed trace's vectors) would decide where a benchmark's big blocks go and how often the heap
// shrinks, while the twin starts at the defaults: glibc measured 5x faster after other rows
// than alone. Every twin-vs-glibc benchmark fixes both thresholds at the defaults on both sides.
#ifndef HEAPTWIN_BENCH_SAME_POLICY_H_
#define HEAPTWIN_BENCH_SAME_POLICY_H_

#include <malloc.h>

#include "allocator/allocator.h"

namespace heaptwin::bench {

inline constexpr int kMmapThreshold = 128 * 1024, kTrimThreshold = 128 * 1024;

inline void fix_thresholds() {
  ::mallopt(M_MMAP_THRESHOLD, kMmapThreshold);
  ::mallopt(M_TRIM_THRESHOLD, kTrimThreshold);
}

inline void fix_thresholds(alloc::Allocator& twin) {
  twin.mallopt(M_MMAP_THRESHOLD, kMmapThreshold);
  twin.mallopt(M_TRIM_THRESHOLD, kTrimThreshold);
}

}  // namespace heaptwin::bench

#endif  // HEAPTWIN_BENCH_SAME_POLICY_H_
