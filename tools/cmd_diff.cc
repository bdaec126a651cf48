// heaptwin diff: not built yet; it comes with issue 3 (the real-glibc runner).
#include <cstdio>

#include "tools/cli_util.h"

namespace heaptwin::cli {

int cmd_diff(const Args& args) {
  std::fprintf(stderr, "heaptwin diff: not available in this build yet (comes with issue 3 (the real-glibc runner))\n");
  return wants_help(args) ? kExitOk : kExitUsage;
}

}  // namespace heaptwin::cli
