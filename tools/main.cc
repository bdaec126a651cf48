// heaptwin: a byte-exact twin of glibc's malloc and the harness that keeps it honest.
#include <cstdio>
#include <cstring>
#include <string>

#include "tools/command.h"

namespace heaptwin::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {"run", "run a .heap script on one side and print its trace", cmd_run},
      {"diff", "run .heap scripts on several sides and report the first disagreement", cmd_diff},
      {"check", "run a .heap script on the twin with the heap checker after every op", cmd_check},
      {"show", "print the heap and bins after an op; --html: every op as one page", cmd_show},
      {"golden", "verify (or --update from real glibc) the golden scenarios", cmd_golden},
      {"repro", "replay a fuzz input on every side, minimise it, explain it", cmd_repro},
      {"export", "write a .heap script as a C program that runs it on the real malloc", cmd_export},
      {"decode", "print the .heap form of a fuzz input", cmd_decode},
      {"encode", "write the fuzz bytes of a .heap script", cmd_encode},
      {"parse", "check .heap scripts for errors and print them back normalised", cmd_parse},
      {"exec", "run a program on the twin (drop-in library): --check, --trace FILE", cmd_exec},
      {"preload-path", "print the drop-in library's path (LD_PRELOAD=...)", cmd_preload_path},
      {"techniques", "which how2heap technique works on which glibc release, twin and real",
       cmd_techniques},
      {"fuzz", "the fuzz job's engines, supervised (run it as ./heaptwin fuzz: it builds them)",
       cmd_fuzz},
  };
  return kCommands;
}

}  // namespace heaptwin::cli

namespace {

void print_help() {
  std::printf(
      "heaptwin: a byte-exact twin of glibc's ptmalloc2, checked against real glibc.\n\n"
      "usage: heaptwin COMMAND [ARGS...]      (heaptwin COMMAND --help for each)\n\n"
      "The launcher ./heaptwin also has: test, fuzz, bench, build (see ./heaptwin --help).\n\n"
      "commands:\n");
  for (const auto& c : heaptwin::cli::commands()) std::printf("  %-8s %s\n", c.name, c.summary);
  std::printf(
      "\nexit codes: 0 all sides agree; 1 a divergence or violation (report on stdout);\n"
      "            2 bad usage or bad input (message on stderr)\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
      !std::strcmp(argv[1], "help")) {
    print_help();
    return argc < 2 ? heaptwin::cli::kExitUsage : heaptwin::cli::kExitOk;
  }
  heaptwin::cli::Args args(argv + 2, argv + argc);
  for (const auto& c : heaptwin::cli::commands()) {
    if (std::string(argv[1]) == c.name) return c.run(args);
  }
  std::fprintf(stderr, "heaptwin: unknown command '%s' (see 'heaptwin --help')\n", argv[1]);
  return heaptwin::cli::kExitUsage;
}
