// libFuzzer under heaptwin fuzz: `jobs` independent workers on one corpus folder. Each writes
// the inputs it finds into the kept corpus (the first folder) and reloads the others' every
// second (-reload=1), as libFuzzer's own -jobs/-workers mode does; each has its own seed and log.
// Executions are counted live through fuzz/exec_counter.cc; coverage and corpus come from the
// workers' status lines.
#include <signal.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <fstream>
#include <iterator>
#include <set>

#include "tools/fuzz_job.h"
#include "tools/fuzz_process.h"

namespace heaptwin::cli {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string base_name(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// What libFuzzer writes when an input fails (crash-, timeout-, oom-, leak-), or what another
// engine left in the folder; not .heap forms, files being written, or slow-unit- notes.
bool is_crash_input(const std::string& name) {
  return !ends_with(name, ".heap") && !ends_with(name, ".tmp") &&
         name.find(".tmp.") == std::string::npos && name.compare(0, 10, "slow-unit-") != 0;
}

struct Worker {
  explicit Worker(const std::string& log) : log(log) {}
  Process process;
  LogTail log;
  ExecCounter counter;
  LibFuzzerStatus last;
  uint64_t final_execs = 0;
  std::vector<std::string> artifacts;  // base names
  bool reporting = false;              // it has begun to report a finding
  std::deque<std::string> recent;      // the last lines, for a failure message
};

class LibFuzzerJob : public EngineJob {
 public:
  explicit LibFuzzerJob(JobPlan plan) : plan_(std::move(plan)) {}

  bool start(std::string* error) override {
    for (const auto& f : list_files(plan_.crashes_dir)) known_crashes_.insert(f);
    corpus_at_start_ = list_files(plan_.corpus_dir).size();
    for (int i = 0; i < plan_.jobs; ++i) {
      std::string log = plan_.work_dir + "/libfuzzer-" + std::to_string(i) + ".log";
      auto w = std::make_unique<Worker>(log);
      std::string counter = plan_.work_dir + "/libfuzzer-" + std::to_string(i) + ".execs";
      if (!w->counter.create(counter, error)) return false;
      ProcessSpec spec{
          arguments(i),
          {std::string(kJobMarkVariable) + "=" + plan_.mark, "HEAPTWIN_EXEC_COUNTER=" + counter},
          log};
      if (!w->process.start(spec, group_, error)) return false;
      if (group_ == 0) group_ = w->process.pid();
      workers_.push_back(std::move(w));
    }
    return true;
  }

  JobSample poll() override {
    JobSample s;
    for (auto& w : workers_) {
      read_log(*w);
      if (!w->process.exited()) ++s.jobs_running;
      s.execs += std::max({w->counter.value(), w->last.execs, w->final_execs});
      s.corpus = std::max(s.corpus, w->last.corpus);
      cov_ = std::max(cov_, w->last.cov);
      ft_ = std::max(ft_, w->last.ft);
    }
    collect_findings();
    // The kept corpus can hold thousands of files: counted every few seconds, not every poll.
    if (monotonic_seconds() - corpus_counted_at_ > 2) {
      kept_ = list_files(plan_.corpus_dir).size();
      corpus_counted_at_ = monotonic_seconds();
    }
    s.corpus_new = kept_ > corpus_at_start_ ? kept_ - corpus_at_start_ : 0;
    if (cov_ > 0) s.coverage = "cov " + with_commas(cov_) + " ft " + with_commas(ft_);
    s.findings = findings_.size();
    return s;
  }

  const std::vector<Finding>& findings() const override { return findings_; }
  // libFuzzer prints its report, then writes the input, then exits: a worker that ended on
  // its own has written it (none is stopped before a finding is written).
  bool findings_written() override {
    for (auto& w : workers_) {
      if (w->process.exited()) return true;
    }
    return false;
  }
  // SIGINT to each worker, but not to one that is reporting a finding: libFuzzer would stop
  // before it has written the input. (Their targets' glibc runners die with them.)
  void stop() override {
    stopping_ = true;
    for (auto& w : workers_) {
      read_log(*w);
      if (!w->process.exited() && !w->reporting) ::kill(w->process.pid(), SIGINT);
    }
  }
  void kill() override { signal_group(group_, SIGKILL); }
  bool all_exited() override {
    bool all = true;
    for (auto& w : workers_) all &= w->process.exited();
    return all;
  }
  void finish() override {
    for (auto& w : workers_) read_log(*w);
    collect_findings();
    corpus_counted_at_ = -1e9;  // the last poll counts the kept corpus again
  }

  std::string failure() override {
    for (size_t i = 0; i < workers_.size(); ++i) {
      Worker& w = *workers_[i];
      if (!w.process.exited() || !w.artifacts.empty() || stopping_) continue;
      int st = w.process.wait_status();
      if (WIFEXITED(st) && WEXITSTATUS(st) == 0) continue;
      std::string what = "libFuzzer worker " + std::to_string(i) + " ended (" +
                         w.process.describe_exit() + ") without a finding; the end of " +
                         w.log.path() + ":\n";
      for (const auto& l : w.recent) what += "  " + l + "\n";
      return what;
    }
    return "";
  }

  std::string report_of(const Finding& finding) override {
    const std::string name = base_name(finding.path);
    for (auto& w : workers_) {
      if (std::find(w->artifacts.begin(), w->artifacts.end(), name) != w->artifacts.end()) {
        return finding_report(read_all(w->log.path()), 40);
      }
    }
    return "";
  }

 private:
  std::vector<std::string> arguments(int i) const {
    const bool fast = i > 0 && !plan_.fast_binary.empty();
    std::vector<std::string> a = {fast ? plan_.fast_binary : plan_.binary,
                                  "-artifact_prefix=" + plan_.crashes_dir + "/",
                                  "-print_final_stats=1", "-detect_leaks=0", "-rss_limit_mb=4096",
                                  // A hang is a finding; no Program of the encoding's length
                                  // takes anywhere near this (libFuzzer's default is 20 minutes).
                                  "-timeout=25",
                                  // An input that is slow because the machine is busy is no
                                  // finding; libFuzzer would write it beside the crashes.
                                  "-report_slow_units=1000000", "-reload=1"};
    if (!plan_.dict.empty()) a.push_back("-dict=" + plan_.dict);
    if (plan_.seed) a.push_back("-seed=" + std::to_string(*plan_.seed + static_cast<uint64_t>(i)));
    if (plan_.runs > 0) a.push_back("-runs=" + std::to_string(plan_.runs));
    // heaptwin stops the workers at the time limit; this only bounds a worker left alone.
    if (plan_.seconds > 0)
      a.push_back("-max_total_time=" +
                  std::to_string(static_cast<uint64_t>(std::ceil(plan_.seconds)) + 30));
    a.push_back(plan_.corpus_dir);
    for (const auto& d : plan_.seed_dirs) a.push_back(d);
    return a;
  }

  void read_log(Worker& w) {
    for (auto& line : w.log.new_lines()) {
      if (auto st = parse_libfuzzer_status(line)) {
        w.last = *st;
      } else if (auto stat = parse_libfuzzer_final_stat(line)) {
        if (stat->first == "number_of_executed_units") w.final_execs = stat->second;
      } else if (auto artifact = parse_libfuzzer_artifact(line)) {
        w.artifacts.push_back(base_name(*artifact));
      }
      if (line.compare(0, 13, "==== heaptwin") == 0 ||
          line.find("ERROR: libFuzzer") != std::string::npos ||
          line.find("ERROR: AddressSanitizer") != std::string::npos ||
          line.find("runtime error:") != std::string::npos) {
        w.reporting = true;
      }
      w.recent.push_back(std::move(line));
      if (w.recent.size() > 15) w.recent.pop_front();
    }
  }

  void collect_findings() {
    for (const auto& name : list_files(plan_.crashes_dir)) {
      if (!is_crash_input(name) || !known_crashes_.insert(name).second) continue;
      std::string path = plan_.crashes_dir + "/" + name;
      findings_.push_back({path, file_mtime(path)});
    }
    std::stable_sort(findings_.begin(), findings_.end(),
                     [](const Finding& a, const Finding& b) { return a.found_at < b.found_at; });
  }

  JobPlan plan_;
  pid_t group_ = 0;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::set<std::string> known_crashes_;
  std::vector<Finding> findings_;
  size_t corpus_at_start_ = 0, kept_ = 0;
  double corpus_counted_at_ = -1e9;
  uint64_t cov_ = 0, ft_ = 0;
  bool stopping_ = false;
};

}  // namespace

std::unique_ptr<EngineJob> make_libfuzzer_job(const JobPlan& plan) {
  return std::make_unique<LibFuzzerJob>(plan);
}

}  // namespace heaptwin::cli
