// heaptwin golden: verify tests/golden/ against real glibc, or re-record it (--update).
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "oracle/golden.h"
#include "oracle/side.h"
#include "tools/cli_util.h"
#include "tools/side_options.h"

namespace heaptwin::cli {

namespace {

void print_usage() {
  std::printf(
      "usage: heaptwin golden [--update] [--side SIDE] [--glibc V|--libc PATH] [DIR]\n\n"
      "Each DIR/NAME.heap (default DIR: tests/golden) has NAME.expected beside it: the trace and\n"
      "the arena after every op, recorded from real glibc %s. Without --update, runs every\n"
      "scenario and compares (default side: glibc; --side twin holds the twin to the same\n"
      "expectations). With --update, re-records every .expected from real glibc.\n\n"
      "Other releases: DIR/V/ holds V's recordings of DIR's scenarios, and scenarios of its own.\n"
      "  --glibc V    the release: real glibc V (2.31, 2.41, 2.43, 2.44) or, with --side twin, its "
      "twin\n"
      "  --libc PATH  real glibc from this libc.so.6 (or its folder, ld-linux-x86-64.so.2 beside\n"
      "               it); the release is read from it (e.g. a build of 2.35)\n\n"
      "exit: 0 all match; 1 some differ (listed on stdout); 2 bad usage\n",
      kGoldenGlibc);
}

std::string default_dir() {
  // `bazel run` starts us inside the runfiles; the workspace is where the user typed the command.
  if (const char* ws = std::getenv("BUILD_WORKSPACE_DIRECTORY"); ws && *ws) {
    return std::string(ws) + "/tests/golden";
  }
  return "tests/golden";
}

}  // namespace

int cmd_golden(const Args& args) {
  if (printed_help(args, print_usage)) return kExitOk;
  bool update = false;
  std::string dir, side_name = "glibc", version;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--update") {
      update = true;
    } else if (args[i] == "--side") {
      if (i + 1 >= args.size()) return usage_error("golden", "--side needs a side name");
      side_name = args[++i];
    } else if (std::string e; take_release_option(args, &i, &version, &e)) {
      if (!e.empty()) return usage_error("golden", e);
    } else if (!args[i].empty() && args[i][0] == '-') {
      return usage_error("golden", "unknown option " + args[i]);
    } else if (dir.empty()) {
      dir = args[i];
    } else {
      return usage_error("golden", "one folder at a time");
    }
  }
  if (dir.empty()) dir = default_dir();
  if (struct stat st{}; ::stat(dir.c_str(), &st) != 0) {
    return usage_error("golden", file_error(dir, errno));
  } else if (!S_ISDIR(st.st_mode)) {
    return usage_error("golden", file_error(dir, ENOTDIR) + " (expected a folder of .heap files)");
  }
  side_name = side_for_version(side_name, version);
  if (update && side_name.rfind("glibc", 0) != 0) {
    return usage_error("golden", "expectations are recorded from real glibc only (--side glibc)");
  }
  std::string error;
  auto side = make_side(side_name, &error);
  if (!side) {
    std::fprintf(stderr, "heaptwin golden: %s\n", error.c_str());
    return kExitUsage;
  }
  auto results = run_golden(dir, *side, update);
  if (results.empty()) {
    std::fprintf(stderr, "heaptwin golden: no .heap files in %s\n", dir.c_str());
    return kExitUsage;
  }
  int failed = 0, skipped = 0;
  for (const auto& r : results) {
    if (r.skipped) {
      ++skipped;
      std::printf("skip %s\n  %s\n", r.heap_file.c_str(), r.message.c_str());
    }
    if (r.ok) continue;
    ++failed;
    std::printf("FAIL %s\n  %s\n", r.heap_file.c_str(), r.message.c_str());
  }
  std::printf("%s %zu scenario(s) in %s on %s: %d failed, %d skipped\n",
              update ? "recorded" : "checked", results.size() - skipped, dir.c_str(),
              side->name().c_str(), failed, skipped);
  return failed ? kExitFound : kExitOk;
}

}  // namespace heaptwin::cli
