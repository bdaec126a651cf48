#include "oracle/glibc/runner_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/personality.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "oracle/glibc/runner_protocol.h"

extern char** environ;

namespace heaptwin {

namespace {

// A pristine malloc: none of the caller's malloc settings, no preloaded allocator.
std::vector<std::string> runner_environment(const Tunables& tunables) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    if (kv.rfind("GLIBC_TUNABLES=", 0) == 0 || kv.rfind("MALLOC_", 0) == 0 ||
        kv.rfind("LD_PRELOAD=", 0) == 0 || kv.rfind("LIBC_FATAL_STDERR_=", 0) == 0) {
      continue;
    }
    env.push_back(kv);
  }
  env.push_back("LIBC_FATAL_STDERR_=1");
  if (!tunables.empty()) {
    std::string t = "GLIBC_TUNABLES=";
    for (size_t i = 0; i < tunables.size(); ++i) {
      t += (i ? ":" : "") + tunables[i].first + "=" + tunables[i].second;
    }
    env.push_back(t);
  }
  return env;
}

}  // namespace

pid_t spawn_runner(const RunnerCommand& command, bool persistent, const Tunables& tunables,
                   int shared_fd, std::string* error) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, shared_fd, RUNNER_FD_SHARED);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  std::vector<std::string> env = runner_environment(tunables);
  std::vector<char*> envp, argv;
  for (auto& s : env) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = command.argv;
  if (persistent) args.push_back("persistent");
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid;
  // The runner starts without address randomisation (the personality flag is inherited and
  // applied at exec): glibc's mappings then land at the same addresses in every run, so a
  // Program whose outcome depends on where the kernel maps (a dangling mmapped pointer)
  // reproduces, and CI's fixed-seed fuzzing is repeatable.
  const int persona = ::personality(0xffffffff);
  if (persona != -1) ::personality(static_cast<unsigned long>(persona) | ADDR_NO_RANDOMIZE);
  int rc = ::posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), envp.data());
  if (persona != -1) ::personality(static_cast<unsigned long>(persona));
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    *error = "cannot start the glibc runner " + command.argv[0] + ": " + std::strerror(rc);
    return -1;
  }
  // A dead runner must be an error we report, not a SIGPIPE that ends us.
  ::signal(SIGPIPE, SIG_IGN);
  return pid;
}

bool runner_alive(pid_t pid) {
  if (pid <= 0) return false;
  int status;
  return ::waitpid(pid, &status, WNOHANG) == 0;
}

void stop_runner(pid_t pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

}  // namespace heaptwin
