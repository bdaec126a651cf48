// heaptwin check: not built yet; it comes with issue 6 (the heap checker).
#include <cstdio>

#include "tools/cli_util.h"

namespace heaptwin::cli {

int cmd_check(const Args& args) {
  std::fprintf(stderr, "heaptwin check: not available in this build yet (comes with issue 6 (the heap checker))\n");
  return wants_help(args) ? kExitOk : kExitUsage;
}

}  // namespace heaptwin::cli
