// Every command that reads a file, given one it cannot use: exit 2 and a message that names the
// file and the reason (a directory was exit 0 and nothing before issue 14). And the limits that
// remain are named, while the ones that went (4,095 slots) are gone.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "tests/preload/run_process.h"

namespace heaptwin::preload_test {
namespace {

using Argv = std::vector<std::string>;

std::string heaptwin() { return runfile("tools/heaptwin"); }

std::string temp_path(const std::string& name) {
  const char* dir = getenv("TEST_TMPDIR");
  return std::string(dir && *dir ? dir : "/tmp") + "/" + name;
}

Finished run_heaptwin(Argv args) {
  args.insert(args.begin(), heaptwin());
  return run(args, RunOptions{{}, "", false, ""});
}

void write(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

// `args` with FILE replaced by `file`.
Argv with_file(const Argv& args, const std::string& file) {
  Argv out;
  for (const std::string& a : args) out.push_back(a == "FILE" ? file : a);
  return out;
}

// Each command, FILE where the bad input goes; no side that needs a runner process.
const std::vector<Argv>& commands_that_read_a_file() {
  static const std::vector<Argv> kCommands = {
      {"parse", "FILE"},
      {"run", "FILE", "--on", "twin"},
      {"diff", "FILE", "--sides", "twin,model"},
      {"check", "FILE", "--on", "twin"},
      {"show", "FILE", "--on", "twin"},
      {"decode", "FILE"},
      {"encode", "FILE", "-o", "/dev/null"},
      {"repro", "FILE", "--sides", "twin,model"},
  };
  return kCommands;
}

void expect_refused(const Argv& args, const std::string& message) {
  Finished f = run_heaptwin(args);
  EXPECT_EQ(f.exit_code, 2) << args[0] << "\n" << f.out << f.err;
  EXPECT_NE(f.err.find(message), std::string::npos) << args[0] << ": stderr was\n" << f.err;
}

TEST(BadInput, ADirectoryIsRefusedByName) {
  const std::string dir = temp_path("a_folder.heap");
  mkdir(dir.c_str(), 0755);
  for (const Argv& args : commands_that_read_a_file()) {
    expect_refused(with_file(args, dir), dir + ": is a directory");
  }
  expect_refused({"exec", "--trace", dir, "--", "true"}, dir + ": is a directory");
}

TEST(BadInput, AMissingFileIsNamedWithTheReason) {
  const std::string missing = temp_path("no_such_file.heap");
  for (const Argv& args : commands_that_read_a_file()) {
    expect_refused(with_file(args, missing), missing + ": no such file or directory");
  }
  expect_refused({"exec", "--trace", temp_path("no/such/folder/t.heap"), "--", "true"},
                 "no/such/folder/t.heap: no such file or directory");
}

// A file that opens but cannot be read (reading /proc/self/mem at 0 fails with EIO; root, which
// CI runs as, can read any file that merely lacks permission bits).
TEST(BadInput, AnUnreadableFileIsNamedWithTheReason) {
  expect_refused({"parse", "/proc/self/mem"}, "/proc/self/mem: input/output error");
  expect_refused({"run", "/proc/self/mem", "--on", "twin"}, "/proc/self/mem: input/output error");
}

// An unknown release, or a --libc that is no glibc: exit 2, the reason, and what is known.
TEST(BadInput, AnUnknownReleaseListsTheKnownOnes) {
  const std::string script = temp_path("one_malloc.heap");
  write(script, "a = malloc 0x18\n");
  for (const Argv& args : commands_that_read_a_file()) {
    if (args[0] == "parse" || args[0] == "decode" || args[0] == "encode") continue;
    Argv with_release = with_file(args, script);
    with_release.push_back("--glibc");
    with_release.push_back("2.99");
    expect_refused(with_release,
                   "unknown glibc version '2.99' (twins: 2.23, 2.27, 2.31, 2.35, 2.36, "
                   "2.39, 2.41, 2.43, 2.44;");
  }
  expect_refused({"golden", "--glibc", "2.99"}, "unknown glibc version '2.99'");
  expect_refused({"fuzz", "--glibc", "2.99"}, "unknown glibc version '2.99'");
  const std::string not_libc = temp_path("libc.so.6");
  write(not_libc, "not a library\n");
  expect_refused({"run", script, "--libc", not_libc}, not_libc + ": not a glibc");
  expect_refused({"run", script, "--libc", temp_path("no_such_dir")},
                 temp_path("no_such_dir") + ": No such file or directory");
}

// A thread past the limit (t0 to t7) is a parse error: exit 2, file, line and what was expected,
// from every command that reads a script; a threaded script is refused by the C export.
TEST(BadInput, AThreadPastTheLimitIsNamedWithItsLine) {
  const std::string script = temp_path("nine_threads.heap");
  write(script, "a = malloc 0x18\nt8: free a\n");
  for (const Argv& args : commands_that_read_a_file()) {
    if (args[0] == "decode") continue;  // bytes, not a script
    expect_refused(with_file(args, script),
                   script + ":2: thread 't8' is past the limit: at most 8 threads (t0 to t7)");
  }
  const std::string threaded = temp_path("two_threads.heap");
  write(threaded, "a = malloc 0x18\nt1: free a\n");
  expect_refused({"export", "--c", threaded}, threaded + ": the C export runs one thread");
}

// The reference model is a model of 2.36: paired with another release's twin it is refused.
TEST(BadInput, TheModelJudgesOnly236) {
  const std::string script = temp_path("one_malloc.heap");
  write(script, "a = malloc 0x18\n");
  expect_refused({"diff", script, "--sides", "twin,model", "--glibc", "2.31"},
                 "the reference model follows glibc 2.36 only");
  expect_refused({"fuzz", "--target", "twin_vs_model", "--glibc", "2.31"},
                 "reference model of glibc 2.36 only");
  Finished f = run_heaptwin({"diff", script, "--sides", "twin,model"});
  EXPECT_EQ(f.exit_code, 0) << f.err;
}

// The threads target needs a release whose twin models threads and whose runner starts them.
TEST(BadInput, ThreadsFuzzesOnly235To241) {
  expect_refused({"fuzz", "--target", "threads", "--glibc", "2.31"},
                 "threads fuzzes releases 2.35 .. 2.41 only (the twin's threads); not 2.31");
  expect_refused({"fuzz", "--target", "threads", "--glibc", "2.44"}, "not 2.44");
}

TEST(BadInput, GoldenWantsAFolder) {
  expect_refused({"golden", "--side", "twin", temp_path("no_such_folder")},
                 "no_such_folder: no such file or directory");
  const std::string file = temp_path("golden_file.heap");
  write(file, "a = malloc 1\n");
  expect_refused({"golden", "--side", "twin", file}, file + ": not a directory");
}

TEST(BadInput, AScriptErrorNamesFileAndLine) {
  const std::string file = temp_path("bad_line.heap");
  write(file, "a = malloc 1\nfree b\n");
  expect_refused({"parse", file}, file + ":2: unknown slot 'b'");
}

// The fuzz encoding numbers slots in 5 bits: a Program with more cannot be encoded, and says so.
TEST(BadInput, ANumberOfOpsMustBeAPositiveCount) {
  const std::string file = temp_path("two.heap");
  write(file, "a = malloc 0x18\nfree a\n");
  for (const char* cmd : {"run", "diff"}) {
    for (const char* bad : {"0", "-1", "x", "3ops"}) {
      Argv args = {cmd, file, "--full-check-every", bad};
      if (std::string(cmd) == "diff") args.insert(args.end(), {"--sides", "twin,model"});
      Finished f = run_heaptwin(args);
      EXPECT_EQ(f.exit_code, 2) << cmd << " " << bad;
      EXPECT_NE(f.err.find("--full-check-every needs a positive number"), std::string::npos)
          << f.err;
    }
    Argv ok = {cmd, file, "--full-check-every", "1"};
    if (std::string(cmd) == "diff") ok.insert(ok.end(), {"--sides", "twin,model"});
    EXPECT_EQ(run_heaptwin(ok).exit_code, 0) << cmd;
  }
}

TEST(Limits, EncodeNamesTheFuzzEncodingsSlotLimit) {
  const std::string file = temp_path("forty_slots.heap");
  std::string text;
  for (int i = 0; i < 40; ++i) text += "x" + std::to_string(i) + " = malloc 0x18\n";
  write(file, text);
  expect_refused({"encode", file, "-o", temp_path("forty_slots.bin")},
                 "uses 40 slots; the fuzz encoding holds at most 31");
}

// The .heap format's old cap (4,095 slots) is gone: 20,000 pointers live at once parse and run.
TEST(Limits, TwentyThousandSlotsParseAndRunOnTheTwin) {
  const std::string file = temp_path("many_slots.heap");
  std::string text;
  for (int i = 1; i <= 20000; ++i) text += "p" + std::to_string(i) + " = malloc 0x18\n";
  for (int i = 1; i <= 20000; ++i) text += "free p" + std::to_string(i) + "\n";
  write(file, text);
  Finished parsed = run_heaptwin({"parse", "--quiet", file});
  EXPECT_EQ(parsed.exit_code, 0) << parsed.err;
  Finished ran = run_heaptwin({"run", file, "--on", "twin", "--no-check"});
  EXPECT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_NE(ran.out.find("39999: free p20000  -> done"), std::string::npos)
      << ran.out.substr(ran.out.size() > 500 ? ran.out.size() - 500 : 0);
}

}  // namespace
}  // namespace heaptwin::preload_test
