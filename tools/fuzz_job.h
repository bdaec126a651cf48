// A fuzz job for one target: the engine's processes (libFuzzer workers sharing one corpus, or
// AFL++ instances), supervised by heaptwin: a progress line every few seconds, a stop at the
// time limit, on Ctrl-C or at the first finding, each finding's .heap form beside it, and a
// summary.
#ifndef HEAPTWIN_TOOLS_FUZZ_JOB_H_
#define HEAPTWIN_TOOLS_FUZZ_JOB_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tools/fuzz_stats.h"

namespace heaptwin::cli {

// Everything one target's run needs, resolved to paths.
struct JobPlan {
  std::string target;
  std::string engine;  // "libfuzzer" or "afl"
  int jobs = 1;
  double seconds = 60;  // 0: until stopped (Ctrl-C) or, with runs, until the runs are done
  uint64_t runs = 0;    // libFuzzer -runs (0: none)
  std::optional<uint64_t> seed;
  std::string binary;         // the engine's build of the target
  std::string cmplog_binary;  // AFL++ CmpLog build ("" : none)
  std::string fast_binary;    // libFuzzer workers 1..N-1: the build without sanitizers ("": none)
  std::vector<std::string> seed_dirs;  // read, never written
  std::string dict;                    // "" : none
  std::string corpus_dir;              // kept across runs: the engine adds to it
  std::string crashes_dir;
  std::string work_dir;  // logs, counters, the engine's scratch
  std::string mark;      // kJobMarkVariable's value for this job
};

struct Finding {
  std::string path;     // in crashes_dir
  double found_at = 0;  // wall-clock seconds (the engine wrote it then)
};

// One engine's processes. The supervisor calls poll() a few times a second.
class EngineJob {
 public:
  virtual ~EngineJob() = default;
  virtual bool start(std::string* error) = 0;
  // Reads what changed (logs, stats, new crash files, exits); returns the progress sample
  // (seconds is filled in by the caller).
  virtual JobSample poll() = 0;
  // Findings copied into crashes_dir so far, oldest first.
  virtual const std::vector<Finding>& findings() const = 0;
  // Whether the process that made the findings is done writing them: stopping it earlier
  // could leave a crash input half-written.
  virtual bool findings_written() = 0;
  // Asks every process to stop (they print their final stats); kill() when they do not.
  virtual void stop() = 0;
  virtual void kill() = 0;
  virtual bool all_exited() = 0;
  // After the processes are gone: keeps what the run learned in corpus_dir (AFL++ queues).
  virtual void finish() = 0;
  // A process that ended on its own without a finding, what it said (empty: none did).
  virtual std::string failure() = 0;
  // What the engine said about a finding (the target's report), for the summary.
  virtual std::string report_of(const Finding& finding) = 0;
};

std::unique_ptr<EngineJob> make_libfuzzer_job(const JobPlan& plan);
std::unique_ptr<EngineJob> make_afl_job(const JobPlan& plan);

struct JobResult {
  double seconds = 0;
  uint64_t execs = 0;
  uint64_t corpus = 0;
  uint64_t corpus_new = 0;
  std::string coverage;
  std::vector<Finding> findings;
  double first_finding_seconds = -1;    // after the job started; -1: none
  uint64_t execs_at_first_finding = 0;  // executions seen when it was noticed
  bool interrupted = false;
  std::string failure;  // a process failed without a finding
};

// Runs the plan to its end; progress lines on stderr every progress_every seconds (0: none).
// Returns false with *error when the engine could not be started.
bool run_job(const JobPlan& plan, double progress_every, JobResult* result, std::string* error);

// Asks run_job to stop (what SIGINT does).
void request_stop();
bool stop_requested();

// The minimisation of corpus_dir (--merge): libFuzzer -merge=1 or afl-cmin, into a new folder
// that then replaces it. Prints before and after counts.
bool merge_corpus(const JobPlan& plan, std::string* error);

// Runs a program to its end with output to log_path; its exit status (-1: could not start).
int run_to_end(const std::vector<std::string>& argv, const std::vector<std::string>& env,
               const std::string& log_path, double timeout_seconds);

}  // namespace heaptwin::cli

#endif  // HEAPTWIN_TOOLS_FUZZ_JOB_H_
