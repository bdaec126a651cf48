// Programs/s of the real-glibc side: random 64-op Programs (malloc/calloc/realloc/free of
// random sizes), with and without snapshots. usage: runner_throughput [SECONDS] [SIDE]
// A third argument "plain" skips the snapshot measurement. HEAPTWIN_RUNNER_MODE=fork measures the fork-per-Program runner instead of the persistent one.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "oracle/glibc/glibc_side.h"

namespace heaptwin {
namespace {

Program random_program(std::mt19937_64& rng, int ops) {
  Program p;
  for (int i = 0; i < 16; ++i) p.intern("s" + std::to_string(i));
  for (int i = 0; i < ops; ++i) {
    Op op;
    SlotId slot = static_cast<SlotId>(1 + rng() % 16);
    switch (rng() % 8) {
      case 0: case 1: case 2:
        op.kind = OpKind::kMalloc;
        op.dst = slot;
        op.a = rng() % 2 ? rng() % 0x100 : rng() % 0x600;
        break;
      case 3:
        op.kind = OpKind::kCalloc;
        op.dst = slot;
        op.a = 1;
        op.b = rng() % 0x200;
        break;
      case 4:
        op.kind = OpKind::kRealloc;
        op.dst = op.src = slot;
        op.a = 1 + rng() % 0x400;
        break;
      default:
        op.kind = OpKind::kFree;
        op.src = slot;
        break;
    }
    p.ops.push_back(op);
    if (op.kind == OpKind::kFree) {  // a second free of the slot would abort: forget it
      Op m;
      m.kind = OpKind::kMalloc;
      m.dst = slot;
      m.a = 0x18;
      p.ops.push_back(m);
      ++i;
    }
  }
  return p;
}

double measure(Side& side, bool snapshots, double seconds, int* aborted) {
  std::mt19937_64 rng(1);
  RunOptions options;
  options.snapshots = snapshots;
  auto start = std::chrono::steady_clock::now();
  long n = 0;
  double elapsed = 0;
  do {
    Trace t = side.run(random_program(rng, 64), options);
    if (!t.error.empty()) {
      std::fprintf(stderr, "error: %s\n", t.error.c_str());
      std::exit(1);
    }
    if (!t.outcomes.empty() && t.outcomes.back().is_fatal()) ++*aborted;
    ++n;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (elapsed < seconds);
  return n / elapsed;
}

}  // namespace
}  // namespace heaptwin

int main(int argc, char** argv) {
  double seconds = argc > 1 ? std::atof(argv[1]) : 3;
  std::string name = argc > 2 ? argv[2] : "glibc";
  std::string error;
  auto side = heaptwin::make_glibc_side(name, &error);
  if (!side) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 2;
  }
  int aborted = 0;
  double plain = heaptwin::measure(*side, false, seconds, &aborted);
  double snap = argc > 3 && std::string(argv[3]) == "plain" ? 0 : heaptwin::measure(*side, true, seconds, &aborted);
  const char* mode = std::getenv("HEAPTWIN_RUNNER_MODE");
  std::printf("%s (%s runner), 64-op Programs: %.0f Programs/s; with a snapshot after every op: %.0f Programs/s\n",
              name.c_str(), mode && std::string(mode) == "fork" ? "fork" : "persistent", plain, snap);
  return 0;
}
