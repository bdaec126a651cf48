#include "tests/preload/run_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

extern char** environ;

namespace heaptwin::preload_test {

namespace {

std::vector<std::string> merged_environment(const RunOptions& o) {
  std::vector<std::string> env;
  std::vector<std::string> extra = o.env;
  if (!o.preload.empty()) extra.push_back("LD_PRELOAD=" + o.preload);
  for (char** e = environ; *e; ++e) {
    std::string entry = *e;
    std::string name = entry.substr(0, entry.find('='));
    if (name == "LD_PRELOAD") continue;
    bool replaced = false;
    for (const std::string& x : extra) replaced |= x.substr(0, x.find('=')) == name;
    if (!replaced) env.push_back(entry);
  }
  for (const std::string& x : extra) env.push_back(x);
  return env;
}

}  // namespace

Finished run(const std::vector<std::string>& argv, const RunOptions& options) {
  std::vector<std::string> full;
  if (options.no_aslr) full = {"setarch", "-R"};
  full.insert(full.end(), argv.begin(), argv.end());
  std::vector<std::string> env = merged_environment(options);
  std::vector<char*> cargv, cenv;
  for (std::string& s : full) cargv.push_back(s.data());
  cargv.push_back(nullptr);
  for (std::string& s : env) cenv.push_back(s.data());
  cenv.push_back(nullptr);

  int out[2], err[2], in[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0 || pipe2(in, O_CLOEXEC) != 0)
    abort();
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    execvpe(cargv[0], cargv.data(), cenv.data());
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  close(in[0]);
  if (!options.stdin_text.empty()) {
    ssize_t w = write(in[1], options.stdin_text.data(), options.stdin_text.size());
    (void)w;
  }
  close(in[1]);
  Finished f;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? f.out : f.err).append(buf, static_cast<size_t>(n));
      }
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status)) f.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) f.signal = WTERMSIG(status);
  return f;
}

std::string runfile(const std::string& path) {
  std::string base;
  if (const char* d = getenv("TEST_SRCDIR"); d && *d) base = std::string(d) + "/heaptwin/";
  std::string p = base + path;
  char resolved[4096];
  if (realpath(p.c_str(), resolved) != nullptr) return resolved;
  return p;
}

bool setarch_works() {
  Finished f = run({"true"}, RunOptions{});
  return f.exit_code == 0;
}

std::string temp_path(const std::string& name) {
  const char* dir = getenv("TEST_TMPDIR");
  return std::string(dir && *dir ? dir : "/tmp") + "/" + name;
}

std::string copy_at_path_length(const std::string& source, const std::string& name, size_t length,
                                std::string* error) {
  std::string dir = temp_path("s");
  const std::string tail = "/" + name;
  if (dir.size() + tail.size() >= length) {
    *error = "the test's temporary folder " + dir + " is too deep for a path of " +
             std::to_string(length);
    return "";
  }
  dir += std::string(length - dir.size() - tail.size(), 'x');
  const std::string copy = dir + tail;
  if (run({"mkdir", "-p", dir}, RunOptions{{}, "", false}).exit_code != 0 ||
      run({"cp", source, copy}, RunOptions{{}, "", false}).exit_code != 0) {
    *error = "cannot copy " + source + " to " + copy;
    return "";
  }
  return copy;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace heaptwin::preload_test
