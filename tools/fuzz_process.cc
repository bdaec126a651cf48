#include "tools/fuzz_process.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

extern char** environ;

namespace heaptwin::cli {

namespace {

// In the child, between fork and exec: only async-signal-safe calls.
[[noreturn]] void exec_child(const ProcessSpec& spec, pid_t group, pid_t parent, char* const* argv,
                             char* const* envp, int log_fd) {
  setpgid(0, group);
  // Die with heaptwin, whatever ends it; a parent that is already gone will not signal.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127);
  int null_fd = open("/dev/null", O_RDONLY);
  if (null_fd >= 0) dup2(null_fd, 0);
  dup2(log_fd, 1);
  dup2(log_fd, 2);
  // The job's signals are ours to send: restore the defaults the engines expect, then take any
  // that arrived since fork (the parent blocked them across it).
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  execve(argv[0], argv, envp);
  static const char kMsg[] = "heaptwin fuzz: exec failed\n";
  (void)!write(2, kMsg, sizeof kMsg - 1);
  _exit(127);
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// argv[0] as a path: a bare name is looked up in PATH (before fork, not in the child).
std::string resolve_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return name;
}

}  // namespace

bool Process::start(const ProcessSpec& spec, pid_t group, std::string* error) {
  log_path_ = spec.log_path;
  int log_fd = open(spec.log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    *error = spec.log_path + ": cannot create: " + std::strerror(errno);
    return false;
  }
  std::vector<std::string> args = spec.argv;
  args[0] = resolve_program(args[0]);
  if (access(args[0].c_str(), X_OK) != 0) {
    *error = args[0] + ": not an executable: " + std::strerror(errno);
    close(log_fd);
    return false;
  }
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  for (const auto& extra : spec.env) {
    size_t eq = extra.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    std::string name = extra.substr(0, eq + 1);
    env.erase(
        std::remove_if(env.begin(), env.end(),
                       [&](const std::string& s) { return s.compare(0, name.size(), name) == 0; }),
        env.end());
    env.push_back(extra);
  }
  std::vector<char*> argv = c_strings(args), envp = c_strings(env);
  pid_t parent = getpid();
  // SIGINT and SIGTERM stay blocked across fork until the child has set their defaults: one
  // arriving in between would run this process's handler in the child and be lost (the engine
  // then never stops; seen under load in fuzz_job_test).
  sigset_t stop_signals, old_mask;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigprocmask(SIG_BLOCK, &stop_signals, &old_mask);
  pid_t pid = fork();
  if (pid != 0) sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  if (pid < 0) {
    *error = std::string("fork failed: ") + std::strerror(errno);
    close(log_fd);
    return false;
  }
  if (pid == 0) {
    // dup2 clears O_CLOEXEC on the copies 1 and 2.
    exec_child(spec, group, parent, argv.data(), envp.data(), log_fd);
  }
  setpgid(pid, group == 0 ? pid : group);  // both sides set it: no race with the first signal
  close(log_fd);
  pid_ = pid;
  return true;
}

bool Process::exited() {
  if (exited_ || pid_ < 0) return true;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_ || (r < 0 && errno == ECHILD)) {
    exited_ = true;
    status_ = status;
  }
  return exited_;
}

std::string Process::describe_exit() const {
  if (!exited_) return "running";
  if (WIFEXITED(status_)) return "exit " + std::to_string(WEXITSTATUS(status_));
  if (WIFSIGNALED(status_)) return std::string("killed by signal ") + strsignal(WTERMSIG(status_));
  return "ended";
}

void signal_group(pid_t group, int sig) {
  if (group > 0) kill(-group, sig);
}

int end_marked_processes(const std::string& mark) {
  const std::string wanted = std::string(kJobMarkVariable) + "=" + mark;
  int ended = 0;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return 0;
  const pid_t self = getpid();
  while (dirent* e = readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (*end != '\0' || pid <= 0 || pid == self) continue;
    std::ifstream in(std::string("/proc/") + e->d_name + "/environ", std::ios::binary);
    if (!in) continue;
    std::string env((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t at = 0;
    while (at < env.size()) {
      size_t stop = env.find('\0', at);
      if (stop == std::string::npos) stop = env.size();
      if (env.compare(at, stop - at, wanted) == 0) {
        if (kill(static_cast<pid_t>(pid), SIGKILL) == 0) ++ended;
        break;
      }
      at = stop + 1;
    }
  }
  closedir(proc);
  return ended;
}

std::vector<std::string> LogTail::new_lines() {
  std::vector<std::string> lines;
  std::ifstream in(path_, std::ios::binary);
  if (!in) return lines;
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  if (size < static_cast<std::streamoff>(offset_)) offset_ = 0;  // truncated: start again
  if (size == static_cast<std::streamoff>(offset_)) return lines;
  in.seekg(static_cast<std::streamoff>(offset_));
  std::string chunk(static_cast<size_t>(size) - offset_, '\0');
  in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
  chunk.resize(static_cast<size_t>(in.gcount()));
  offset_ += chunk.size();
  partial_ += chunk;
  size_t start = 0, nl;
  while ((nl = partial_.find('\n', start)) != std::string::npos) {
    lines.push_back(partial_.substr(start, nl - start));
    start = nl + 1;
  }
  partial_.erase(0, start);
  return lines;
}

ExecCounter::~ExecCounter() {
  if (word_ != nullptr) munmap(const_cast<uint64_t*>(word_), sizeof(uint64_t));
}

bool ExecCounter::create(const std::string& path, std::string* error) {
  path_ = path;
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || ftruncate(fd, sizeof(uint64_t)) != 0) {
    *error = path + ": cannot create: " + std::strerror(errno);
    if (fd >= 0) close(fd);
    return false;
  }
  void* p = mmap(nullptr, sizeof(uint64_t), PROT_READ, MAP_SHARED, fd, 0);
  close(fd);
  if (p == MAP_FAILED) {
    *error = path + ": cannot map: " + std::strerror(errno);
    return false;
  }
  word_ = static_cast<const uint64_t*>(p);
  return true;
}

uint64_t ExecCounter::value() const {
  return word_ == nullptr ? 0 : __atomic_load_n(word_, __ATOMIC_RELAXED);
}

std::vector<std::string> list_files(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    bool regular = e->d_type == DT_REG;
    if (e->d_type == DT_UNKNOWN || e->d_type == DT_LNK) {  // the file system does not say: ask
      struct stat st;
      regular = stat((dir + "/" + e->d_name).c_str(), &st) == 0 && S_ISREG(st.st_mode);
    }
    if (regular) names.emplace_back(e->d_name);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

bool make_dirs(const std::string& path, std::string* error) {
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i < path.size() && path[i] != '/') continue;
    std::string part = path.substr(0, i);
    if (mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) {
      *error = part + ": cannot create: " + std::strerror(errno);
      return false;
    }
  }
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    *error = path + ": not a directory";
    return false;
  }
  return true;
}

bool remove_tree(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return errno == ENOENT;
  if (S_ISDIR(st.st_mode)) {
    DIR* d = opendir(path.c_str());
    if (d == nullptr) return false;
    std::vector<std::string> names;
    while (dirent* e = readdir(d)) {
      if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
        names.emplace_back(e->d_name);
    }
    closedir(d);
    bool ok = true;
    for (const auto& n : names) ok &= remove_tree(path + "/" + n);
    return ok && rmdir(path.c_str()) == 0;
  }
  return unlink(path.c_str()) == 0;
}

double monotonic_seconds() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double wall_seconds() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double file_mtime(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return 0;
  return static_cast<double>(st.st_mtim.tv_sec) + static_cast<double>(st.st_mtim.tv_nsec) / 1e9;
}

}  // namespace heaptwin::cli
