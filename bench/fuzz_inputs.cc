// fuzz_inputs OUT_DIR [--count N]: the inputs bench/engines.sh replays through each fuzz target
// under libFuzzer and seeds AFL++ with. Writes OUT_DIR/<target>/<ops>/NNNN for ops 16, 64 and
// 256: N deterministic inputs each (std::mt19937_64, seeded per target and op count) that the
// target decodes to exactly <ops> ops and on which it finds nothing, so a replay never stops.
//
//   twin_vs_model, twin_vs_glibc, attack  fuzz bytes, decoded with the target's own DecodeOptions
//                                         (fuzz::find_target, max_ops 256); check_differential
//                                         must return "" on them
//   script_parser                         the .heap text of such a Program (twin_vs_model
//                                         decoding); it parses and prints back
//   encoding_roundtrip                    the canonical bytes of such a Program: the target decodes
//                                         with the default options (write8 allowed), under which
//                                         raw bytes holding opcode 13 would decode to other ops;
//                                         the canonical form decodes to the same Program either way
//
// Each input is the shortest prefix of a random byte string (byte 0 the format) that decodes to
// <ops> ops: the decoder's op count grows by at most one per byte, so a binary search finds it
// (the last op is then cut short, its operands read as 0). The random bytes are drawn op by op,
// and an op is drawn again when it would make the Program ask for more than 64 MiB in all
// (memset and page faults, not allocators, would be measured; uniform bytes ask for ~1.5 MiB
// per op, so whole random 256-op strings almost never stay under it) or make the harness return
// before running any side (an alignment beyond a page whose mmap placement glibc's kernel
// decides: a near-free execution). Inputs on which the target finds something are skipped.
#include <sys/stat.h>
#include <sys/types.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

#include "fuzz/differential.h"
#include "program/fuzz_encoding.h"
#include "program/heap_format.h"
#include "program/op.h"

namespace heaptwin {
namespace {

constexpr const char* kTargets[] = {"twin_vs_model", "twin_vs_glibc", "attack", "script_parser",
                                    "encoding_roundtrip"};
constexpr size_t kOps[] = {16, 64, 256};

void usage(FILE* out) {
  std::fprintf(out,
               "usage: fuzz_inputs OUT_DIR [--count N]\n"
               "\n"
               "Writes OUT_DIR/<target>/<ops>/NNNN for every fuzz target (twin_vs_model,\n"
               "twin_vs_glibc, attack, script_parser, encoding_roundtrip) and ops 16, 64, 256:\n"
               "N (default 100) deterministic inputs that the target decodes to exactly <ops>\n"
               "ops and on which it finds nothing (bench/engines.sh replays them). Existing\n"
               "files in those folders are replaced. Progress on stderr.\n"
               "Exit 0, 1 when fewer than N inputs could be made somewhere, 2 bad usage.\n");
}

// Whether a Program asks for more than 64 MiB in all (requests that can only fail aside), as in
// bench/sides_bench.cc.
bool heavy(const Program& p) {
  uint64_t total = 0;
  for (const Op& op : p.ops) {
    if (!op.allocates()) continue;
    const uint64_t n = op.request_bytes();
    if (n >= (uint64_t{1} << 40)) continue;  // refused at once (ENOMEM)
    total += n;
  }
  return total > (uint64_t{64} << 20);
}

// The harness's own early return (fuzz/differential.cc, has_address_dependent_alignment): such
// inputs run no side at all, so they would measure the decoder only.
bool harness_skips(const Program& program) {
  constexpr uint64_t kPage = 4096, kDefaultMmapThreshold = 0x20000, kMinSize = 0x20;
  bool threshold_may_drop = false;
  for (const Op& op : program.ops) {
    if (op.kind == OpKind::kMallopt &&
        op.param == static_cast<int32_t>(MalloptParam::kMmapThreshold)) {
      threshold_may_drop = true;
    }
  }
  for (const Op& op : program.ops) {
    bool aligned = op.kind == OpKind::kMemalign || op.kind == OpKind::kAlignedAlloc ||
                   op.kind == OpKind::kPosixMemalign;
    if (!aligned || op.a <= kPage) continue;
    uint64_t total;
    if (__builtin_add_overflow(op.b, op.a + kMinSize, &total) || total >= kDefaultMmapThreshold ||
        threshold_may_drop) {
      return true;
    }
  }
  return false;
}

size_t op_count(const std::string& bytes, size_t len, const DecodeOptions& decode) {
  return decode_fuzz(reinterpret_cast<const uint8_t*>(bytes.data()), len, decode).ops.size();
}

// The shortest prefix of `bytes` that decodes to `ops` ops (op_count(bytes) >= ops): the op count
// grows by at most one per byte, as every op starts at a byte of its own.
size_t shortest_prefix(const std::string& bytes, size_t ops, const DecodeOptions& decode) {
  size_t lo = 1, hi = bytes.size();
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (op_count(bytes, mid, decode) >= ops) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

// `s` (whole ops) and random bytes after it, as many as it takes to decode to `ops` ops.
std::string extend(const std::string& s, std::mt19937_64& rng, size_t ops,
                   const DecodeOptions& decode) {
  std::string t = s;
  do {
    for (int i = 0; i < 64; ++i) t.push_back(static_cast<char>(rng()));
  } while (op_count(t, t.size(), decode) < ops);
  return t;
}

// Random bytes (byte 0 the format), drawn op by op: an op is kept only when the Program up to it
// asks for at most 64 MiB in all and the harness would still run it (up to 1000 draws per op;
// uniform bytes ask for ~1.5 MiB per op on average, so whole 256-op strings almost never pass).
// The result is the shortest prefix that decodes to `ops` ops; its last op is cut short after
// its first byte (its operands read as 0). "" when some op could not be drawn.
std::string random_input(std::mt19937_64& rng, size_t ops, const DecodeOptions& decode) {
  std::string s(1, static_cast<char>(kFuzzFormatV1));  // whole ops only
  for (size_t k = 0; k + 1 < ops; ++k) {
    bool kept = false;
    for (int draw = 0; draw < 1000 && !kept; ++draw) {
      // Op k ends where op k+1 starts: one byte before the shortest prefix with k+2 ops.
      std::string t = extend(s, rng, k + 2, decode);
      std::string with = t.substr(0, shortest_prefix(t, k + 2, decode) - 1);
      Program p = decode_fuzz(with, decode);
      if (p.ops.size() == k + 1 && !heavy(p) && !harness_skips(p)) {
        s = with;
        kept = true;
      }
    }
    if (!kept) return "";
  }
  std::string t = extend(s, rng, ops, decode);
  return t.substr(0, shortest_prefix(t, ops, decode));
}

bool make_dirs(const std::string& path) {
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      std::string prefix = path.substr(0, i);
      if (mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) return false;
    }
  }
  return true;
}

void clear_files(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  while (dirent* e = d ? readdir(d) : nullptr) {
    std::string path = dir + "/" + e->d_name;
    struct stat st;
    if (stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) unlink(path.c_str());
  }
  if (d) closedir(d);
}

bool write_file(const std::string& path, const std::string& bytes) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return false;
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  return std::fclose(f) == 0 && ok;
}

struct Counts {
  size_t tried = 0, heavy = 0, harness_skips = 0, findings = 0, other = 0;
  std::vector<double> check_ms;
};

// One candidate for `target`: its file contents, or "" when it is to be skipped (and why, in c).
std::string candidate(const std::string& target, size_t ops, std::mt19937_64& rng, Counts* c) {
  const fuzz::TargetConfig* config = fuzz::find_target(target);
  const DecodeOptions decode = (config ? config : fuzz::find_target("twin_vs_model"))->decode;
  std::string bytes = random_input(rng, ops, decode);
  Program p = decode_fuzz(bytes, decode);
  if (p.ops.size() != ops) return ++c->other, "";  // bytes == "": an op could not be drawn
  if (config) {
    // Drawn op by op within these bounds already; the last op, cut short, asks for 0 bytes.
    if (heavy(p)) return ++c->heavy, "";
    if (harness_skips(p)) return ++c->harness_skips, "";
    auto start = std::chrono::steady_clock::now();
    std::string finding = fuzz::check_differential(
        *config, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                    .count();
    c->check_ms.push_back(ms);
    if (!finding.empty()) {
      ++c->findings;
      std::fprintf(stderr, "  %s: a finding on a random %zu-op input (skipped):\n%s", target.c_str(),
                   ops, finding.c_str());
      return "";
    }
    return bytes;
  }
  std::string error;
  if (target == "script_parser") {
    std::string text = print_heap(p);
    auto parsed = parse_heap(text, "input", &error);
    if (!parsed || !(*parsed == p) || print_heap(*parsed) != text) return ++c->other, "";
    return text;
  }
  // encoding_roundtrip: the canonical bytes, which the target's default decoding reads back as p.
  auto encoded = encode_fuzz(p, &error);
  if (!encoded) return ++c->other, "";
  Program back = decode_fuzz(*encoded);  // the target's own options: the defaults
  auto again = encode_fuzz(back, &error);
  if (!(back == p) || !again || *again != *encoded) return ++c->other, "";
  return *encoded;
}

int run(const std::string& out_dir, size_t count) {
  bool short_somewhere = false;
  for (size_t t = 0; t < sizeof kTargets / sizeof *kTargets; ++t) {
    const std::string target = kTargets[t];
    for (size_t ops : kOps) {
      const std::string dir = out_dir + "/" + target + "/" + std::to_string(ops);
      if (!make_dirs(dir)) {
        std::fprintf(stderr, "fuzz_inputs: cannot create %s: %s\n", dir.c_str(),
                     std::strerror(errno));
        return 2;
      }
      clear_files(dir);
      std::mt19937_64 rng(ops * 1000 + t);  // one fixed stream per target and op count
      Counts c;
      size_t made = 0;
      auto start = std::chrono::steady_clock::now();
      while (made < count && c.tried < count * 50) {
        ++c.tried;
        std::string contents = candidate(target, ops, rng, &c);
        if (contents.empty()) continue;
        char name[32];
        std::snprintf(name, sizeof name, "/%04zu", made);
        if (!write_file(dir + name, contents)) {
          std::fprintf(stderr, "fuzz_inputs: cannot write %s%s\n", dir.c_str(), name);
          return 2;
        }
        ++made;
      }
      double s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::string checks;
      if (!c.check_ms.empty()) {
        std::sort(c.check_ms.begin(), c.check_ms.end());
        char buf[96];
        std::snprintf(buf, sizeof buf, "; one check: median %.2f ms, slowest %.1f ms",
                      c.check_ms[c.check_ms.size() / 2], c.check_ms.back());
        checks = buf;
      }
      std::fprintf(stderr,
                   "fuzz_inputs: %-18s %3zu ops: %zu inputs of %zu tried (skipped: %zu "
                   "findings, %zu other)%s; %.1f s\n",
                   target.c_str(), ops, made, c.tried, c.findings, c.heavy + c.harness_skips + c.other,
                   checks.c_str(), s);
      if (made < count) {
        std::fprintf(stderr, "fuzz_inputs: only %zu of %zu inputs for %s at %zu ops\n", made,
                     count, target.c_str(), ops);
        short_somewhere = true;
      }
    }
  }
  return short_somewhere ? 1 : 0;
}

}  // namespace
}  // namespace heaptwin

int main(int argc, char** argv) {
  std::string out_dir;
  size_t count = 100;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      heaptwin::usage(stdout);
      return 0;
    } else if (a == "--count") {
      char* end = nullptr;
      long n = i + 1 < argc ? std::strtol(argv[i + 1], &end, 10) : 0;
      if (i + 1 >= argc || !end || *end != '\0' || n < 1 || n > 9999) {
        std::fprintf(stderr, "fuzz_inputs: --count needs a number from 1 to 9999\n");
        return 2;
      }
      count = static_cast<size_t>(n);
      ++i;
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "fuzz_inputs: unknown option '%s'\n", a.c_str());
      heaptwin::usage(stderr);
      return 2;
    } else if (out_dir.empty()) {
      out_dir = a;
    } else {
      std::fprintf(stderr, "fuzz_inputs: one OUT_DIR only (got '%s' too)\n", a.c_str());
      return 2;
    }
  }
  if (out_dir.empty()) {
    heaptwin::usage(stderr);
    return 2;
  }
  return heaptwin::run(out_dir, count);
}
