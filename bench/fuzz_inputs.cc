// fuzz_inputs OUT_DIR [--count N] [--budget-kib K] [--target T]...: the inputs bench/engines.sh
// replays through each fuzz target under libFuzzer and seeds AFL++ with. Writes
// OUT_DIR/<target>/<ops>/NNNN for every target of fuzz/targets.txt and ops 16, 64 and 256: N
// deterministic inputs each (std::mt19937_64, seeded per target's place in the manifest and op
// count) that the target decodes to exactly <ops> ops and on which it finds nothing, so a replay
// never stops.
//
//   twin_vs_model, twin_vs_glibc, attack  fuzz bytes, decoded with the target's own DecodeOptions
//                                         (fuzz_target_config, max_ops 256); the target's
//                                         executor must find nothing on them
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
// and an op is drawn again when it would make the Program ask for more than the budget in all
// (--budget-kib, default 1 MiB) or make the harness return before running any side (an
// alignment beyond a page, whose mmap placement is the kernel's: a near-free execution).
// Inputs on which the target finds something are skipped.
//
// Why 1 MiB: twin_vs_glibc copies glibc's heap after every op (into shared memory, or with
// process_vm_readv when it does not fit), so a Program near 64 MiB took 0.1-6 s per execution
// under libFuzzer: such inputs measure memcpy and page faults, not the harness.
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_inputs.h"
#include "fuzz/differential.h"
#include "program/fuzz_encoding.h"
#include "program/heap_format.h"
#include "program/op.h"
#include "tools/fuzz_targets.h"

namespace heaptwin {
namespace {

constexpr size_t kOps[] = {16, 64, 256};

// The targets whose inputs are not fuzz bytes judged by an executor (those have a
// fuzz_target_config): each has its own way of making them in candidate().
bool makes_inputs_for(const std::string& target) {
  return fuzz_target_config(target) != nullptr || target == "script_parser" ||
         target == "encoding_roundtrip";
}

void usage(FILE* out) {
  std::fprintf(out,
               "usage: fuzz_inputs OUT_DIR [--count N] [--budget-kib K] [--target T]...\n"
               "\n"
               "Writes OUT_DIR/<target>/<ops>/NNNN for every fuzz target of fuzz/targets.txt\n"
               "and ops 16, 64, 256: N deterministic inputs that the target decodes to exactly\n"
               "<ops> ops and on which it finds nothing (bench/engines.sh replays them).\n"
               "Existing files in those folders are replaced. Progress on stderr.\n"
               "\n"
               "  --count N       inputs per target and op count (default 100)\n"
               "  --budget-kib K  what a Program may ask for in all, in KiB (default 1024)\n"
               "  --target T      only this target (repeatable; default all)\n"
               "\n"
               "Exit 0, 1 when fewer than N inputs could be made somewhere, 2 bad usage.\n");
}

struct Options {
  std::string out_dir;
  size_t count = 100;
  uint64_t budget = uint64_t{1} << 20;  // bytes a Program may ask for in all
  std::vector<std::string> targets;     // empty: all
};
Options options;

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
  const JudgeConfig* config = fuzz_target_config(target);
  const DecodeOptions decode = (config ? config : fuzz_target_config("twin_vs_model"))->decode;
  std::string bytes = bench::random_input(rng, ops, decode, options.budget);
  Program p = decode_fuzz(bytes, decode);
  if (p.ops.size() != ops) return ++c->other, "";  // bytes == "": an op could not be drawn
  if (config) {
    // Drawn op by op within these bounds already; the last op, cut short, asks for 0 bytes.
    // (Kept as a check: the whole input is what the engine will run.)
    if (bench::requested_bytes(p) > options.budget) return ++c->heavy, "";
    if (refused_before_running(p, config->max_touched_bytes)) return ++c->harness_skips, "";
    auto start = std::chrono::steady_clock::now();
    const Verdict verdict = fuzz::target_executor(target.c_str()).judge(p);
    const std::string finding = verdict.finding() ? verdict.report(p) : "";
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    c->check_ms.push_back(ms);
    if (!finding.empty()) {
      ++c->findings;
      std::fprintf(stderr, "  %s: a finding on a random %zu-op input (skipped):\n%s",
                   target.c_str(), ops, finding.c_str());
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
  if (target != "encoding_roundtrip") return ++c->other, "";  // makes_inputs_for() says no
  // encoding_roundtrip: the canonical bytes, which the target's default decoding reads back as p.
  auto encoded = encode_fuzz(p, &error);
  if (!encoded) return ++c->other, "";
  Program back = decode_fuzz(*encoded);  // the target's own options: the defaults
  auto again = encode_fuzz(back, &error);
  if (!(back == p) || !again || *again != *encoded) return ++c->other, "";
  return *encoded;
}

int run() {
  bool short_somewhere = false;
  const auto& targets = cli::fuzz_targets();
  for (size_t t = 0; t < targets.size(); ++t) {
    const std::string& target = targets[t].name;
    const auto& only = options.targets;
    if (!only.empty() && std::find(only.begin(), only.end(), target) == only.end()) continue;
    if (!makes_inputs_for(target)) {
      std::fprintf(stderr,
                   "fuzz_inputs: fuzz/targets.txt names %s, for which candidate() makes no "
                   "inputs: add its kind of input to bench/fuzz_inputs.cc\n",
                   target.c_str());
      return 2;
    }
    for (size_t ops : kOps) {
      const std::string dir = options.out_dir + "/" + target + "/" + std::to_string(ops);
      if (!make_dirs(dir)) {
        std::fprintf(stderr, "fuzz_inputs: cannot create %s: %s\n", dir.c_str(),
                     std::strerror(errno));
        return 2;
      }
      clear_files(dir);
      std::mt19937_64 rng(ops * 1000 + t);  // one fixed stream per target and op count
      Counts c;
      size_t made = 0, findings_in_a_row = 0;
      auto start = std::chrono::steady_clock::now();
      while (made < options.count && c.tried < options.count * 50) {
        ++c.tried;
        const size_t findings_before = c.findings;
        std::string contents = candidate(target, ops, rng, &c);
        findings_in_a_row = c.findings > findings_before ? findings_in_a_row + 1 : 0;
        if (findings_in_a_row == 10) {
          // Random inputs do not find ten divergences in a row: a side is not working (e.g. the
          // glibc runner was rebuilt from other sources while this binary ran: rebuild both).
          std::fprintf(stderr, "fuzz_inputs: %s: ten findings in a row; giving up (see above)\n",
                       target.c_str());
          return 1;
        }
        if (contents.empty()) continue;
        char name[32];
        std::snprintf(name, sizeof name, "/%04zu", made);
        if (!write_file(dir + name, contents)) {
          std::fprintf(stderr, "fuzz_inputs: cannot write %s%s\n", dir.c_str(), name);
          return 2;
        }
        ++made;
      }
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::string checks;
      if (!c.check_ms.empty()) {
        std::sort(c.check_ms.begin(), c.check_ms.end());
        char buf[96];
        std::snprintf(buf, sizeof buf, "; one check: median %.2f ms, slowest %.1f ms",
                      c.check_ms[c.check_ms.size() / 2], c.check_ms.back());
        checks = buf;
      }
      std::fprintf(stderr,
                   "fuzz_inputs: %-18s %3zu ops: %zu of %zu tried (%zu findings, %zu "
                   "otherwise unfit)%s; %.1f s\n",
                   target.c_str(), ops, made, c.tried, c.findings,
                   c.heavy + c.harness_skips + c.other, checks.c_str(), s);
      if (made < options.count) {
        std::fprintf(stderr, "fuzz_inputs: only %zu of %zu inputs for %s at %zu ops\n", made,
                     options.count, target.c_str(), ops);
        short_somewhere = true;
      }
    }
  }
  return short_somewhere ? 1 : 0;
}

bool parse_count(const char* text, long max, long* out) {
  char* end = nullptr;
  *out = std::strtol(text, &end, 10);
  return end && end != text && *end == '\0' && *out >= 1 && *out <= max;
}

}  // namespace
}  // namespace heaptwin

int main(int argc, char** argv) {
  using heaptwin::options;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    long n = 0;
    if (a == "-h" || a == "--help") {
      heaptwin::usage(stdout);
      return 0;
    } else if (a == "--count") {
      if (!has_value || !heaptwin::parse_count(argv[i + 1], 9999, &n)) {
        std::fprintf(stderr, "fuzz_inputs: --count needs a number from 1 to 9999\n");
        return 2;
      }
      options.count = static_cast<size_t>(n);
      ++i;
    } else if (a == "--budget-kib") {
      if (!has_value || !heaptwin::parse_count(argv[i + 1], 1L << 30, &n)) {
        std::fprintf(stderr, "fuzz_inputs: --budget-kib needs a number of KiB >= 1\n");
        return 2;
      }
      options.budget = static_cast<uint64_t>(n) << 10;
      ++i;
    } else if (a == "--target") {
      if (!has_value || heaptwin::cli::find_fuzz_target(argv[i + 1]) == nullptr) {
        std::fprintf(stderr, "fuzz_inputs: --target needs a fuzz target's name\n");
        return 2;
      }
      options.targets.push_back(argv[++i]);
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "fuzz_inputs: unknown option '%s'\n", a.c_str());
      heaptwin::usage(stderr);
      return 2;
    } else if (options.out_dir.empty()) {
      options.out_dir = a;
    } else {
      std::fprintf(stderr, "fuzz_inputs: one OUT_DIR only (got '%s' too)\n", a.c_str());
      return 2;
    }
  }
  if (options.out_dir.empty()) {
    heaptwin::usage(stderr);
    return 2;
  }
  return heaptwin::run();
}
