// A test program that runs under another glibc release's own loader and libc. Built by Bazel on
// this host it needs GLIBC_2.34 symbols, which releases before 2.34 lack (Debian 11's 2.31):
// for those it is compiled at test time against that release's own libc6-dev, with the flags
// the glibc runner is built with for them (oracle/glibc/glibc_versions.h, release_build_flags).
#ifndef HEAPTWIN_TESTS_PRELOAD_RELEASE_PROGRAM_H_
#define HEAPTWIN_TESTS_PRELOAD_RELEASE_PROGRAM_H_

#include <optional>
#include <string>

namespace heaptwin::preload_test {

// `bazel_binary` (a runfile path) when it runs under `version`, else `source` (a runfile path)
// compiled with that release's flags and `link_flags` into the test's temporary folder. nullopt
// with *error when the release's packages or the compiler fail.
std::optional<std::string> program_for_release(const std::string& version,
                                               const std::string& bazel_binary,
                                               const std::string& source,
                                               const std::string& link_flags, std::string* error);

}  // namespace heaptwin::preload_test

#endif  // HEAPTWIN_TESTS_PRELOAD_RELEASE_PROGRAM_H_
