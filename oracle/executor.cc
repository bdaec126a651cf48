#include "oracle/executor.h"

#include "program/fuzz_encoding.h"

#include <algorithm>

#include "program/heap_format.h"

namespace heaptwin {

namespace {

std::vector<JudgeConfig> make_fuzz_targets() {
  // The twin against the model, in this process: outcomes only (the model predicts no memory),
  // the twin's heap checker and its contents rules (nothing compares its memory with glibc's).
  JudgeConfig model;
  model.name = "twin_vs_model";
  model.sides = {"twin", "model"};
  model.compare_state = false;
  model.check_contents = true;
  model.decode.allow_corruption = false;
  // The main job: the twin against real glibc, outcomes and the arena after every op.
  JudgeConfig glibc;
  glibc.name = "twin_vs_glibc";
  glibc.sides = {"twin", "glibc"};
  glibc.compare_state = true;
  glibc.decode.allow_corruption = false;
  // Corruption (write8): every outcome, abort message and fault; the arena is not compared
  // (after a corruption it holds whatever the Program forged, addresses of each process).
  JudgeConfig attack;
  attack.name = "attack";
  attack.sides = {"twin", "glibc"};
  attack.compare_state = false;
  attack.decode.allow_corruption = true;
  // Threads (format v3's `tN:` ops): the twin against real glibc as twin_vs_glibc judges it,
  // with each op on the thread it names (real threads in the runner, docs/threads.md). A target
  // of its own: the runner starts a child for every Program that made a thread, so its inputs
  // run several times slower than the main job's, which keeps threads off.
  JudgeConfig threads = glibc;
  threads.name = "threads";
  std::vector<JudgeConfig> all = {model, glibc, attack, threads};
  for (auto& c : all) {
    c.decode.max_ops = 256;
    c.decode.allow_threads = c.name == "threads";
    // glibc's CPU time per op. A Program that makes glibc loop for ever (malloc_trim over a bin
    // that a corruption made cyclic: a madvise each turn) took the whole limit: 2 s each, 4 of
    // the attack corpus's 649 inputs took 8 of the replay's 10 s. An op of at most 256 takes
    // milliseconds (4 MiB touched at most, below: touches_too_much_memory); a timeout the twin does
    // not share is confirmed with the default limit before it counts (Executor::judge).
    c.timeout_ms = 200;
    // Each page glibc touches is a page fault, 10-15 us on the project's VMs (and its teardown
    // again as much): inputs of the main job's corpus that filled tens of MiB with M_PERTURB
    // took 50-130 ms each, and the 10% heaviest took 77% of its time. Under 4 MiB the same
    // corpus ran 3.8x faster; big blocks stay in reach (mmapped chunks, calloc of MiBs), only
    // their sum is bounded.
    c.max_touched_bytes = uint64_t{4} << 20;
  }
  return all;
}

const std::vector<JudgeConfig>& fuzz_targets() {
  static const std::vector<JudgeConfig> targets = make_fuzz_targets();
  return targets;
}

bool is_glibc(const std::string& side) { return side.rfind("glibc", 0) == 0; }

// The Program's first `n` ops (the slots keep their names).
Program prefix(const Program& program, size_t n) {
  Program p;
  p.slot_names = program.slot_names;
  p.ops.assign(program.ops.begin(), program.ops.begin() + static_cast<std::ptrdiff_t>(n));
  return p;
}

}  // namespace

const JudgeConfig* fuzz_target_config(const std::string& name) {
  for (const JudgeConfig& c : fuzz_targets()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::vector<std::string> fuzz_target_names() {
  std::vector<std::string> names;
  for (const JudgeConfig& c : fuzz_targets()) names.push_back(c.name);
  return names;
}

std::unique_ptr<Executor> Executor::create(const JudgeConfig& config, std::string* error) {
  if (config.sides.empty()) {
    *error = "no sides to run";
    return nullptr;
  }
  // The reference model is a model of 2.36 alone: against another release it would only report
  // how that release differs from 2.36.
  for (const std::string& name : config.sides) {
    if (name == "model") continue;
    if (side_release(name) != "2.36" &&
        std::count(config.sides.begin(), config.sides.end(), "model")) {
      *error = "the reference model follows glibc 2.36 only; it cannot judge " + name +
               " (leave 'model' out of the sides for release " + side_release(name) + ")";
      return nullptr;
    }
  }
  std::vector<std::unique_ptr<Side>> sides;
  for (const std::string& name : config.sides) {
    auto side = make_side(name, error);
    if (!side) return nullptr;
    sides.push_back(std::move(side));
  }
  return with_sides(config, std::move(sides));
}

std::unique_ptr<Executor> Executor::with_sides(JudgeConfig config,
                                               std::vector<std::unique_ptr<Side>> sides) {
  config.sides.clear();
  bool glibc = false;
  for (const auto& side : sides) {
    config.sides.push_back(side->name());
    glibc |= is_glibc(side->name());
  }
  std::unique_ptr<Executor> executor(new Executor(std::move(config), std::move(sides)));
  executor->glibc_runs_ = glibc;
  return executor;
}

RunOptions Executor::run_options() const {
  RunOptions options;
  options.digests = config_.compare_state;
  options.thread_tcaches = thread_tcaches_unknown().empty();
  options.check_heap = config_.check_heap;
  options.check_contents = config_.check_contents && !glibc_runs_;
  options.full_check_every = config_.full_check_every;
  options.tunables = config_.tunables;
  options.timeout_ms = config_.timeout_ms;
  return options;
}

std::string Executor::thread_tcaches_unknown() const {
  std::string why;
  for (const auto& side : sides_) {
    if (!side->reports_state()) continue;  // no state at all (the model): nothing to compare
    const std::string w = side->thread_tcaches_unknown();
    if (!w.empty()) why += (why.empty() ? "" : "; ") + w;
  }
  return why;
}

bool Executor::digests_missing(const std::vector<Trace>& traces) const {
  for (size_t i = 0; i < traces.size(); ++i) {
    const Trace& t = traces[i];
    if (sides_[i]->reports_state() && t.error.empty() && t.digests.empty() && !t.outcomes.empty() &&
        !t.outcomes.front().is_fatal()) {
      return true;
    }
  }
  return false;
}

std::vector<Trace> Executor::run_all(const Program& program, const RunOptions& options) {
  // Every side starts before any finishes: the runner's glibc works meanwhile.
  for (auto& side : sides_) side->start(program, options);
  std::vector<Trace> traces;
  traces.reserve(sides_.size());
  for (auto& side : sides_) traces.push_back(side->finish());
  return traces;
}

std::vector<Trace> Executor::run_with_snapshots(const Program& program) {
  RunOptions options = run_options();
  options.digests = false;
  options.snapshots = true;
  return run_all(program, options);
}

// Whether the sides first diverge where some side timed out and another did not, under a limit
// shorter than the default.
bool Executor::ran_out_of_time_alone(const std::vector<Trace>& traces, const DiffResult& d) const {
  if (!d.diverged || config_.timeout_ms >= RunOptions{}.timeout_ms) return false;
  const size_t at = d.first.op_index;
  bool timed_out = false, finished = false;
  for (const Trace& t : traces) {
    if (at >= t.outcomes.size()) continue;
    const bool timeout = t.outcomes[at].kind == OutcomeKind::kTimeout;
    timed_out |= timeout;
    finished |= !timeout;
  }
  return timed_out && finished;
}

Verdict Executor::judge(const Program& program) {
  Verdict verdict;
  if (auto rule = config_.apply_rules ? refused_before_running(program, config_.max_touched_bytes)
                                      : std::nullopt) {
    verdict.kind = Verdict::Kind::kRefused;
    verdict.rule = rule;
    return verdict;
  }
  const RunOptions options = run_options();
  if (config_.compare_state && !options.thread_tcaches && program.uses_threads()) {
    verdict.not_compared =
        "the threads' tcaches (t1 .. t7) were not compared: " + thread_tcaches_unknown() +
        " (docs/threads.md)";
  }
  verdict.traces = run_all(program, options);
  if (options.digests && digests_missing(verdict.traces)) {
    // A side that cannot digest its arena is compared through snapshots instead (slower).
    verdict.traces = run_with_snapshots(program);
  }
  verdict.diff = diff_traces(verdict.traces);
  if (ran_out_of_time_alone(verdict.traces, verdict.diff)) {
    // A short time limit (the fuzz targets') cut an op on one side only: the default limit says
    // whether that side hangs there or was merely slow.
    RunOptions patient = options;
    patient.timeout_ms = RunOptions{}.timeout_ms;
    verdict.traces = run_all(program, patient);
    verdict.diff = diff_traces(verdict.traces);
  }
  const DiffResult& d = verdict.diff;
  if (d.agree()) return verdict;
  verdict.kind = Verdict::Kind::kFinding;
  // Side failures and broken rules always count; a divergence unless no side can compare it.
  if (!d.side_errors.empty() || !d.violations.empty() || !d.diverged) return verdict;
  // States compared through digests: the first op whose states differ comes from snapshots of
  // a second run (a paced digest can see a difference some ops after it began), and the rules
  // judge that op.
  if (d.first.in_state && verdict.traces[d.first.side_a].states.empty()) {
    explain_state(program, &verdict);
  }
  if (auto rule = config_.apply_rules
                      ? excused_divergence(program, verdict.traces, verdict.diff.first.op_index)
                      : std::nullopt) {
    verdict.kind = Verdict::Kind::kExcused;
    verdict.rule = rule;
  }
  return verdict;
}

void Executor::explain_state(const Program& program, Verdict* verdict) {
  const size_t at = verdict->diff.first.op_index;
  std::vector<Trace> again = run_with_snapshots(prefix(program, at + 1));
  DiffResult d = diff_traces(again);
  if (d.diverged && d.first.op_index <= at) {
    verdict->traces = std::move(again);
    verdict->diff = std::move(d);
    return;
  }
  verdict->digest_only = true;
  verdict->diff.first.what =
      "the arena digests differ after this op, but full snapshots of a second run agree (the "
      "digest holds something the snapshot does not: oracle/arena_walk)";
}

std::string Verdict::report(const Program& program) const {
  switch (kind) {
    case Kind::kAgree: {
      std::string out = "the sides agree";
      if (!diff.unmodelled.empty()) out += "; " + compared_until(program, diff);
      return out + "\n" + (not_compared.empty() ? "" : not_compared + "\n");
    }
    case Kind::kRefused:
      return "not compared: " + std::string(rule->id) + " (" + rule->meaning + ")\n";
    case Kind::kExcused:
      return "the sides differ at op " + std::to_string(diff.first.op_index) +
             ", where no side can predict another: " + rule->id + " (" + rule->meaning + ")\n";
    case Kind::kFinding: break;
  }
  std::string out = format_divergence(program, traces, diff);
  if (!diff.unmodelled.empty()) out += compared_until(program, diff);
  if (!not_compared.empty()) out += not_compared + "\n";
  return out;
}

Program decode_input(const JudgeConfig& config, const std::string& release, const uint8_t* data,
                     size_t size) {
  Program program = decode_fuzz(data, size, config.decode);
  if (!has_safe_linking(side_for_release("glibc", release))) program = with_plain_pointers(program);
  return program;
}

}  // namespace heaptwin
