// The processes of a fuzz job: engine workers started in a process group of the job's own, each
// writing its output to a log file and dying with heaptwin (PR_SET_PDEATHSIG); their logs read
// as they grow; and the clean-up of what the workers' targets leave behind.
#ifndef HEAPTWIN_TOOLS_FUZZ_PROCESS_H_
#define HEAPTWIN_TOOLS_FUZZ_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace heaptwin::cli {

// The environment variable every process of a job carries (with a value unique to the job), so
// that processes its targets start and leave behind can be found and ended (a glibc runner
// whose target afl-fuzz killed mid-Program, say).
inline constexpr const char* kJobMarkVariable = "HEAPTWIN_FUZZ_JOB";

struct ProcessSpec {
  std::vector<std::string> argv;
  std::vector<std::string> env;  // "NAME=value", added to this process's environment
  std::string log_path;          // stdout and stderr (truncated); stdin is /dev/null
};

class Process {
 public:
  // Starts spec in process group `group` (0: a new group led by the new process).
  bool start(const ProcessSpec& spec, pid_t group, std::string* error);
  // Non-blocking; true once the process has exited (then exit_status() is meaningful).
  bool exited();
  // The wait status (WIFEXITED/WIFSIGNALED apply).
  int wait_status() const { return status_; }
  std::string describe_exit() const;
  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
  int status_ = 0;
  std::string log_path_;
};

// Sends sig to every process of the group (the workers; their targets stay in it too).
void signal_group(pid_t group, int sig);

// Ends (SIGKILL) every process of this user whose environment holds kJobMarkVariable=mark.
// Returns how many.
int end_marked_processes(const std::string& mark);

// The lines a growing file gained since the last call (complete lines only).
class LogTail {
 public:
  explicit LogTail(std::string path) : path_(std::move(path)) {}
  std::vector<std::string> new_lines();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  uint64_t offset_ = 0;
  std::string partial_;
};

// A shared 8-byte counter that a libFuzzer worker increments on every execution
// (fuzz/exec_counter.cc, through HEAPTWIN_EXEC_COUNTER=path); read here while it runs.
class ExecCounter {
 public:
  ExecCounter() = default;
  ExecCounter(const ExecCounter&) = delete;
  ExecCounter& operator=(const ExecCounter&) = delete;
  ~ExecCounter();
  // Creates the file (zeroed) and maps it.
  bool create(const std::string& path, std::string* error);
  uint64_t value() const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  const uint64_t* word_ = nullptr;
};

// Regular files directly in dir whose names do not start with '.', in name order.
std::vector<std::string> list_files(const std::string& dir);
bool make_dirs(const std::string& path, std::string* error);
bool remove_tree(const std::string& path);
double monotonic_seconds();
// The file's modification time (seconds since the epoch, with fractions); 0 if it is missing.
double file_mtime(const std::string& path);
double wall_seconds();

}  // namespace heaptwin::cli

#endif  // HEAPTWIN_TOOLS_FUZZ_PROCESS_H_
