// Other real glibc versions beside the host's: Debian's libc6 packages for 2.31 (bullseye) and
// 2.41 (trixie), unpacked into a sysroot in the cache on first use (shared/glibc-versions.md),
// the runner compiled against it and started under that version's ld.so.
#ifndef HEAPTWIN_ORACLE_GLIBC_GLIBC_VERSIONS_H_
#define HEAPTWIN_ORACLE_GLIBC_GLIBC_VERSIONS_H_

#include <optional>
#include <string>

#include "oracle/glibc/runner_binary.h"

namespace heaptwin {

// "2.31" or "2.41". nullopt with *error saying exactly which step failed.
std::optional<RunnerCommand> versioned_runner(const std::string& version, std::string* error);

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_GLIBC_GLIBC_VERSIONS_H_
