// model_traces: the model's trace of many Programs, one line per op (outcome and a hash of the
// whole snapshot after it), so that two builds of the model can be compared op by op:
//
//   bazel run -c opt //oracle/model:model_traces -- [--programs N] [--ops K] > before.txt
//   (change the model, build again)   ... > after.txt;  cmp before.txt after.txt
//
// The Programs: N random Programs of K ops (random_programs.h, with and without mallopt/trim),
// N random fuzz inputs (uniform bytes, with and without corruption: every no-opinion path), and
// N/10 of each with tunables (tcache off, fastbins off, a small tcache, one unknown tunable).
// The first differing line names the Program and the op; `--only NAME` prints that Program's
// whole trace (format_trace) for a closer look.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "oracle/model/model_side.h"
#include "oracle/model/random_programs.h"
#include "oracle/trace_text.h"
#include "program/fuzz_encoding.h"

namespace heaptwin::model {
namespace {

// FNV-1a over every field of a snapshot.
class Hash {
 public:
  void bytes(const void* p, size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    for (size_t i = 0; i < n; ++i) h_ = (h_ ^ b[i]) * 0x100000001b3ull;
  }
  void u64(uint64_t v) { bytes(&v, sizeof v); }
  void str(const std::string& s) {
    u64(s.size());
    bytes(s.data(), s.size());
  }
  void ref(const ChunkRef& r) {
    u64(static_cast<uint64_t>(r.offset));
    u64(r.size);
    u64(r.wild);
  }
  void list(const BinList& l) {
    u64(l.chunks.size());
    for (const ChunkRef& r : l.chunks) ref(r);
    str(l.broken);
  }
  uint64_t value() const { return h_; }

 private:
  uint64_t h_ = 0xcbf29ce484222325ull;
};

uint64_t hash_of(const ArenaSnapshot& s) {
  Hash h;
  h.u64(s.valid);
  h.str(s.invalid_reason);
  h.u64(s.tcache_present);
  for (uint16_t c : s.tcache_counts) h.u64(c);
  for (const BinList& l : s.tcache) h.list(l);
  for (const BinList& l : s.fastbins) h.list(l);
  for (const BinList& l : s.bins) h.list(l);
  for (const BinList& l : s.nextsize) h.list(l);
  h.ref(s.top);
  h.ref(s.last_remainder);
  h.u64(s.last_remainder_null);
  for (uint32_t w : s.binmap) h.u64(w);
  h.u64(static_cast<uint64_t>(s.flags));
  h.u64(static_cast<uint64_t>(s.have_fastchunks));
  h.u64(s.system_mem);
  h.u64(s.max_system_mem);
  h.u64(s.global_max_fast);
  const MallocParSnapshot& m = s.mp;
  for (uint64_t v : {m.trim_threshold, m.top_pad, m.mmap_threshold, m.arena_test, m.arena_max,
                     m.mmapped_mem, m.max_mmapped_mem, m.tcache_bins, m.tcache_max_bytes,
                     m.tcache_count, m.tcache_unsorted_limit}) {
    h.u64(v);
  }
  for (int32_t v : {m.n_mmaps, m.n_mmaps_max, m.max_n_mmaps, m.no_dyn_threshold}) {
    h.u64(static_cast<uint64_t>(v));
  }
  return h.value();
}

struct Case {
  std::string name;
  Program program;
  std::vector<std::pair<std::string, std::string>> tunables;
};

std::vector<std::pair<std::string, std::string>> tunables_for(size_t k) {
  switch (k % 4) {
    case 0: return {{"glibc.malloc.tcache_count", "0"}};
    case 1: return {{"glibc.malloc.mxfast", "0"}};
    case 2: return {{"glibc.malloc.tcache_count", "2"}, {"glibc.malloc.tcache_max", "200"}};
    default: return {{"glibc.malloc.hugetlb", "1"}};
  }
}

std::vector<Case> cases(size_t n, int ops) {
  std::vector<Case> out;
  for (size_t i = 0; i < n; ++i) {
    RandomProgramOptions ro;
    ro.ops = ops;
    ro.mallopt = i % 2 == 0;
    out.push_back({"random#" + std::to_string(i + 1), random_program(i + 1, ro), {}});
  }
  std::mt19937_64 rng(14);
  for (size_t i = 0; i < n; ++i) {
    std::string bytes(1, static_cast<char>(kFuzzFormatV1));
    const size_t len = 1 + rng() % 1024;
    for (size_t k = 0; k < len; ++k) bytes.push_back(static_cast<char>(rng()));
    DecodeOptions decode;
    decode.allow_corruption = i % 2 == 1;
    out.push_back({"fuzz#" + std::to_string(i + 1), decode_fuzz(bytes, decode), {}});
  }
  const size_t base = out.size();
  for (size_t i = 0; i < base / 10; ++i) {
    Case c = out[i * 10];
    c.name += "+tunables";
    c.tunables = tunables_for(i);
    out.push_back(std::move(c));
  }
  return out;
}

int run(int argc, char** argv) {
  size_t n = 1000;
  int ops = 200;
  std::string only;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--programs"))
      n = std::strtoul(argv[i + 1], nullptr, 0);
    else if (!std::strcmp(argv[i], "--ops"))
      ops = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--only"))
      only = argv[i + 1];
    else {
      std::fprintf(stderr, "model_traces: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  std::string error;
  auto side = make_model_side("model", &error);
  for (const Case& c : cases(n, ops)) {
    if (!only.empty() && c.name != only) continue;
    RunOptions options;
    options.snapshots = true;
    options.tunables = c.tunables;
    const Trace t = side->run(c.program, options);
    if (!only.empty()) {
      std::printf("%s", format_trace(c.program, t, true, true).c_str());
      for (size_t k = 0; k < t.states.size(); ++k) {
        if (!t.states[k].valid) std::printf("op %zu: %s\n", k, t.states[k].invalid_reason.c_str());
      }
      continue;
    }
    std::printf("%s: %zu ops, %zu outcomes, error '%s', violation '%s', unmodelled '%s'\n",
                c.name.c_str(), c.program.ops.size(), t.outcomes.size(), t.error.c_str(),
                t.violation.c_str(), t.unmodelled.c_str());
    for (size_t k = 0; k < t.outcomes.size(); ++k) {
      const uint64_t state = k < t.states.size() ? hash_of(t.states[k]) : 0;
      std::printf("%s %zu %s %016llx\n", c.name.c_str(), k, to_string(t.outcomes[k]).c_str(),
                  static_cast<unsigned long long>(state));
    }
  }
  return 0;
}

}  // namespace
}  // namespace heaptwin::model

int main(int argc, char** argv) { return heaptwin::model::run(argc, argv); }
