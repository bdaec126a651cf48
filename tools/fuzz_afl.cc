// AFL++ under heaptwin fuzz: one main instance and jobs-1 secondaries (the first of them with
// CmpLog), syncing through one output folder. Each run starts from the seeds and the kept corpus
// (hard links in a fresh input folder), in a fresh output folder, so AFL++'s counters are this
// run's; at the end the queue's new entries join the kept corpus, which libFuzzer runs read
// too. Progress: executions from the targets' counters (fuzz/exec_counter.cc), corpus and
// coverage from each instance's fuzzer_stats.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include "tools/fuzz_job.h"
#include "tools/fuzz_process.h"

namespace heaptwin::cli {

namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A name for an input by its contents (FNV-1a, 64 bits): the same input is kept once.
std::string content_name(const std::string& bytes) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
  char buf[32];
  std::snprintf(buf, sizeof buf, "afl-%016llx", static_cast<unsigned long long>(h));
  return buf;
}

bool copy_file(const std::string& from, const std::string& to) {
  std::string bytes = read_all(from);
  std::string tmp = to + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) return false;
  }
  return std::rename(tmp.c_str(), to.c_str()) == 0;
}

// Links (or copies) `from` as `to`: AFL++ reads regular files only, not symlinks.
bool link_or_copy(const std::string& from, const std::string& to) {
  return ::link(from.c_str(), to.c_str()) == 0 || copy_file(from, to);
}

// The instance folders of an AFL++ output folder: main, s1, s2, ...
std::vector<std::string> list_instances(const std::string& out_dir) {
  std::vector<std::string> names;
  for (const char* n : {"main"}) {
    if (access((out_dir + "/" + n + "/queue").c_str(), F_OK) == 0) names.emplace_back(n);
  }
  for (int i = 1; i < 256; ++i) {
    std::string n = "s" + std::to_string(i);
    if (access((out_dir + "/" + n + "/queue").c_str(), F_OK) != 0) break;
    names.push_back(n);
  }
  return names;
}

// Keeps the new entries of every instance's queue (not the seeds it started from) in corpus.
int export_queues(const std::string& out_dir, const std::string& corpus_dir) {
  // By contents: the corpus may hold the same input under libFuzzer's name (its SHA-1).
  std::set<std::string> have;
  for (const auto& n : list_files(corpus_dir))
    have.insert(content_name(read_all(corpus_dir + "/" + n)));
  int added = 0;
  for (const auto& inst : list_instances(out_dir)) {
    std::string queue = out_dir + "/" + inst + "/queue";
    for (const auto& name : list_files(queue)) {
      if (name.compare(0, 3, "id:") != 0 || name.find(",orig:") != std::string::npos) continue;
      std::string bytes = read_all(queue + "/" + name);
      if (bytes.empty()) continue;
      std::string keep = content_name(bytes);
      if (!have.insert(keep).second) continue;
      if (copy_file(queue + "/" + name, corpus_dir + "/" + keep)) ++added;
    }
  }
  return added;
}

}  // namespace

namespace {

struct Instance {
  explicit Instance(std::string name, const std::string& log) : name(std::move(name)), log(log) {}
  std::string name;
  Process process;
  LogTail log;
  ExecCounter counter;
  std::optional<AflStats> stats;
  std::set<std::string> crashes_seen;
  std::string failure_line;
};

class AflJob : public EngineJob {
 public:
  explicit AflJob(JobPlan plan)
      : plan_(std::move(plan)),
        out_dir_(plan_.work_dir + "/afl"),
        in_dir_(plan_.work_dir + "/afl-in") {}

  bool start(std::string* error) override {
    // A run that was killed before it could keep its queue: keep it now.
    if (access(out_dir_.c_str(), F_OK) == 0 && access(kept_marker().c_str(), F_OK) != 0) {
      export_queues(out_dir_, plan_.corpus_dir);
    }
    remove_tree(out_dir_);
    if (!prepare_inputs(error)) return false;
    for (const auto& f : list_files(plan_.crashes_dir)) known_crashes_.insert(f);
    for (int i = 0; i < plan_.jobs; ++i) {
      std::string name = i == 0 ? "main" : "s" + std::to_string(i);
      auto inst = std::make_unique<Instance>(name, plan_.work_dir + "/afl-" + name + ".log");
      std::string counter = plan_.work_dir + "/afl-" + name + ".execs";
      if (!inst->counter.create(counter, error)) return false;
      ProcessSpec spec{
          arguments(i, name),
          {"AFL_SKIP_CPUFREQ=1", "AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1", "AFL_NO_UI=1",
           "AFL_NO_AFFINITY=1", std::string(kJobMarkVariable) + "=" + plan_.mark,
           "HEAPTWIN_EXEC_COUNTER=" + counter},
          inst->log.path()};
      if (!inst->process.start(spec, group_, error)) return false;
      if (group_ == 0) group_ = inst->process.pid();
      instances_.push_back(std::move(inst));
    }
    return true;
  }

  JobSample poll() override {
    JobSample s;
    uint64_t best_edges = 0;
    double best_cvg = 0;
    bool any_stats = false;
    for (auto& inst : instances_) {
      read_log(*inst);
      if (!inst->process.exited()) ++s.jobs_running;
      std::string text = read_all(out_dir_ + "/" + inst->name + "/fuzzer_stats");
      if (auto st = parse_afl_stats(text)) inst->stats = st;
      collect_crashes(*inst);
      // Executions live from the target's counter (AFL++ rewrites fuzzer_stats about once a
      // minute without its screen); corpus and coverage as of its last fuzzer_stats.
      s.execs += std::max(inst->counter.value(), inst->stats ? inst->stats->execs_done : 0);
      if (!inst->stats) continue;
      any_stats = true;
      s.corpus = std::max(s.corpus, inst->stats->corpus_count);
      s.corpus_new += inst->stats->corpus_found;
      if (inst->stats->edges_found >= best_edges) {
        best_edges = inst->stats->edges_found;
        best_cvg = inst->stats->bitmap_cvg;
      }
    }
    char cov[64];
    std::snprintf(cov, sizeof cov, "edges %s (%.2f%%)", with_commas(best_edges).c_str(), best_cvg);
    s.coverage = any_stats ? cov : "(calibrating the seeds)";
    s.findings = findings_.size();
    return s;
  }

  const std::vector<Finding>& findings() const override { return findings_; }
  // afl-fuzz writes a crash itself and finishes what it writes when told to stop; the copy in
  // crashes_dir is made whole before it is listed.
  bool findings_written() override { return true; }
  void stop() override {
    stopping_ = true;
    signal_group(group_, SIGINT);
  }
  void kill() override { signal_group(group_, SIGKILL); }
  bool all_exited() override {
    bool all = true;
    for (auto& inst : instances_) all &= inst->process.exited();
    return all;
  }

  void finish() override {
    for (auto& inst : instances_) {
      read_log(*inst);
      collect_crashes(*inst);
    }
    int added = export_queues(out_dir_, plan_.corpus_dir);
    std::ofstream(kept_marker()).put('\n');  // the output folder stays for a look, kept once
    remove_tree(in_dir_);
    if (added > 0) {
      std::fprintf(stderr, "  %s: %d new input(s) of AFL++'s queue kept in %s\n",
                   plan_.target.c_str(), added, plan_.corpus_dir.c_str());
    }
  }

  std::string failure() override {
    for (auto& inst : instances_) {
      if (!inst->process.exited() || stopping_ || !findings_.empty()) continue;
      std::string what =
          "afl-fuzz " + inst->name + " ended (" + inst->process.describe_exit() + ")";
      if (!inst->failure_line.empty()) what += ": " + inst->failure_line;
      return what + "\n  its output: " + inst->log.path() + "\n";
    }
    return "";
  }

  // AFL++ keeps the target's output to itself: run the input once more through the same build
  // (libAFLDriver runs a file given as an argument once).
  std::string report_of(const Finding& finding) override {
    std::string log = plan_.work_dir + "/replay-" + std::to_string(++replays_) + ".log";
    run_to_end({plan_.binary, finding.path}, {std::string(kJobMarkVariable) + "=" + plan_.mark},
               log, 60);
    return finding_report(read_all(log), 40);
  }

 private:
  bool prepare_inputs(std::string* error) {
    remove_tree(in_dir_);
    if (!make_dirs(in_dir_, error)) return false;
    int n = 0;
    std::vector<std::string> dirs = plan_.seed_dirs;
    dirs.push_back(plan_.corpus_dir);
    for (size_t d = 0; d < dirs.size(); ++d) {
      for (const auto& name : list_files(dirs[d])) {
        if (ends_with(name, ".heap")) continue;  // regressions keep their readable form beside
        link_or_copy(dirs[d] + "/" + name, in_dir_ + "/" + std::to_string(d) + "-" + name);
        ++n;
      }
    }
    if (n == 0) {  // AFL++ needs one input; any bytes decode to a Program
      std::ofstream(in_dir_ + "/empty", std::ios::binary).put('\0');
    }
    return true;
  }

  std::string kept_marker() const { return out_dir_ + "/.kept"; }

  std::vector<std::string> arguments(int i, const std::string& name) const {
    std::vector<std::string> a = {"afl-fuzz",           "-i", in_dir_, "-o", out_dir_,
                                  i == 0 ? "-M" : "-S", name};
    if (!plan_.dict.empty()) a.insert(a.end(), {"-x", plan_.dict});
    bool cmplog = !plan_.cmplog_binary.empty() && (i == 1 || plan_.jobs == 1);
    if (cmplog) a.insert(a.end(), {"-c", plan_.cmplog_binary});
    if (plan_.seed)
      a.insert(a.end(), {"-s", std::to_string(*plan_.seed + static_cast<uint64_t>(i))});
    a.insert(a.end(), {"--", plan_.binary});
    return a;
  }

  void read_log(Instance& inst) {
    for (const auto& line : inst.log.new_lines()) {
      // A seed that crashes: AFL++ skips it (or gives up when all do); it is a finding.
      size_t at = line.find("Test case '");
      size_t end = line.find("' results in a crash");
      if (at != std::string::npos && end != std::string::npos && end > at) {
        std::string seed = line.substr(at + 11, end - at - 11);
        if (seed.find('/') == std::string::npos) seed = in_dir_ + "/" + seed;
        add_finding(seed, "seed-" + seed.substr(seed.rfind('/') + 1));
      }
      if (line.find("PROGRAM ABORT") != std::string::npos ||
          line.find("giving up") != std::string::npos) {
        inst.failure_line = line;
      }
    }
  }

  void collect_crashes(Instance& inst) {
    std::string dir = out_dir_ + "/" + inst.name + "/crashes";
    for (const auto& name : list_files(dir)) {
      if (name.compare(0, 3, "id:") != 0 || !inst.crashes_seen.insert(name).second) continue;
      std::string id = name.substr(3, name.find(',') - 3);
      add_finding(dir + "/" + name, "afl-" + inst.name + "-" + id);
    }
  }

  void add_finding(const std::string& from, const std::string& name) {
    if (!known_crashes_.insert(name).second) return;
    std::string to = plan_.crashes_dir + "/" + name;
    if (!copy_file(from, to)) return;
    findings_.push_back({to, file_mtime(from)});
  }

  JobPlan plan_;
  std::string out_dir_, in_dir_;
  pid_t group_ = 0;
  std::vector<std::unique_ptr<Instance>> instances_;
  std::set<std::string> known_crashes_;
  std::vector<Finding> findings_;
  bool stopping_ = false;
  int replays_ = 0;
};

}  // namespace

std::unique_ptr<EngineJob> make_afl_job(const JobPlan& plan) {
  return std::make_unique<AflJob>(plan);
}

}  // namespace heaptwin::cli
