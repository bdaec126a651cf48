// heaptwin parse: check .heap scripts and print them back in normal form.
#include <cstdio>

#include "program/heap_format.h"
#include "tools/cli_util.h"

namespace heaptwin::cli {

namespace {

constexpr const char* kHelp =
    "usage: heaptwin parse FILE.heap... [--quiet]\n\n"
    "Checks each script (docs/heap-format.md) and prints it back normalised (numbers in hex,\n"
    "comments dropped). Errors name FILE:LINE and what was expected; exit 2 on the first.\n\n"
    "  --quiet   only check; print nothing on success\n";

}  // namespace

int cmd_parse(const Args& args) {
  if (printed_help(args, kHelp)) return kExitOk;
  bool quiet = false;
  std::vector<std::string> files;
  for (const auto& a : args) {
    if (a == "--quiet")
      quiet = true;
    else if (!a.empty() && a[0] == '-')
      return usage_error("parse", "unknown option '" + a + "'");
    else
      files.push_back(a);
  }
  if (files.empty()) return usage_error("parse", "expected at least one FILE.heap");
  for (const auto& f : files) {
    std::string error;
    auto text = read_file(f, &error);
    if (!text) return usage_error("parse", error);
    auto program = parse_heap(*text, f, &error);
    if (!program) {
      std::fprintf(stderr, "%s\n", error.c_str());
      return kExitUsage;
    }
    if (!quiet) {
      if (files.size() > 1) std::printf("# %s\n", f.c_str());
      std::fputs(print_heap(*program).c_str(), stdout);
    }
  }
  return kExitOk;
}

}  // namespace heaptwin::cli
