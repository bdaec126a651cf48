// heaptwin techniques: the how2heap techniques a .heap Program can express (tests/techniques/),
// each run on every release's twin and real glibc; a table of which works where and, where one
// stops, the check that stops it (docs/techniques.md).
#include <sys/stat.h>

#include <cstdio>
#include <string>
#include <vector>

#include "tools/cli_util.h"
#include "tools/side_options.h"
#include "tools/technique_table.h"

namespace heaptwin::cli {

namespace {

constexpr const char* kDefaultDir = "tests/techniques";

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

void print_usage() {
  std::printf(
      "usage: heaptwin techniques [--glibc V,...] [--libc PATH] [--on twin|glibc|both] [DIR]\n\n"
      "Runs every technique scenario in DIR (default: tests/techniques, from the repository's\n"
      "root) on each glibc release's twin and real glibc, and prints a table: a row per\n"
      "technique, a column per side of each release (twin, then glibc).\n\n"
      "A cell says what happened to the technique on that side:\n"
      "  works             every op ran and the goal in the scenario's header holds\n"
      "  goal not met [n]  every op ran, but the goal does not hold (note n says why)\n"
      "  stopped at op N [n]  glibc's check stopped it: abort at op N with message n\n"
      "  fault at op N     SIGSEGV/SIGBUS at op N;  timeout at op N: op N hung\n"
      "  unmodelled at op N  the twin cannot follow glibc from op N (docs/op-semantics.md)\n"
      "Ops are numbered from 0, as `heaptwin run FILE` prints them. The notes under the table\n"
      "give each message in full.\n\n"
      "Where a release has both a twin and real glibc, their runs are compared op by op\n"
      "(outcomes, and the arena after each op through its digest): cells that differ are\n"
      "marked '!!' and the row ends '<< DISAGREE on V' (a twin bug); cells that differ\n"
      "where a comparability rule explains it (docs/judging.md) are marked '~'.\n\n"
      "A scenario's header (docs/techniques.md):\n"
      "  # technique: NAME      # how2heap: FILE.c\n"
      "  # goal: d == t+0x10    (or 'SLOT overlaps SLOT', 'no abort'; several joined by 'and')\n"
      "  # protect: by release  (protect(POS, T) is plain T before 2.32; or 'as written')\n\n"
      "  --glibc V,...  only these releases (default: every release with a twin or a real side\n"
      "                 here: twins %s; real glibc %s:\n"
      "                 the host's, and Debian's packages, fetched into ~/.cache/heaptwin\n"
      "                 on first use)\n"
      "  --libc PATH    real glibc of the release this libc.so.6 is (or the folder holding it\n"
      "                 and its ld-linux-x86-64.so.2), e.g. a build of 2.35\n"
      "  --on SIDES     twin, glibc or both (default both)\n\n"
      "exit: 0 the table was printed and no twin disagrees with its real glibc; 1 one does;\n"
      "      2 bad usage, an unknown release, or a scenario without a well-formed goal\n",
      joined(techniques::twin_releases()).c_str(), joined(techniques::real_releases()).c_str());
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

int cmd_techniques(const Args& args) {
  if (printed_help(args, print_usage)) return kExitOk;
  std::vector<std::string> releases;
  std::string dir, on = "both", libc_release;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const bool has_value = i + 1 < args.size();
    if (a == "--glibc") {
      if (!has_value) return usage_error("techniques", "--glibc needs releases (e.g. 2.31,2.36)");
      for (const std::string& v : split_commas(args[++i])) releases.push_back(v);
    } else if (a == "--libc") {
      if (!has_value) return usage_error("techniques", "--libc needs a libc.so.6 or its folder");
      if (std::string e; !use_libc_option(args[++i], &libc_release, &e)) {
        return usage_error("techniques", e);
      }
    } else if (a == "--on") {
      if (!has_value) return usage_error("techniques", "--on needs twin, glibc or both");
      on = args[++i];
      if (on != "twin" && on != "glibc" && on != "both") {
        return usage_error("techniques", "--on takes twin, glibc or both, not '" + on + "'");
      }
    } else if (std::string e; !take_operand(a, "folder", &dir, &e)) {
      return usage_error("techniques", e);
    }
  }
  // A release is known when it has a twin or a real side here, or is the --libc one.
  for (const std::string& v : releases) {
    if (v == libc_release) continue;
    if (std::string e; !known_glibc_version(v, &e)) {
      if (v.empty()) e = "--glibc has an empty release in its list";
      return usage_error("techniques", e);
    }
  }
  if (dir.empty()) {
    if (!is_directory(kDefaultDir)) {
      return usage_error("techniques", std::string("no folder given, and ") + kDefaultDir +
                                           " is not here: run from the repository's root or "
                                           "name the folder");
    }
    dir = kDefaultDir;
  }
  // --libc with no --glibc: that release is one of the defaults; with --glibc, add it.
  if (!libc_release.empty() && !releases.empty()) releases.push_back(libc_release);
  std::string error;
  auto techniques = techniques::load_techniques(dir, &error);
  if (!techniques) {
    std::fprintf(stderr, "heaptwin techniques: %s\n", error.c_str());
    return kExitUsage;
  }
  const auto columns = techniques::columns_for(releases, on != "glibc", on != "twin", libc_release);
  if (columns.empty()) {
    return usage_error("techniques", "no release chosen has a " + on + " side here");
  }
  const techniques::Table table =
      techniques::run_table(*techniques, columns, [](const std::string& side) {
        std::fprintf(stderr, "heaptwin techniques: running on %s\n", side.c_str());
      });
  if (table.columns.empty()) {
    for (const std::string& u : table.unavailable) {
      std::fprintf(stderr, "heaptwin techniques: cannot run %s\n", u.c_str());
    }
    return kExitUsage;
  }
  std::printf("# %zu techniques from %s\n", techniques->size(), dir.c_str());
  std::fputs(techniques::format_table(table).c_str(), stdout);
  return table.disagrees() ? kExitFound : kExitOk;
}

}  // namespace heaptwin::cli
