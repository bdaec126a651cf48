// Starting and stopping the runner's server process (runner_main.c).
#ifndef HEAPTWIN_ORACLE_GLIBC_RUNNER_PROCESS_H_
#define HEAPTWIN_ORACLE_GLIBC_RUNNER_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "oracle/glibc/runner_binary.h"

namespace heaptwin {

using Tunables = std::vector<std::pair<std::string, std::string>>;

// Starts `command` with the shared memory `shared_fd` as RUNNER_FD_SHARED, a pristine malloc
// environment (no GLIBC_TUNABLES, MALLOC_*, LD_PRELOAD of ours; `tunables` as GLIBC_TUNABLES)
// and no address randomisation. The pid, or -1 with *error.
pid_t spawn_runner(const RunnerCommand& command, bool persistent, const Tunables& tunables,
                   int shared_fd, std::string* error);

// Whether the server is still there (reaps it when it is not).
bool runner_alive(pid_t pid);

// Kills and reaps it; its children die with it (PR_SET_PDEATHSIG).
void stop_runner(pid_t pid);

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_GLIBC_RUNNER_PROCESS_H_
