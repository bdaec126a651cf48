// Linked by .clusterfuzzlite/build.sh into each fuzz target that runs the glibc runner, and into
// nothing else: the defaults such a target needs where ClusterFuzzLite or OSS-Fuzz runs it, set
// before main, each only when the environment does not already set it.
//   HEAPTWIN_RUNNER  the runner build.sh put beside the target ($OUT/glibc_runner): the image that
//                    runs targets has no compiler to build one, and its working directory and
//                    HOME are not ours (oracle/glibc/runner_binary.cc: host_runner)
//   HEAPTWIN_DEBUG_ROOT  glibc_debug/ beside the target: the image's libc debug file, which
//                    build.sh carries (the image that runs targets has no libc6-dbg, and without
//                    symbols the glibc side falls back on a probe that misreads some heaps)
//   HEAPTWIN_GLIBC   "host": real glibc is the image's own, and the twin follows its release
//                    (fuzz/differential.cc); the images' glibc is rarely the twin's default 2.36
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <string>

#ifndef HEAPTWIN_RUNNER_NAME
#error "build.sh names the runner: -DHEAPTWIN_RUNNER_NAME=\"glibc_runner\""
#endif

namespace {

// The folder of this executable: /proc/self/exe, else argv[0] (the services keep argv[0]).
std::string own_folder(const char* argv0) {
  char path[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
  std::string exe;
  if (n > 0) {
    exe.assign(path, static_cast<size_t>(n));
  } else if (argv0 != nullptr && ::realpath(argv0, path) != nullptr) {
    exe = path;
  }
  size_t slash = exe.rfind('/');
  return slash == std::string::npos ? "" : exe.substr(0, slash);
}

// glibc calls ELF constructors with main's arguments.
__attribute__((constructor)) void set_service_defaults(int argc, char** argv, char** /*envp*/) {
  const std::string folder = own_folder(argc > 0 ? argv[0] : nullptr);
  if (!folder.empty()) {
    const std::string runner = folder + "/" + HEAPTWIN_RUNNER_NAME;
    if (::access(runner.c_str(), X_OK) == 0) ::setenv("HEAPTWIN_RUNNER", runner.c_str(), 0);
    const std::string debug = folder + "/glibc_debug";
    if (::access(debug.c_str(), F_OK) == 0) ::setenv("HEAPTWIN_DEBUG_ROOT", debug.c_str(), 0);
  }
  ::setenv("HEAPTWIN_GLIBC", "host", 0);
}

}  // namespace
