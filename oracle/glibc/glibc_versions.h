// Other real glibc versions beside the host's: Debian's libc6 packages for 2.31 (bullseye),
// 2.41 (trixie), 2.43 (sid) and 2.44 (experimental), unpacked into a sysroot in the cache on
// first use (shared/glibc-versions.md), the runner compiled against it and started under that
// version's ld.so.
#ifndef HEAPTWIN_ORACLE_GLIBC_GLIBC_VERSIONS_H_
#define HEAPTWIN_ORACLE_GLIBC_GLIBC_VERSIONS_H_

#include <optional>
#include <string>
#include <vector>

#include "oracle/glibc/runner_binary.h"

namespace heaptwin {

// "2.31", "2.41", "2.43" or "2.44", or a release whose libc the user brought (use_user_libc).
// nullopt with *error saying exactly which step failed.
std::optional<RunnerCommand> versioned_runner(const std::string& version, std::string* error);

// The releases Debian's archive gives as real packages (libc6, libc6-dev, libc6-dbg), oldest
// first: "2.31", "2.41", "2.43", "2.44". The one list of them (tests iterate over it).
std::vector<std::string> packaged_releases();

// Compiler flags that build a C program to run under `version`'s loader and libc: "" where a
// program built on this host runs (2.34 and later), else flags linking it against that release's
// own libc6-dev (a host-linked binary needs GLIBC_2.34 symbols older releases lack), as the runner
// is built for them. For a release without a package of its own (a --libc below 2.34), the oldest
// package's. nullopt with *error when that package cannot be set up.
std::optional<std::string> release_build_flags(const std::string& version, std::string* error);

// Where a release's libc lives here: its loader, the folder to give the loader as
// --library-path, and the libc.so.6. Debian's packages are set up on first use.
struct LibcInstall {
  std::string version, loader, library_dir, libc;
  std::vector<std::string> debug_roots;  // where its libc6-dbg files may be (.build-id/ below)
};
std::optional<LibcInstall> libc_install(const std::string& version, std::string* error);

// --libc PATH: a libc.so.6, or a folder holding one, with its loader (ld-linux-x86-64.so.2)
// beside it. Detects its release from glibc's version banner and makes "glibc-<release>" run
// under it from now on (in this process). The release, or nullopt with *error (no such file, not
// a glibc).
std::optional<std::string> use_user_libc(const std::string& path, std::string* error);

// The release a libc.so.6 says it is ("2.35"); "" when the file is no glibc.
std::string glibc_release_of(const std::string& libc_path);

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_GLIBC_GLIBC_VERSIONS_H_
