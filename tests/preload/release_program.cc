#include "tests/preload/release_program.h"

#include "oracle/glibc/glibc_versions.h"
#include "oracle/glibc/runner_binary.h"
#include "tests/preload/run_process.h"

namespace heaptwin::preload_test {

std::optional<std::string> program_for_release(const std::string& version,
                                               const std::string& bazel_binary,
                                               const std::string& source,
                                               const std::string& link_flags, std::string* error) {
  auto flags = release_build_flags(version, error);
  if (!flags) return std::nullopt;
  if (flags->empty()) return runfile(bazel_binary);
  const std::string name = source.substr(source.rfind('/') + 1);
  const std::string out = temp_path(name.substr(0, name.rfind('.')) + "-glibc-" + version);
  std::string output;
  if (run_shell("cc " + *flags + " -w -o '" + out + "' '" + runfile(source) + "' " + link_flags,
                &output) != 0) {
    *error = "cannot build " + source + " against glibc " + version + ":\n" + output;
    return std::nullopt;
  }
  return out;
}

}  // namespace heaptwin::preload_test
