// heaptwin fuzz: the fuzzing job. ./heaptwin fuzz (scripts/fuzz.sh) asks `fuzz --plan ARGS` which
// engine builds the arguments need, builds them, and runs `fuzz --root R --bin DIR ARGS`; this
// file parses the arguments, resolves every path and runs one job per target (tools/fuzz_job.h).
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>

#include "oracle/executor.h"
#include "program/fuzz_encoding.h"
#include "program/heap_format.h"
#include "tools/cli_util.h"
#include "tools/fuzz_job.h"
#include "tools/fuzz_process.h"
#include "tools/fuzz_targets.h"
#include "tools/side_options.h"

namespace heaptwin::cli {

namespace {

constexpr const char* kHelpHead =
    "usage: ./heaptwin fuzz [--target T|all] [--engine libfuzzer|afl] [--time S] [--jobs N]\n"
    "                       [--runs N] [--seed N] [--no-seeds] [--findings DIR] [--progress S]\n"
    "                       [--glibc V | --libc PATH]\n"
    "       ./heaptwin fuzz --merge [--target T|all] [--engine libfuzzer|afl] [--findings DIR]\n\n"
    "The fuzzing job: S seconds (default 60; 0: until Ctrl-C) of the main target, or of the named\n"
    "one (--target all: every target, the time split between them), with one job per core.\n"
    "Targets (fuzz/targets.txt):\n";

constexpr const char* kHelpTail =
    "The twin checks its heap after every op in every target (and its blocks' contents where no\n"
    "glibc side runs). The first finding stops the target: its report (the first differing op,\n"
    "both outcomes, the input as a .heap script) is printed.\n\n"
    "  --engine libfuzzer  (default) clang with ASan+UBSan; N workers share the corpus folder\n"
    "                      (each reloads the others' new inputs every second), each its own seed\n"
    "  --fast-workers      libFuzzer workers after the first without sanitizers (an execution\n"
    "                      costs a third of the CPU; on 2 cores the main job's rate did not\n"
    "                      change, its runners bound it; for machines with more cores)\n"
    "  --engine afl        AFL++ (afl-clang-fast, persistent mode): a main instance and N-1\n"
    "                      secondaries, the first of them with CmpLog\n"
    "  --jobs N            processes per target (default: the number of cores, here %d; 1 with\n"
    "                      --runs or --seed)\n"
    "  --time S            seconds in all (default 60; 0: until Ctrl-C)\n"
    "  --runs N            stop each libFuzzer worker after N executions instead of a time;\n"
    "                      with --seed, a repeatable run: what CI does\n"
    "  --seed N            libFuzzer's random seed (worker i: N+i); AFL++'s -s\n"
    "  --no-seeds          start from the kept corpus alone, not corpus/<target>/ and\n"
    "                      corpus/regressions/<target>/ (with an empty --findings: from nothing)\n"
    "  --findings DIR      where the corpus and crashes are kept (default: findings/)\n"
    "  --progress S        a progress line every S seconds (default 5; 0: none)\n"
    "  --glibc V           fuzz release V: V's twin against real glibc V (twin_vs_glibc, attack;\n"
    "                      threads for 2.35 .. 2.41)\n"
    "                      or against the model (twin_vs_model); findings go to\n"
    "                      findings/glibc-V/ unless --findings says otherwise\n"
    "  --libc PATH         real glibc from this libc.so.6 (or its folder); its release picks\n"
    "                      the twin\n"
    "  --merge             minimise the kept corpus and exit: libFuzzer -merge=1, or afl-cmin\n"
    "                      with --engine afl (the inputs that keep the corpus's coverage)\n"
    "  --result FILE       also write one line per target, tab-separated key=value: found,\n"
    "                      first_finding_seconds, execs, ... (bench/mutants reads it)\n\n"
    "The corpus: the engines read the seeds (corpus/<target>/, corpus/regressions/<target>/, the\n"
    "dictionary corpus/<target>.dict) and keep what they learn in findings/<target>/corpus, which\n"
    "the next run (either engine) starts from. Crashes go to findings/<target>/crashes/, each "
    "with\n"
    "its .heap form beside it; `./heaptwin repro FILE` explains one, `--save NAME` keeps it in\n"
    "corpus/regressions/. Logs: findings/<target>/run/.\n\n"
    "Progress, every few seconds: elapsed time, jobs running, this run's executions and execs/s\n"
    "(over the run, and over the last interval), the corpus (inputs in use, and new inputs kept\n"
    "this run), coverage (libFuzzer: cov = edges, ft = features; AFL++: edges found and bitmap\n"
    "coverage) and findings. A summary per target at the end.\n\n"
    "Exit 0 when nothing was found, 1 when a target found something, 2 bad usage or an engine\n"
    "that could not run.\n";

struct Options {
  std::vector<std::string> targets;
  std::string engine = "libfuzzer";
  double seconds = 60;
  int jobs = 0;  // 0: by default
  uint64_t runs = 0;
  std::optional<uint64_t> seed;
  bool merge = false, no_seeds = false, plan = false, fast_workers = false;
  bool time_given = false;
  double progress = 5;
  std::string findings, result_file, root, bin, cmplog_bin, fast_bin;
  std::string release, libc;  // --glibc / --libc: "" the host's
};

int cores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

void print_help() {
  std::fputs(kHelpHead, stdout);
  for (const auto& t : fuzz_targets()) {
    std::printf("  %-19s %s%s\n", t.name.c_str(), t.summary.c_str(),
                t.role == "main" ? " (the default)" : "");
  }
  std::printf(kHelpTail, cores());
}

bool parse_number(const std::string& s, uint64_t* out) {
  if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos)
    return false;
  *out = std::stoull(s);
  return true;
}

bool parse_seconds(const std::string& s, double* out) {
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || !(v >= 0) || v > 1e7) return false;
  *out = v;
  return true;
}

// Parses args into *o; returns "" or what was wrong.
std::string parse_options(const Args& args, Options* o) {
  bool jobs_given = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= args.size()) return false;
      *out = args[++i];
      return true;
    };
    std::string v;
    uint64_t n = 0;
    if (a == "--target") {
      if (!value(&v)) return "--target needs a name or all";
      if (v == "all") {
        o->targets.clear();
        for (const auto& t : fuzz_targets()) o->targets.push_back(t.name);
      } else if (find_fuzz_target(v) == nullptr) {
        std::string names;
        for (const auto& t : fuzz_targets()) names += (names.empty() ? "" : ", ") + t.name;
        return "unknown target '" + v + "' (" + names + ", all)";
      } else {
        o->targets = {v};
      }
    } else if (a == "--engine") {
      if (!value(&v) || (v != "libfuzzer" && v != "afl")) return "--engine needs libfuzzer or afl";
      o->engine = v;
    } else if (a == "--time") {
      if (!value(&v) || !parse_seconds(v, &o->seconds))
        return "--time needs seconds (0: until Ctrl-C)";
      o->time_given = true;
    } else if (a == "--jobs") {
      if (!value(&v) || !parse_number(v, &n) || n < 1 || n > 256)
        return "--jobs needs a count from 1 to 256";
      o->jobs = static_cast<int>(n);
      jobs_given = true;
    } else if (a == "--runs") {
      if (!value(&v) || !parse_number(v, &n) || n < 1) return "--runs needs a count >= 1";
      o->runs = n;
    } else if (a == "--seed") {
      if (!value(&v) || !parse_number(v, &n)) return "--seed needs a number";
      o->seed = n;
    } else if (a == "--progress") {
      if (!value(&v) || !parse_seconds(v, &o->progress))
        return "--progress needs seconds (0: none)";
    } else if (a == "--findings") {
      if (!value(&o->findings) || o->findings.empty()) return "--findings needs a folder";
    } else if (a == "--result") {
      if (!value(&o->result_file) || o->result_file.empty()) return "--result needs a file";
    } else if (a == "--glibc") {
      if (!value(&v)) return "--glibc needs a version (e.g. 2.31)";
      if (std::string e; !known_glibc_version(v, &e)) return e;
      o->release = v;
    } else if (a == "--libc") {
      if (!value(&v)) return "--libc needs a libc.so.6 or its folder";
      char real[PATH_MAX];
      if (std::string e; !use_libc_option(v, &o->release, &e)) return e;
      o->libc = ::realpath(v.c_str(), real) ? real : v;
    } else if (a == "--merge") {
      o->merge = true;
    } else if (a == "--no-seeds") {
      o->no_seeds = true;
    } else if (a == "--plan") {
      o->plan = true;
    } else if (a == "--root") {  // given by scripts/fuzz.sh
      if (!value(&o->root)) return "--root needs a folder";
    } else if (a == "--bin") {
      if (!value(&o->bin)) return "--bin needs a folder (a bazel-bin of the engine's build)";
    } else if (a == "--cmplog-bin") {
      if (!value(&o->cmplog_bin)) return "--cmplog-bin needs a folder";
    } else if (a == "--fast-bin") {  // given by scripts/fuzz.sh
      if (!value(&o->fast_bin)) return "--fast-bin needs a folder";
    } else if (a == "--fast-workers") {
      o->fast_workers = true;
    } else {
      return "unknown argument '" + a + "'";
    }
  }
  if (o->targets.empty()) o->targets = {main_fuzz_target().name};
  if (!o->release.empty() && o->release != "2.36") {
    // The reference model is a model of 2.36: twin_vs_model has nothing to say of other releases.
    const size_t before = o->targets.size();
    o->targets.erase(std::remove(o->targets.begin(), o->targets.end(), "twin_vs_model"),
                     o->targets.end());
    if (o->targets.empty())
      return "twin_vs_model compares with the reference model of glibc 2.36 only; with --glibc " +
             o->release + " fuzz twin_vs_glibc or attack";
    if (o->targets.size() != before)
      std::fprintf(stderr, "heaptwin fuzz: twin_vs_model left out (its model follows 2.36 only)\n");
    // threads: the twin models threads in 2.35 .. 2.41 (docs/threads.md); before 2.34 the runner
    // cannot start one. Elsewhere every threaded input is unmodelled or a side error.
    const int minor = std::atoi(o->release.c_str() + 2);  // "2.41" -> 41
    if (minor < 35 || minor > 41) {
      const size_t with = o->targets.size();
      o->targets.erase(std::remove(o->targets.begin(), o->targets.end(), "threads"),
                       o->targets.end());
      if (o->targets.empty())
        return "threads fuzzes releases 2.35 .. 2.41 only (the twin's threads); not " + o->release;
      if (o->targets.size() != with)
        std::fprintf(stderr,
                     "heaptwin fuzz: threads left out (the twin models threads in 2.35 .. 2.41)\n");
    }
  }
  if (o->runs > 0 && o->engine != "libfuzzer") return "--runs is for --engine libfuzzer";
  if (o->runs > 0 && o->time_given) return "--runs and --time: give one of them";
  if (o->runs > 0 && !o->time_given) o->seconds = 0;
  if (o->time_given && o->seconds == 0 && o->targets.size() > 1) {
    return "--time 0 (until Ctrl-C) runs one target: name it with --target";
  }
  if (o->merge && (o->time_given || o->runs > 0 || o->seed || jobs_given || o->no_seeds)) {
    return "--merge minimises the kept corpus and exits: it takes --target, --engine and "
           "--findings only";
  }
  // Repeatable runs need one worker: several share their finds in an order of their timing.
  if (!jobs_given) o->jobs = (o->runs > 0 || o->seed) ? 1 : cores();
  return "";
}

// --fast-workers: libFuzzer workers after the first run a build without sanitizers (.bazelrc
// libfuzzer-fast). An execution costs a third of the CPU there, but on this 2-core machine the
// main job ran at the same rate either way (its glibc runners bound it), and the sanitized
// workers find what the differential check cannot (UBSan found undefined arithmetic in the
// twin's systrim), so it is not the default. Never for repeatable runs (--runs, --seed: CI).
bool uses_fast_workers(const Options& o) {
  return o.fast_workers && o.engine == "libfuzzer" && o.jobs >= 2 && !o.merge && o.runs == 0 &&
         !o.seed;
}

// The builds scripts/fuzz.sh must make: one line "FLAG ENGINE OUTPUT_BASE TARGET..." each.
void print_plan(const Options& o) {
  std::string targets;
  for (const auto& t : o.targets) targets += " " + t;
  std::printf("--bin %s %s%s\n", o.engine.c_str(), o.engine.c_str(), targets.c_str());
  if (o.engine == "afl" && o.jobs >= 2 && !o.merge)
    std::printf("--cmplog-bin afl afl-cmplog%s\n", targets.c_str());
  if (uses_fast_workers(o))
    std::printf("--fast-bin libfuzzer-fast libfuzzer-fast%s\n", targets.c_str());
}

bool is_dir(const std::string& p) { return access((p + "/.").c_str(), F_OK) == 0; }
bool is_file(const std::string& p) { return access(p.c_str(), R_OK) == 0 && !is_dir(p); }

JobPlan plan_for(const Options& o, const std::string& target, double seconds) {
  JobPlan p;
  p.target = target;
  p.engine = o.engine;
  p.jobs = o.jobs;
  p.seconds = seconds;
  p.runs = o.runs;
  p.seed = o.seed;
  p.binary = o.bin + "/fuzz/" + target;
  if (!o.cmplog_bin.empty()) p.cmplog_binary = o.cmplog_bin + "/fuzz/" + target;
  if (!o.fast_bin.empty() && uses_fast_workers(o)) p.fast_binary = o.fast_bin + "/fuzz/" + target;
  const std::string corpus = o.root + "/corpus";
  if (!o.no_seeds) {
    for (const auto& d : {corpus + "/" + target, corpus + "/regressions/" + target}) {
      if (is_dir(d)) p.seed_dirs.push_back(d);
    }
  }
  if (is_file(corpus + "/" + target + ".dict")) p.dict = corpus + "/" + target + ".dict";
  const std::string kept = o.release.empty() || o.release == "2.36"
                               ? o.root + "/findings"
                               : o.root + "/findings/glibc-" + o.release;
  const std::string findings = (o.findings.empty() ? kept : o.findings) + "/" + target;
  p.corpus_dir = findings + "/corpus";
  p.crashes_dir = findings + "/crashes";
  p.work_dir = findings + "/run";
  // Unique to this job: this process's id and start time (no earlier job's leftovers match).
  static const std::string kJobId =
      std::to_string(getpid()) + "-" + std::to_string(static_cast<uint64_t>(wall_seconds() * 1e6));
  p.mark = kJobId + "-" + target;
  return p;
}

// Writes FILE.heap beside every crash input that has none: the Program the target ran.
void write_heap_forms(const std::string& target, const std::string& crashes_dir,
                      const std::string& release) {
  DecodeOptions options;
  const JudgeConfig* config = fuzz_target_config(target);
  if (config) options = config->decode;
  for (const auto& name : list_files(crashes_dir)) {
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".heap") == 0) continue;
    if (name.find(".tmp") != std::string::npos) continue;
    const std::string path = crashes_dir + "/" + name;
    if (is_file(path + ".heap")) continue;
    std::string error;
    auto bytes = read_file(path, &error);
    if (!bytes) continue;
    Program program =
        config ? decode_input(*config, release, reinterpret_cast<const uint8_t*>(bytes->data()),
                              bytes->size())
               : decode_fuzz(*bytes, options);
    std::string text = "# decoded from " + name + " (" + std::to_string(bytes->size()) +
                       " bytes, " + std::to_string(program.ops.size()) + " ops) as " + target +
                       " runs it\n" + print_heap(program);
    write_file_atomic(path + ".heap", text, &error);
  }
}

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, s < 10 ? "%.1f s" : "%.0f s", s);
  return buf;
}

std::string summary_line(const JobPlan& plan, const JobResult& r) {
  const double rate = RateMeter::average(r.seconds, r.execs);
  std::string line = plan.target + "  " + seconds_text(r.seconds) + "  " + with_commas(r.execs) +
                     " execs  " + with_commas(static_cast<uint64_t>(rate + 0.5)) +
                     " execs/s  corpus " + with_commas(r.corpus) + " (+" +
                     with_commas(r.corpus_new) + " kept)";
  if (!r.coverage.empty()) line += "  " + r.coverage;
  if (!r.findings.empty()) {
    line += "  FINDING after " + seconds_text(r.first_finding_seconds) + " (" +
            with_commas(r.execs_at_first_finding) + " execs): " + r.findings.front().path;
    if (r.findings.size() > 1) line += " and " + std::to_string(r.findings.size() - 1) + " more";
  } else if (!r.failure.empty()) {
    line += "  FAILED";
  } else {
    line += r.interrupted ? "  interrupted" : "  ok";
  }
  return line;
}

void append_result(const std::string& file, const JobPlan& plan, const JobResult& r) {
  std::ofstream out(file, std::ios::app);
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "target=%s\tengine=%s\tjobs=%d\tseconds=%.2f\texecs=%llu\tfound=%d\t"
                "first_finding_seconds=%.2f\tfirst_finding_execs=%llu\tfailed=%d\t",
                plan.target.c_str(), plan.engine.c_str(), plan.jobs, r.seconds,
                static_cast<unsigned long long>(r.execs), r.findings.empty() ? 0 : 1,
                r.first_finding_seconds, static_cast<unsigned long long>(r.execs_at_first_finding),
                r.failure.empty() ? 0 : 1);
  out << buf << "first_finding=" << (r.findings.empty() ? "" : r.findings.front().path) << "\n";
}

extern "C" void on_stop_signal(int) { request_stop(); }

int run_targets(const Options& o) {
  struct sigaction sa = {};
  sa.sa_handler = on_stop_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  const double per =
      o.seconds > 0 ? std::max(1.0, o.seconds / static_cast<double>(o.targets.size())) : 0;
  bool found = false, failed = false;
  std::vector<std::string> summary;
  for (const auto& target : o.targets) {
    if (stop_requested()) break;
    JobPlan plan = plan_for(o, target, per);
    std::string how = o.runs > 0 ? "for " + std::to_string(o.runs) + " executions" +
                                       (plan.jobs > 1 ? " per job" : "")
                      : per > 0 ? "for " + seconds_text(per)
                                : "until Ctrl-C";
    const std::string kinds =
        plan.fast_binary.empty() ? ""
        : plan.jobs == 2         ? " (1 with sanitizers, 1 without)"
                         : " (1 with sanitizers, " + std::to_string(plan.jobs - 1) + " without)";
    std::fprintf(stderr, "heaptwin: fuzzing %s %s with %s, %d job%s%s (seeds: %s; kept: %s)\n",
                 target.c_str(), how.c_str(), o.engine.c_str(), plan.jobs,
                 plan.jobs == 1 ? "" : "s", kinds.c_str(),
                 plan.seed_dirs.empty() ? "none" : ("corpus/" + target).c_str(),
                 plan.corpus_dir.c_str());
    JobResult result;
    std::string error;
    if (!run_job(plan, o.progress, &result, &error)) {
      std::fprintf(stderr, "heaptwin fuzz: %s: %s\n", target.c_str(), error.c_str());
      failed = true;
      continue;
    }
    write_heap_forms(target, plan.crashes_dir, o.release);
    if (!result.failure.empty()) {
      std::fprintf(stderr, "heaptwin fuzz: %s: %s", target.c_str(), result.failure.c_str());
      failed = true;
    }
    if (!result.findings.empty()) {
      found = true;
      std::fprintf(stderr,
                   "heaptwin: %s: FINDING, saved as %s (and .heap beside it); "
                   "./heaptwin repro FILE explains it\n",
                   target.c_str(), result.findings.front().path.c_str());
    }
    summary.push_back(summary_line(plan, result));
    if (!o.result_file.empty()) append_result(o.result_file, plan, result);
  }
  std::printf("fuzz summary (%s, %d job%s):\n", o.engine.c_str(), o.jobs, o.jobs == 1 ? "" : "s");
  for (const auto& line : summary) std::printf("  %s\n", line.c_str());
  std::fflush(stdout);
  if (found) return kExitFound;
  return failed ? kExitUsage : kExitOk;
}

int merge_targets(const Options& o) {
  bool failed = false;
  for (const auto& target : o.targets) {
    std::string error;
    if (!merge_corpus(plan_for(o, target, 0), &error)) {
      std::fprintf(stderr, "heaptwin fuzz: %s: %s\n", target.c_str(), error.c_str());
      failed = true;
    }
  }
  return failed ? kExitUsage : kExitOk;
}

}  // namespace

int cmd_fuzz(const Args& args) {
  Options o;
  if (wants_help(args)) {
    // scripts/fuzz.sh asks for a plan first: no build is needed to print the help.
    for (const auto& a : args) {
      if (a == "--plan") return kExitOk;
    }
    print_help();
    return kExitOk;
  }
  std::string problem = parse_options(args, &o);
  // The targets read the release from their environment (fuzz/differential.cc).
  if (!o.libc.empty())
    ::setenv("HEAPTWIN_LIBC", o.libc.c_str(), 1);
  else if (!o.release.empty())
    ::setenv("HEAPTWIN_GLIBC", o.release.c_str(), 1);
  if (!problem.empty()) return usage_error("fuzz", problem);
  if (o.plan) {
    print_plan(o);
    return kExitOk;
  }
  if (o.bin.empty()) {
    return usage_error("fuzz",
                       "no engine build given: run it as ./heaptwin fuzz, which builds the "
                       "targets for the engine and passes --bin");
  }
  if (o.root.empty()) {
    char cwd[4096];
    o.root = getcwd(cwd, sizeof cwd) ? cwd : ".";
  }
  for (const auto& t : o.targets) {
    std::string bin = o.bin + "/fuzz/" + t;
    if (access(bin.c_str(), X_OK) != 0)
      return usage_error("fuzz", "no " + o.engine + " build of " + t + " at " + bin);
  }
  return o.merge ? merge_targets(o) : run_targets(o);
}

}  // namespace heaptwin::cli
