// A tcache-heavy malloc/free loop on the twin, for counting instructions (the hot path's cost
// does not show in wall time on a shared machine):
//   bazel build -c opt //bench:tcache_loop
//   HEAPTWIN_SIMULATED_GIB=4 valgrind --tool=callgrind bazel-bin/bench/tcache_loop [ROUNDS [N]]
// Each round mallocs N (default 7) blocks of each of 8 tcache sizes and frees them: after the
// first round every call is a tcache hit or put; with N up to 16, N - 7 of each size go
// through the fastbins.
#include <cstdio>
#include <cstdlib>

#include "allocator/allocator.h"
#include "allocator/simulated_memory.h"
#include "bench/stop_on_fatal.h"

int main(int argc, char** argv) {
  using namespace heaptwin::alloc;
  const long rounds = argc > 1 ? std::atol(argv[1]) : 100000;
  SimulatedMemory memory;
  heaptwin::bench::StopOnFatal fatal;
  Allocator twin(&memory, static_cast<LibcData*>(memory.data()), &fatal, GlibcProfile{});
  const int n = argc > 2 ? std::atoi(argv[2]) : 7;
  if (n < 1 || n > 16) return 2;
  Addr blocks[8][16];
  uint64_t sum = 0;
  for (long r = 0; r < rounds; ++r) {
    for (int s = 0; s < 8; ++s) {
      for (int i = 0; i < n; ++i)
        blocks[s][i] = twin.malloc(0x18 + 0x10 * static_cast<uint64_t>(s)).raw();
    }
    for (int s = 0; s < 8; ++s) {
      for (int i = 0; i < n; ++i) {
        sum += blocks[s][i];
        twin.free(UserAddr{blocks[s][i]});
      }
    }
  }
  std::printf("%llu\n", static_cast<unsigned long long>(sum & 0xffff));
  return 0;
}
