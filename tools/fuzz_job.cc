#include "tools/fuzz_job.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "tools/fuzz_process.h"

namespace heaptwin::cli {

namespace {

volatile sig_atomic_t g_stop = 0;

// How long the engines get to stop after SIGINT (print final stats, AFL++ writes its files)
// before they are killed.
constexpr double kStopGraceSeconds = 15;
// How long the process that made a finding gets to finish writing it before the job stops.
constexpr double kFindingGraceSeconds = 10;
constexpr useconds_t kPollMicros = 100 * 1000;

std::unique_ptr<EngineJob> make_job(const JobPlan& plan) {
  return plan.engine == "afl" ? make_afl_job(plan) : make_libfuzzer_job(plan);
}

}  // namespace

void request_stop() { g_stop = 1; }
bool stop_requested() { return g_stop != 0; }

bool run_job(const JobPlan& plan, double progress_every, JobResult* result, std::string* error) {
  for (const auto& dir : {plan.corpus_dir, plan.crashes_dir, plan.work_dir}) {
    if (!make_dirs(dir, error)) return false;
  }
  std::unique_ptr<EngineJob> job = make_job(plan);
  const double t0 = monotonic_seconds(), wall0 = wall_seconds();
  if (!job->start(error)) {
    job->kill();
    end_marked_processes(plan.mark);
    return false;
  }
  RateMeter meter;
  double next_progress = progress_every, stop_sent = -1, finding_seen = -1;
  bool killed = false;
  JobSample s;
  for (;;) {
    usleep(kPollMicros);
    s = job->poll();
    const double now = monotonic_seconds() - t0;
    s.seconds = now;
    if (result->first_finding_seconds < 0 && !job->findings().empty()) {
      result->first_finding_seconds = std::max(0.0, job->findings().front().found_at - wall0);
      result->execs_at_first_finding = s.execs;
    }
    bool time_up = plan.seconds > 0 && now >= plan.seconds;
    bool found = false;
    if (!job->findings().empty()) {
      if (finding_seen < 0) finding_seen = now;
      found = job->findings_written() || now - finding_seen > kFindingGraceSeconds;
    }
    if (stop_sent < 0 && (stop_requested() || time_up || found)) {
      result->interrupted = stop_requested();
      job->stop();
      stop_sent = now;
    }
    if (job->all_exited()) break;
    if (stop_sent >= 0 && !killed && now - stop_sent > kStopGraceSeconds) {
      std::fprintf(stderr, "  %s: the engine did not stop within %.0f s of SIGINT: killed\n",
                   plan.target.c_str(), kStopGraceSeconds);
      job->kill();
      killed = true;
    }
    if (progress_every > 0 && now >= next_progress) {
      std::fprintf(stderr, "  %s\n",
                   format_progress(plan.target, s, meter.now(now, s.execs)).c_str());
      next_progress += progress_every;
    }
  }
  // Processes the targets started and left behind (a glibc runner whose target was killed).
  end_marked_processes(plan.mark);
  job->finish();
  JobSample last = job->poll();
  result->seconds = monotonic_seconds() - t0;
  result->execs = std::max(s.execs, last.execs);
  result->corpus = last.corpus;
  result->corpus_new = last.corpus_new;
  result->coverage = last.coverage;
  result->findings = job->findings();
  if (result->first_finding_seconds < 0 && !result->findings.empty()) {
    result->first_finding_seconds = std::max(0.0, result->findings.front().found_at - wall0);
    result->execs_at_first_finding = result->execs;
  }
  if (result->findings.empty()) result->failure = job->failure();
  if (!result->findings.empty()) {
    std::string report = job->report_of(result->findings.front());
    if (!report.empty()) std::printf("%s", report.c_str());
  }
  return true;
}

int run_to_end(const std::vector<std::string>& argv, const std::vector<std::string>& env,
               const std::string& log_path, double timeout_seconds) {
  Process p;
  std::string error;
  if (!p.start({argv, env, log_path}, 0, &error)) {
    std::fprintf(stderr, "heaptwin: %s\n", error.c_str());
    return -1;
  }
  const double t0 = monotonic_seconds();
  while (!p.exited()) {
    usleep(20 * 1000);
    if (timeout_seconds > 0 && monotonic_seconds() - t0 > timeout_seconds) {
      signal_group(p.pid(), SIGKILL);
    }
    if (stop_requested()) signal_group(p.pid(), SIGINT);
  }
  int st = p.wait_status();
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

bool merge_corpus(const JobPlan& plan, std::string* error) {
  if (!make_dirs(plan.work_dir, error) || !make_dirs(plan.corpus_dir, error)) return false;
  const size_t before = list_files(plan.corpus_dir).size();
  if (before == 0) {
    std::printf("%s: the corpus %s is empty: nothing to minimise\n", plan.target.c_str(),
                plan.corpus_dir.c_str());
    return true;
  }
  const std::string merged = plan.corpus_dir + ".merging", old = plan.corpus_dir + ".old";
  remove_tree(merged);
  remove_tree(old);
  const std::string log = plan.work_dir + "/merge.log";
  const std::vector<std::string> env = {std::string(kJobMarkVariable) + "=" + plan.mark};
  std::vector<std::string> argv;
  if (plan.engine == "afl") {
    // afl-cmin keeps the smallest inputs that together hit every edge (and hit count bucket)
    // the whole corpus hits.
    argv = {"afl-cmin", "-i", plan.corpus_dir, "-o", merged, "--", plan.binary};
  } else {
    if (!make_dirs(merged, error)) return false;
    // -merge=1: the inputs of the second folder that add coverage go to the (empty) first.
    argv = {plan.binary,
            "-merge=1",
            "-merge_control_file=" + plan.work_dir + "/merge.control",
            "-detect_leaks=0",
            "-rss_limit_mb=4096",
            "-timeout=25",
            merged,
            plan.corpus_dir};
  }
  std::fprintf(stderr, "heaptwin: minimising %s (%zu inputs) with %s; output in %s\n",
               plan.corpus_dir.c_str(), before,
               plan.engine == "afl" ? "afl-cmin" : "libFuzzer -merge=1", log.c_str());
  std::vector<std::string> full_env = env;
  if (plan.engine == "afl")
    full_env.insert(full_env.end(), {"AFL_SKIP_CPUFREQ=1", "AFL_NO_AFFINITY=1"});
  int rc = run_to_end(argv, full_env, log, 0);
  end_marked_processes(plan.mark);
  const size_t after = list_files(merged).size();
  if (rc != 0 || (after == 0 && before > 0)) {
    remove_tree(merged);
    *error = "minimising " + plan.corpus_dir + " failed (exit " + std::to_string(rc) +
             "); the corpus is unchanged; see " + log;
    return false;
  }
  if (std::rename(plan.corpus_dir.c_str(), old.c_str()) != 0 ||
      std::rename(merged.c_str(), plan.corpus_dir.c_str()) != 0) {
    *error = "cannot replace " + plan.corpus_dir + " with " + merged;
    return false;
  }
  remove_tree(old);
  std::printf("%s: corpus minimised: %zu -> %zu inputs (%s)\n", plan.target.c_str(), before, after,
              plan.corpus_dir.c_str());
  return true;
}

}  // namespace heaptwin::cli
