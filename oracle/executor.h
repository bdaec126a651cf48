// The executor: runs one Program on several sides and gives one verdict. Every command that
// judges a Program goes through it (the fuzz targets, heaptwin diff and repro, the random
// agreement runs, the benchmarks), so an input gets the same verdict whichever runs it.
//
// What it does, in order: the comparability rules that refuse a Program before it runs
// (oracle/comparability.h); every side started at once (a side in another process, the glibc
// runner, works while this process runs the twin); the outcomes of every op compared, and the
// arena after every op through its digest (oracle/arena_walk.h) where two sides report one; the
// twin's own checks (heap checker, block rules) as findings; a divergence excused when a rule
// says no side can predict the other there. Where digests differ, the Program is run again up to
// that op with full snapshots, so the report names the first bin that differs.
#ifndef HEAPTWIN_ORACLE_EXECUTOR_H_
#define HEAPTWIN_ORACLE_EXECUTOR_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "oracle/comparability.h"
#include "oracle/differ.h"
#include "oracle/side.h"
#include "program/fuzz_encoding.h"

namespace heaptwin {

// What a run compares and checks.
struct JudgeConfig {
  std::string name;                // "twin_vs_glibc", or the command's name
  std::vector<std::string> sides;  // make_side names; the twin first when it takes part
  // The arena after every op, as a digest, between every two sides that report one (the twin
  // and real glibc; the model predicts no memory, so it reports none).
  bool compare_state = true;
  // The twin's checks after every op (RunOptions::check_heap / check_contents). The contents
  // rules write into the twin's blocks: never used when a glibc side runs (its blocks would
  // differ), whatever this says.
  bool check_heap = true;
  bool check_contents = false;
  size_t full_check_every = 0;  // the whole heap every N ops too (RunOptions::full_check_every)
  std::vector<std::pair<std::string, std::string>> tunables;  // GLIBC_TUNABLES entries
  int timeout_ms = 2000;  // glibc's CPU time per op (the fuzz targets': 200, executor.cc)
  // What calloc and M_PERTURB may clear or fill in all (touches_too_much_memory); the fuzz
  // targets': 4 MiB (executor.cc).
  uint64_t max_touched_bytes = kMaxTouchedBytes;
  DecodeOptions decode;  // how fuzz inputs decode for this configuration
  // The comparability rules (oracle/comparability.h). Off only to show what a rule excuses: its
  // scenario then diverges (tests/comparability/).
  bool apply_rules = true;
};

// The configuration of a differential fuzz target: "twin_vs_glibc", "twin_vs_model", "attack",
// "threads";
// nullptr for any other name.
const JudgeConfig* fuzz_target_config(const std::string& name);
// Their names, in the order above.
std::vector<std::string> fuzz_target_names();

// A fuzz input as target `config` runs it on release `release` ("" the host's): decoded with the
// target's options, and with the encoding's safe-linked pointers written plain on a release
// without safe-linking (an attacker writes them as the release stores them). The fuzz targets,
// `repro` and the crash's .heap form all decode through here.
Program decode_input(const JudgeConfig& config, const std::string& release, const uint8_t* data,
                     size_t size);

struct Verdict {
  enum class Kind {
    kAgree,    // every side agrees on every op compared
    kRefused,  // a rule keeps the Program from running (`rule`)
    kExcused,  // the sides diverge where a rule says no side can predict another (`rule`)
    kFinding,  // a divergence, a broken rule of the twin's checks, or a side that failed
  };
  Kind kind = Kind::kAgree;
  std::optional<ComparabilityRule> rule;
  std::vector<Trace> traces;  // one per side, in the config's order
  DiffResult diff;
  // The states were compared through digests and these differed at diff.first.op_index, but
  // the snapshots of a second run agree there: the digest saw a difference the snapshots do not
  // hold (a bug of the digest), reported as a finding.
  bool digest_only = false;
  // What of the state was not compared, and why: the other threads' tcaches of a Program with
  // threads, when a side cannot find them (RunOptions::thread_tcaches). Empty: all of it was.
  std::string not_compared;

  bool finding() const { return kind == Kind::kFinding; }
  // For people: the side failures, broken rules, the first divergence (the ops before it, both
  // outcomes, the first bin that differs), and what was not compared.
  std::string report(const Program& program) const;
  // A finding in one line (differ.h format_headline): what every report says first.
  std::string headline(const Program& program) const {
    return format_headline(program, traces, diff);
  }
};

class Executor {
 public:
  // Starts the sides; nullptr and *error when one cannot be set up.
  static std::unique_ptr<Executor> create(const JudgeConfig& config, std::string* error);
  // With sides made elsewhere (a model with a planted bug, a side under test); the config's
  // `sides` become their names.
  static std::unique_ptr<Executor> with_sides(JudgeConfig config,
                                              std::vector<std::unique_ptr<Side>> sides);

  const JudgeConfig& config() const { return config_; }
  const std::vector<std::unique_ptr<Side>>& sides() const { return sides_; }

  Verdict judge(const Program& program);
  // The sides run `program` with full snapshots after every op (for reports that show the heap
  // before and after an op): the options judge() uses, with snapshots.
  std::vector<Trace> run_with_snapshots(const Program& program);

  // The options the sides run with (the same for every side).
  RunOptions run_options() const;
  // Why the other threads' tcaches are not compared (a side that reports its arena cannot find
  // them: Side::thread_tcaches_unknown); empty when they are.
  std::string thread_tcaches_unknown() const;

 private:
  Executor(JudgeConfig config, std::vector<std::unique_ptr<Side>> sides)
      : config_(std::move(config)), sides_(std::move(sides)) {}
  std::vector<Trace> run_all(const Program& program, const RunOptions& options);
  bool ran_out_of_time_alone(const std::vector<Trace>& traces, const DiffResult& d) const;
  // Whether a side that reports its arena returned no digests (it cannot compute them).
  bool digests_missing(const std::vector<Trace>& traces) const;
  // Digests differed at the first divergence: the states again, as snapshots.
  void explain_state(const Program& program, Verdict* verdict);

  JudgeConfig config_;
  std::vector<std::unique_ptr<Side>> sides_;
  bool glibc_runs_ = false;
};

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_EXECUTOR_H_
