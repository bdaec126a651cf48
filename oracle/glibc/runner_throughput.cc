// Speed of the real-glibc side, measured through the Side interface only:
//  - Programs/s on random 64-op Programs (malloc/calloc/realloc/free of random sizes): plain,
//    with a copied snapshot after every op, with a digest after every op;
//  - the round trip of a 1-op Program (median of many);
//  - `long N`: one Program of N random ops (~4,000 live blocks of small sizes), its wall time.
// usage: runner_throughput [SECONDS] [SIDE]          the table
//        runner_throughput long N [SIDE]             one N-op Program
//        runner_throughput trip SECONDS              only the 1-op round trip
//        runner_throughput file X.heap N             X.heap N times (time per run)
// HEAPTWIN_RUNNER_MODE=fork measures the fork-per-Program runner instead of the persistent one.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "oracle/glibc/churn_program.h"
#include "oracle/glibc/glibc_side.h"
#include "program/heap_format.h"

namespace heaptwin {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

Program random_program(std::mt19937_64& rng, int ops) {
  Program p;
  for (int i = 0; i < 16; ++i) p.intern("s" + std::to_string(i));
  for (int i = 0; i < ops; ++i) {
    Op op;
    SlotId slot = static_cast<SlotId>(1 + rng() % 16);
    switch (rng() % 8) {
      case 0:
      case 1:
      case 2:
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

void check(const Trace& t) {
  if (!t.error.empty()) {
    std::fprintf(stderr, "error: %s\n", t.error.c_str());
    std::exit(1);
  }
}

// The same Programs ending in a double free: glibc aborts, the child is replaced.
Program aborting(Program p) {
  Op m;
  m.kind = OpKind::kMalloc;
  m.dst = 1;
  m.a = 0x18;
  Op f;
  f.kind = OpKind::kFree;
  f.src = 1;
  p.ops.push_back(m);
  p.ops.push_back(f);
  p.ops.push_back(f);
  return p;
}

double programs_per_second(Side& side, const RunOptions& options, double seconds,
                           bool abort = false) {
  std::mt19937_64 rng(1);
  std::vector<Program> programs;
  for (int i = 0; i < 200; ++i) {
    Program p = random_program(rng, 64);
    programs.push_back(abort ? aborting(p) : p);
  }
  auto start = Clock::now();
  long n = 0;
  double elapsed = 0;
  do {
    check(side.run(programs[n % programs.size()], options));
    ++n;
    elapsed = seconds_since(start);
  } while (elapsed < seconds);
  return n / elapsed;
}

// Median round trip of a 1-op Program, in microseconds.
double one_op_round_trip_us(Side& side, double seconds) {
  Program p;
  Op op;
  op.kind = OpKind::kMalloc;
  op.dst = p.intern("a");
  op.a = 0x18;
  p.ops.push_back(op);
  std::vector<double> us;
  auto start = Clock::now();
  do {
    auto t0 = Clock::now();
    check(side.run(p, RunOptions()));
    us.push_back(seconds_since(t0) * 1e6);
  } while (seconds_since(start) < seconds);
  std::nth_element(us.begin(), us.begin() + us.size() / 2, us.end());
  return us[us.size() / 2];
}

int run_long(size_t ops, const std::string& name) {
  std::string error;
  auto side = make_glibc_side(name, &error);
  if (!side) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 2;
  }
  check(side->run(churn_program(16, 8, 2), RunOptions()));  // the runner is up
  Program p = churn_program(ops, 8000, 1);
  for (bool digests : {false, true}) {
    RunOptions options;
    options.digests = digests;
    auto start = Clock::now();
    Trace t = side->run(p, options);
    double s = seconds_since(start);
    check(t);
    std::printf("%s: one %zu-op Program (%zu slots, ~4000 live blocks)%s: %zu outcomes, %.2f s\n",
                name.c_str(), ops, p.slot_count() - 1, digests ? " with digests" : "",
                t.outcomes.size(), s);
  }
  return 0;
}

}  // namespace
}  // namespace heaptwin

int main(int argc, char** argv) {
  using namespace heaptwin;
  if (argc > 3 && std::string(argv[1]) == "file") {  // one .heap file N times
    std::string error;
    auto side = make_glibc_side("glibc", &error);
    std::ifstream in(argv[2]);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto program = parse_heap(text, argv[2], &error);
    if (!side || !program) {
      std::fprintf(stderr, "%s\n", error.c_str());
      return 2;
    }
    const long n = std::atol(argv[3]);
    auto start = Clock::now();
    for (long i = 0; i < n; ++i) check(side->run(*program, RunOptions()));
    std::printf("%s: %.1f us per run\n", argv[2], seconds_since(start) * 1e6 / n);
    return 0;
  }
  if (argc > 2 && std::string(argv[1]) == "trip") {  // only the 1-op round trip (for perf)
    std::string error;
    auto side = make_glibc_side("glibc", &error);
    if (!side) return 2;
    std::printf("1-op round trip %.1f us\n", one_op_round_trip_us(*side, std::atof(argv[2])));
    return 0;
  }
  if (argc > 2 && std::string(argv[1]) == "long") {
    return run_long(std::strtoull(argv[2], nullptr, 10), argc > 3 ? argv[3] : "glibc");
  }
  double seconds = argc > 1 ? std::atof(argv[1]) : 3;
  std::string name = argc > 2 ? argv[2] : "glibc";
  std::string error;
  auto side = make_glibc_side(name, &error);
  if (!side) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 2;
  }
  RunOptions plain, snapshots, digests;
  snapshots.snapshots = true;
  digests.digests = true;
  double trip = one_op_round_trip_us(*side, seconds);
  double p = programs_per_second(*side, plain, seconds);
  double s = programs_per_second(*side, snapshots, seconds);
  double d = programs_per_second(*side, digests, seconds);
  double a = programs_per_second(*side, plain, seconds, true);
  const char* mode = std::getenv("HEAPTWIN_RUNNER_MODE");
  std::printf(
      "%s (%s runner): 1-op round trip %.1f us; 64-op Programs/s: plain %.0f, "
      "snapshots %.0f, digests %.0f; ending in an abort: %.0f\n",
      name.c_str(), mode && std::string(mode) == "fork" ? "fork" : "persistent", trip, p, s, d, a);
  return 0;
}
