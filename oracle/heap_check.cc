// The full heap check's C++ face: std::string violations over the freestanding checker.
#include "oracle/heap_check.h"
#include "program/hex.h"

#include <cinttypes>
#include <cstdio>
#include <memory>

#include "oracle/check/full_check.h"
#include "oracle/check/rules.h"
#include "oracle/check/text.h"

namespace heaptwin {

namespace {

std::string name_of(check::BinId bin) {
  char buf[64];
  check::Text t(buf, sizeof buf);
  check::add_bin_name(&t, bin);
  return t.c_str();
}

// The working lists of one thread's full checks, reserved on its first check and kept: the
// checker runs after every op, and setting them up anew each time would cost more than a check.
struct FullCheckScratch {
  check::Region region;
  check::FullCheck check;
  bool ok = false;
  FullCheckScratch() { ok = region.reserve(uint64_t{320} << 20) && check.init(&region); }
  ~FullCheckScratch() { region.release(); }
};

}  // namespace

check::Layout check_layout(const GlibcLayout& g) {
  check::Layout l;
  l.safe_linking = g.safe_linking;
  l.tcache = g.tcache;
  int major = 0, minor = 0;
  l.key_is_random = std::sscanf(g.version.c_str(), "%d.%d", &major, &minor) != 2 || minor >= 34;
  l.tcache_count_bytes = g.tcache_count_bytes;
  l.tcache_entries = g.tcache_entries;
  static_cast<check::MallocStateOffsets&>(l) = g;
  l.mp_sbrk_base = g.mp_sbrk_base;
  l.mp_tcache_bins = g.mp_tcache_bins;
  l.mp_tcache_count = g.mp_tcache_count;
  l.mp_tcache_max_bytes = g.mp_tcache_max_bytes;
  l.tcache_bins = g.tcache_bins;
  l.tcache_num_slots = g.tcache_num_slots;
  l.fastbins_exist = g.fastbins_exist;
  l.max_fast_bytes = g.global_max_fast_bytes;
  return l;
}

Violation violation_of(const check::Finding& f, uint64_t heap_base) {
  Violation v;
  v.rule = f.rule;
  v.message = f.message;
  if (f.chunk != 0) {
    v.chunk = static_cast<int64_t>(f.chunk - heap_base);
    v.chunk_size = f.chunk_size;
  }
  v.bin = name_of(f.bin);
  return v;
}

int bin_index_for_size(uint64_t sz) { return check::bin_index_for_size(sz); }

std::string regular_bin_name(int i) { return name_of({check::BinKind::kRegular, i}); }
std::string fastbin_name(int i) { return name_of({check::BinKind::kFast, i}); }
std::string tcache_bin_name(int i) { return name_of({check::BinKind::kTcache, i}); }

std::string to_string(const Violation& v) {
  std::string s;
  if (v.op_index >= 0) s += "op " + std::to_string(v.op_index) + ": ";
  s += v.rule;
  if (v.chunk >= 0) {
    s += " at chunk heap+" + hex(static_cast<uint64_t>(v.chunk));
    if (v.chunk_size) s += " (size " + hex(v.chunk_size) + ")";
  }
  if (!v.bin.empty()) s += " in " + v.bin;
  s += ": " + v.message;
  return s;
}

std::vector<Violation> check_heap(const MemoryReader& mem, const HeapLocation& loc,
                                  const GlibcLayout& layout, const CheckOptions& options) {
  thread_local std::unique_ptr<FullCheckScratch> scratch;
  if (!scratch) scratch = std::make_unique<FullCheckScratch>();
  std::vector<Violation> out;
  if (!scratch->ok || options.max_violations == 0) return out;
  std::vector<check::Finding> storage(options.max_violations);
  check::Findings findings(storage.data(), storage.size());
  const check::Layout l = check_layout(layout);
  scratch->check.run(CheckReader(mem), loc, l, &findings);
  for (size_t i = 0; i < findings.size(); ++i)
    out.push_back(violation_of(findings[i], loc.heap_base));
  return out;
}

const std::vector<CheckRule>& check_rules() {
  static const std::vector<CheckRule> rules = [] {
    std::vector<CheckRule> r;
    for (size_t i = 0; i < check::kRuleCount; ++i)
      r.push_back({check::kRules[i].id, check::kRules[i].meaning});
    return r;
  }();
  return rules;
}

}  // namespace heaptwin
