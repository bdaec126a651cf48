#include "oracle/glibc/runner_binary.h"

#include <gnu/libc-version.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>

#include "oracle/glibc/libc_symbols.h"
#include "oracle/glibc/runner_source.h"

namespace heaptwin {

namespace {

bool is_executable(const std::string& path) {
  return !path.empty() && ::access(path.c_str(), X_OK) == 0;
}

std::string self_exe() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  buf[n] = 0;
  return buf;
}

std::string dirname_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

bool write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out);
}

void make_dirs(const std::string& path) {
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') ::mkdir(path.substr(0, i).c_str(), 0755);
  }
}

}  // namespace

std::string cache_dir() {
  if (const char* c = std::getenv("HEAPTWIN_CACHE"); c && *c) return c;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/heaptwin";
  // Under `bazel test` HOME is the test's scratch folder: use the user's own cache (the glibc
  // sysroots downloaded once), as a run of the heaptwin command does.
  const char* home = std::getenv("HOME");
  if (std::getenv("TEST_TMPDIR") != nullptr) {
    if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_dir && *pw->pw_dir)
      home = pw->pw_dir;
  }
  if (home && *home) return std::string(home) + "/.cache/heaptwin";
  return "/tmp/heaptwin-cache-" + std::to_string(::getuid());
}

int run_shell(const std::string& command, std::string* output) {
  output->clear();
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) output->append(buf, n);
  int status = ::pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

std::optional<std::string> build_runner(const std::string& tag, const std::string& compiler_flags,
                                        std::string* error) {
  std::string all = compiler_flags;
  for (size_t i = 0; i < kRunnerSourceCount; ++i) {
    all += std::string(kRunnerSources[i].path) + '\n' + kRunnerSources[i].text;
  }
  char id[32];
  std::snprintf(id, sizeof id, "%016zx", std::hash<std::string>()(all));
  std::string dir = cache_dir() + "/runner";
  std::string out = dir + "/glibc_runner-" + tag + "-" + id;
  if (is_executable(out)) return out;
  std::string src = dir + "/src-" + id + "-" + std::to_string(::getpid());
  std::string c_files;
  for (size_t i = 0; i < kRunnerSourceCount; ++i) {
    const std::string path = src + "/" + kRunnerSources[i].path;
    make_dirs(dirname_of(path));
    if (!write_text(path, kRunnerSources[i].text)) {
      *error = "cannot write the runner source under " + src;
      return std::nullopt;
    }
    if (path.size() > 2 && path.compare(path.size() - 2, 2, ".c") == 0)
      c_files += " '" + path + "'";
  }
  std::string tmp = out + ".tmp." + std::to_string(::getpid());
  std::string log;
  // One command: every .c file of the runner (and the arena walk it links).
  // No TLS of the runner's own (arena_walk_cycles.c).
  std::string cmd = "cc -std=gnu11 -O1 -fno-builtin -DARENA_WALK_ONE_THREAD -I'" + src + "' " +
                    compiler_flags + c_files + " -o '" + tmp + "'";
  int rc = run_shell(cmd, &log);
  std::string ignored;
  run_shell("rm -rf '" + src + "'", &ignored);
  if (rc != 0 || ::rename(tmp.c_str(), out.c_str()) != 0) {
    *error = "building the glibc runner failed: " + cmd + "\n" + log;
    return std::nullopt;
  }
  return out;
}

// A runner built under a sanitizer config (asan, libfuzzer) carries the sanitizer's own malloc,
// which would replace the glibc malloc we mean to measure: such a binary is never used.
static bool is_sanitized(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const char* marker :
       {"__asan_init", "__ubsan_handle", "__msan_init", "__tsan_init", "__sanitizer_cov"}) {
    if (bytes.find(marker) != std::string::npos) return true;
  }
  return false;
}

std::optional<RunnerCommand> host_runner(std::string* error) {
  RunnerCommand cmd;
  cmd.version = gnu_get_libc_version();
  cmd.debug_roots = {"/usr/lib/debug"};
  // A folder of libc debug files brought along (a ClusterFuzzLite build carries the image's).
  if (const char* d = std::getenv("HEAPTWIN_DEBUG_ROOT"); d && *d) {
    cmd.debug_roots.insert(cmd.debug_roots.begin(), d);
  }
  // The runner loads the same libc.so.6 as we do.
  uint64_t base = 0;
  if (!find_libc_mapping(::getpid(), &base, &cmd.libc_path))
    cmd.libc_path = "/lib/x86_64-linux-gnu/libc.so.6";
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("HEAPTWIN_RUNNER"); env && *env) candidates.push_back(env);
  const std::string rel = "/oracle/glibc/glibc_runner";
  for (const char* var : {"RUNFILES_DIR", "TEST_SRCDIR"}) {
    if (const char* d = std::getenv(var); d && *d)
      candidates.push_back(std::string(d) + "/heaptwin" + rel);
  }
  std::string exe = self_exe();
  if (!exe.empty()) {
    candidates.push_back(exe + ".runfiles/heaptwin" + rel);
    // bazel-bin/tools/heaptwin -> bazel-bin/oracle/glibc/glibc_runner
    candidates.push_back(dirname_of(dirname_of(exe)) + rel);
  }
  for (const auto& c : candidates) {
    if (is_executable(c) && !is_sanitized(c)) {
      cmd.argv = {c};
      return cmd;
    }
  }
  auto built = build_runner("host", "", error);
  if (!built) return std::nullopt;
  cmd.argv = {*built};
  return cmd;
}

}  // namespace heaptwin
