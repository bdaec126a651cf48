// The twin against real glibc, in process, replaying a Program's malloc-family calls: recorded
// traces of real programs (heaptwin exec --trace, passed with --trace=FILE) and a synthetic
// realloc-growth mix. ns per call; both sides replay the identical call stream, pass after pass
// (each pass ends by freeing what is still live, so the next starts from a steady heap).
#include "bench/replay.h"

#include <benchmark/benchmark.h>
#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "allocator/allocator.h"
#include "allocator/simulated_memory.h"
#include "bench/same_policy.h"
#include "bench/stop_on_fatal.h"
#include "bench/table.h"
#include "program/op.h"

namespace heaptwin::bench {
namespace {

// What a replay needs of an op; mallopt, malloc_trim and write8 are left out (they would
// change or corrupt this process's own malloc).
struct Call {
  OpKind kind;
  SlotId dst, src;
  uint64_t a, b;
};

struct Stream {
  std::string name;
  size_t slots = 0;
  std::vector<Call> calls;
};

Stream stream_of(const std::string& name, const Program& program) {
  Stream s{name, program.slot_count(), {}};
  for (const Op& op : program.ops) {
    if (op.kind == OpKind::kMallopt || op.kind == OpKind::kTrim || op.kind == OpKind::kWrite8 ||
        op.kind == OpKind::kRead8) {
      continue;
    }
    s.calls.push_back({op.kind, op.dst, op.src, op.a, op.b});
  }
  return s;
}

// Buffers grown by realloc in 1.5x steps from 16 bytes to 256 KiB (past the mmap threshold),
// several at once, interleaved, then freed: what string builders and vectors do.
Stream realloc_growth() {
  Program p;
  std::mt19937_64 rng(5);
  std::vector<SlotId> live;
  std::vector<uint64_t> size;
  for (int round = 0; round < 40; ++round) {
    live.clear();
    size.clear();
    for (int k = 0; k < 8; ++k) {
      Op op;
      op.kind = OpKind::kMalloc;
      op.dst = p.intern("b" + std::to_string(k));
      op.a = 16;
      p.ops.push_back(op);
      live.push_back(op.dst);
      size.push_back(16);
    }
    for (bool grew = true; grew;) {
      grew = false;
      for (size_t k = 0; k < live.size(); ++k) {
        if (size[k] >= (256u << 10) || rng() % 4 == 0) continue;
        size[k] = size[k] * 3 / 2 + rng() % 16;
        Op op;
        op.kind = OpKind::kRealloc;
        op.dst = op.src = live[k];
        op.a = size[k];
        p.ops.push_back(op);
        grew = true;
      }
    }
    for (SlotId s : live) {
      Op op;
      op.kind = OpKind::kFree;
      op.src = s;
      p.ops.push_back(op);
    }
  }
  return stream_of("realloc growth", p);
}

// The calls on this process's own glibc.
struct GlibcCalls {
  GlibcCalls() { fix_thresholds(); }
  void* malloc(uint64_t n) { return ::malloc(n); }
  void* calloc(uint64_t n, uint64_t m) { return ::calloc(n, m); }
  void* realloc(void* p, uint64_t n) { return ::realloc(p, n); }
  void free(void* p) { ::free(p); }
  void* memalign(uint64_t a, uint64_t n) { return ::memalign(a, n); }
  void* posix_memalign(uint64_t a, uint64_t n) {
    void* p = nullptr;
    return ::posix_memalign(&p, a, n) == 0 ? p : nullptr;
  }
  void* valloc(uint64_t n) { return ::valloc(n); }
  void* pvalloc(uint64_t n) { return ::pvalloc(n); }
  uint64_t usable_size(void* p) { return ::malloc_usable_size(p); }
};

// The same calls on the twin (no checker) over simulated memory.
struct TwinCalls {
  alloc::SimulatedMemory memory;
  StopOnFatal fatal;
  alloc::Allocator twin{&memory, static_cast<alloc::LibcData*>(memory.data()), &fatal,
                        alloc::GlibcProfile{}};
  using Ptr = alloc::Addr;
  TwinCalls() { fix_thresholds(twin); }
  void* as_ptr(Ptr p) { return reinterpret_cast<void*>(p); }
  Ptr of(void* p) { return reinterpret_cast<Ptr>(p); }
  void* malloc(uint64_t n) { return as_ptr(twin.malloc(n).raw()); }
  void* calloc(uint64_t n, uint64_t m) { return as_ptr(twin.calloc(n, m).raw()); }
  void* realloc(void* p, uint64_t n) {
    return as_ptr(twin.realloc(alloc::UserAddr{of(p)}, n).raw());
  }
  void free(void* p) { twin.free(alloc::UserAddr{of(p)}); }
  void* memalign(uint64_t a, uint64_t n) { return as_ptr(twin.memalign(a, n).raw()); }
  void* posix_memalign(uint64_t a, uint64_t n) {
    alloc::UserAddr p = 0;
    return twin.posix_memalign(&p, a, n) == 0 ? as_ptr(p.raw()) : nullptr;
  }
  void* valloc(uint64_t n) { return as_ptr(twin.valloc(n).raw()); }
  void* pvalloc(uint64_t n) { return as_ptr(twin.pvalloc(n).raw()); }
  uint64_t usable_size(void* p) { return twin.malloc_usable_size(alloc::UserAddr{of(p)}); }
};

template <typename Calls>
void replay_pass(Calls& c, const Stream& s, std::vector<void*>& slot) {
  for (const Call& k : s.calls) {
    switch (k.kind) {
      case OpKind::kMalloc: slot[k.dst] = c.malloc(k.a); break;
      case OpKind::kCalloc: slot[k.dst] = c.calloc(k.a, k.b); break;
      case OpKind::kRealloc: slot[k.dst] = c.realloc(slot[k.src], k.a); break;
      case OpKind::kFree:
        c.free(slot[k.src]);
        slot[k.src] = nullptr;
        break;
      case OpKind::kMemalign:
      case OpKind::kAlignedAlloc: slot[k.dst] = c.memalign(k.a, k.b); break;
      case OpKind::kPosixMemalign: slot[k.dst] = c.posix_memalign(k.a, k.b); break;
      case OpKind::kValloc: slot[k.dst] = c.valloc(k.a); break;
      case OpKind::kPvalloc: slot[k.dst] = c.pvalloc(k.a); break;
      case OpKind::kUsableSize: benchmark::DoNotOptimize(c.usable_size(slot[k.src])); break;
      default: break;
    }
    slot[kNullSlot] = nullptr;  // the null slot stays NULL whatever was assigned to it
  }
  // A trace ends with what the program never freed (or freed after the trace stopped).
  for (void*& p : slot) {
    if (p != nullptr) c.free(p);
    p = nullptr;
  }
}

template <typename Calls>
void run_replay(benchmark::State& state, const Stream* s) {
  static Calls* calls = nullptr;  // one heap per side for the whole run, as glibc's is
  if (calls == nullptr) calls = new Calls();
  std::vector<void*> slot(s->slots, nullptr);
  for (auto _ : state) {
    replay_pass(*calls, *s, slot);
    benchmark::ClobberMemory();
  }
  state.counters["units"] = static_cast<double>(s->calls.size());
}

void register_stream(const Stream* s) {
  std::string row = "twin vs glibc: " + s->name;
  benchmark::RegisterBenchmark((row + "/glibc").c_str(), run_replay<GlibcCalls>, s)->UseRealTime();
  benchmark::RegisterBenchmark((row + "/twin").c_str(), run_replay<TwinCalls>, s)->UseRealTime();
  describe_ratio(row, "twin", "glibc", 1.05, "twin/glibc <= 1.05");
}

const bool registered = [] {
  register_stream(new Stream(realloc_growth()));
  return true;
}();

}  // namespace

void register_trace(const std::string& name, const Program& program) {
  register_stream(new Stream(stream_of("trace " + name, program)));
}

}  // namespace heaptwin::bench
