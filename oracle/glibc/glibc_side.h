// The real-glibc side: runs Programs in the C runner (runner.c), a fork server started once per
// side (and again when the tunables change), and reads arena snapshots from the paused child
// with process_vm_readv.
#ifndef HEAPTWIN_ORACLE_GLIBC_GLIBC_SIDE_H_
#define HEAPTWIN_ORACLE_GLIBC_GLIBC_SIDE_H_

#include <memory>
#include <string>

#include "oracle/side.h"

namespace heaptwin {

// "glibc" (the host's glibc), "glibc-2.31", "glibc-2.41" (set up on first use, see
// glibc_versions.h). nullptr and *error when it cannot be set up here.
std::unique_ptr<Side> make_glibc_side(const std::string& name, std::string* error);

// How Programs are isolated. kPersistent: one child runs Program after Program and resets
// glibc's malloc in place (libc's data, the break, the tcache TLS pointer, leftover mmaps), a new
// child only after one dies; needs libc6-dbg symbols. kFork: a fresh fork per Program.
// kAuto: persistent when possible, unless HEAPTWIN_RUNNER_MODE=fork.
enum class RunnerMode { kAuto, kFork, kPersistent };
std::unique_ptr<Side> make_glibc_side(const std::string& name, RunnerMode mode, std::string* error);

// Maps "2.31" / "2.41" / "" (host) to a side name.
std::string glibc_side_name(const std::string& version);

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_GLIBC_GLIBC_SIDE_H_
