// Finding or building the C runner, and the glibc it runs under.
#ifndef HEAPTWIN_ORACLE_GLIBC_RUNNER_BINARY_H_
#define HEAPTWIN_ORACLE_GLIBC_RUNNER_BINARY_H_

#include <optional>
#include <string>
#include <vector>

namespace heaptwin {

// How to start a runner under one glibc.
struct RunnerCommand {
  std::vector<std::string> argv;         // e.g. {ld.so, "--library-path", dir, runner} or {runner}
  std::string version;                   // "2.36": picks the snapshot layout
  std::string libc_path;                 // the libc.so.6 it loads (for its symbols)
  std::vector<std::string> debug_roots;  // folders holding .build-id/ for libc's symbols
};

// The per-user cache folder (~/.cache/heaptwin, or $HEAPTWIN_CACHE).
std::string cache_dir();

// The host glibc's runner: $HEAPTWIN_RUNNER, the Bazel-built one (runfiles, or beside the
// heaptwin binary), or else the embedded source compiled into the cache. libc's symbols come
// from /usr/lib/debug, and first from $HEAPTWIN_DEBUG_ROOT (a folder holding .build-id/).
std::optional<RunnerCommand> host_runner(std::string* error);

// Runs a shell command; its exit status, and its output (stdout+stderr) in *output.
int run_shell(const std::string& command, std::string* output);

// Compiles the embedded runner source with `compiler_flags` into the cache as `tag`; the path.
std::optional<std::string> build_runner(const std::string& tag, const std::string& compiler_flags,
                                        std::string* error);

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_GLIBC_RUNNER_BINARY_H_
