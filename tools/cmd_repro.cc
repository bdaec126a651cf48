// heaptwin repro: not built yet; it comes with issue 8 (fuzzing).
#include <cstdio>

#include "tools/cli_util.h"

namespace heaptwin::cli {

int cmd_repro(const Args& args) {
  std::fprintf(stderr, "heaptwin repro: not available in this build yet (comes with issue 8 (fuzzing))\n");
  return wants_help(args) ? kExitOk : kExitUsage;
}

}  // namespace heaptwin::cli
