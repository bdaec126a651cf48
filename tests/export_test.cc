// `heaptwin export --c`, held to real glibc: every golden scenario (tests/golden/*.heap and
// tests/golden/aborts/*.heap) is exported, compiled with the host's C compiler, run without
// address randomisation, and what it prints is compared op by op with the outcomes the glibc
// side (the runner, make_side("glibc")) reports for the same scenario, abort messages included.
// What is expected comes from running real glibc, never from the twin.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "oracle/glibc/glibc_versions.h"
#include "oracle/glibc/runner_binary.h"
#include "oracle/golden.h"
#include "oracle/side.h"
#include "program/heap_format.h"
#include "tests/golden_dir.h"
#include "tests/preload/run_process.h"
#include "tools/export_c.h"

namespace heaptwin {
namespace {

using preload_test::Finished;

std::string temp_dir() {
  const char* d = std::getenv("TEST_TMPDIR");
  return d && *d ? d : "/tmp";
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// `cc`, else `gcc`, found on PATH: the glibc runner compiles with it at run time too.
std::string c_compiler() {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (const char* name : {"cc", "gcc"}) {
    std::istringstream in(dirs);
    for (std::string dir; std::getline(in, dir, ':');) {
      const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  return "";
}

std::string base_name(const std::string& path) { return path.substr(path.rfind('/') + 1); }

std::string trim_newlines(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// An exported program as it ran: per op the text it printed after the separator; the last op's
// is empty when the program died inside it (its line was started before the op ran).
struct Printed {
  std::vector<std::string> ops;       // what it printed before the separator ("a = malloc 0x18")
  std::vector<std::string> outcomes;  // after it ("0x2a0"), "" for an op it never finished
  std::string problem;                // a line it should not have printed
};

Printed read_output(const std::string& out) {
  Printed p;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# ", 0) == 0) continue;
    const size_t colon = line.find(": ");
    const size_t sep = line.find(kOutcomeSeparator);
    if (colon == std::string::npos || sep == std::string::npos ||
        line.substr(0, colon) != std::to_string(p.ops.size())) {
      p.problem = "unexpected line '" + line + "'";
      return p;
    }
    p.ops.push_back(line.substr(colon + 2, sep - colon - 2));
    p.outcomes.push_back(line.substr(sep + std::string(kOutcomeSeparator).size()));
  }
  return p;
}

// glibc's message on the program's stderr: without its own notes ("# note: ...") and, for the
// assertions of glibc before 2.36, without the program's name glibc puts first (the runner's
// side drops its own name likewise).
std::string abort_message(const std::string& err, const std::string& program_path) {
  std::string kept;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# ", 0) != 0) kept += line + "\n";
  }
  kept = trim_newlines(kept);
  const std::string name = base_name(program_path) + ": ";
  return kept.rfind(name, 0) == 0 ? kept.substr(name.size()) : kept;
}

// A fault's address compares only when it is heap-relative or a small raw one (a null page
// access): elsewhere it is where each process's kernel mapped something (docs/op-semantics.md).
bool fault_address_compares(const Outcome& o) { return o.address_in_heap || o.address < 0x10000; }

// Compares an export's run with the glibc side's trace; "" when they agree, else the first
// difference in words.
std::string compare(const Program& program, const Trace& glibc, const Finished& run,
                    const std::string& binary) {
  Printed printed = read_output(run.out);
  if (!printed.problem.empty()) return printed.problem;
  if (printed.ops.size() != glibc.outcomes.size()) {
    return "the export ran " + std::to_string(printed.ops.size()) + " ops, glibc " +
           std::to_string(glibc.outcomes.size()) + " (exit " + std::to_string(run.exit_code) +
           ", signal " + std::to_string(run.signal) + ")\nstdout:\n" + run.out + "stderr:\n" +
           run.err;
  }
  for (size_t i = 0; i < glibc.outcomes.size(); ++i) {
    const Outcome& want = glibc.outcomes[i];
    const std::string& got = printed.outcomes[i];
    const std::string where =
        "op " + std::to_string(i) + " (" + print_op(program, program.ops[i]) + "): ";
    if (printed.ops[i] != print_op(program, program.ops[i])) {
      return where + "the export printed the op as '" + printed.ops[i] + "'";
    }
    const bool last = i + 1 == glibc.outcomes.size();
    if (want.kind == OutcomeKind::kAbort) {
      if (!last || !got.empty() || run.signal != SIGABRT) {
        return where + "glibc aborts (" + want.message + "); the export printed '" + got +
               "' and ended with signal " + std::to_string(run.signal);
      }
      const std::string message = abort_message(run.err, binary);
      if (message != want.message) {
        return where + "glibc says '" + want.message + "', the export's stderr '" + message + "'";
      }
      continue;
    }
    if (want.kind == OutcomeKind::kFault) {
      const std::string expected = to_string(want);
      const bool same = fault_address_compares(want)
                            ? got == expected
                            : got.rfind(expected.substr(0, expected.find(" at ") + 4), 0) == 0 &&
                                  got.find("heap+") == std::string::npos;
      if (!same || !last || run.signal != want.signal) {
        return where + "glibc: " + expected + "; the export: '" + got + "', signal " +
               std::to_string(run.signal);
      }
      continue;
    }
    if (got != to_string(want))
      return where + "glibc: " + to_string(want) + "; the export: '" + got + "'";
  }
  const bool ended = !glibc.outcomes.empty() && glibc.outcomes.back().is_fatal();
  if (!ended && (run.exit_code != 0 || !abort_message(run.err, binary).empty())) {
    return "the export ran every op but exited " + std::to_string(run.exit_code) + " (signal " +
           std::to_string(run.signal) + "), stderr: " + run.err;
  }
  return "";
}

struct Scenario {
  std::string path;
  std::string text;
  Program program;
};

// The golden scenarios, and for another release its own beside them (tests/golden/2.31/*.heap).
std::vector<Scenario> golden_scenarios(const std::string& release) {
  std::vector<std::string> dirs = {golden_dir(), golden_dir("aborts")};
  if (!release.empty()) {
    dirs.push_back(golden_dir(release));
    dirs.push_back(golden_dir("aborts/" + release));
  }
  std::vector<Scenario> out;
  for (const std::string& dir : dirs) {
    for (const std::string& path : golden_files(dir)) {
      Scenario s;
      s.path = path;
      s.text = read_text(path);
      std::string error;
      auto program = parse_heap(s.text, path, &error);
      EXPECT_TRUE(program) << error;
      if (!program) continue;
      s.program = std::move(*program);
      if (!release.empty()) {
        // As the golden runs of other releases: a scenario that says it is not for the release,
        // and on releases without safe-linking those that write protect() values (they carry
        // each process's own heap address there: comparability rule protect_without_safe_linking).
        if (s.text.find("# not on: " + release + ":") != std::string::npos) continue;
        if (release < "2.32" && s.text.find("protect(") != std::string::npos) continue;
      }
      out.push_back(std::move(s));
    }
  }
  return out;
}

struct Build {
  std::string compiler;
  std::string flags;                    // before -o
  std::string release;                  // "" for the host's glibc
  std::vector<std::string> run_prefix;  // the loader and its --library-path, for another release
};

// How many scenarios were compared, and how many of them ended how (so that a test that
// quietly compared nothing of a kind says so).
struct Compared {
  size_t scenarios = 0, aborts = 0, faults = 0, mmapped = 0, nulls = 0;
};

// Exports, compiles and runs one scenario (file `name` in `dir`) and compares it with `glibc`.
void export_and_compare_one(const Build& build, const Scenario& s, const Trace& glibc,
                            const std::string& dir, const std::string& name, Compared* compared) {
  ExportOptions eo;
  eo.source = s.path;
  eo.description = heap_description(s.text);
  eo.release = build.release;
  const std::string source = dir + "/" + name + ".c", binary = dir + "/" + name;
  write_text(source, export_c(s.program, eo));
  std::string compiler_output;
  const int status =
      run_shell(build.compiler + " " + build.flags + " -o '" + binary + "' '" + source + "'",
                &compiler_output);
  if (status != 0) {
    ADD_FAILURE() << "cannot compile " << source << ":\n" << compiler_output;
    return;
  }
  EXPECT_EQ(compiler_output, "") << "the compiler warned about " << source;
  std::vector<std::string> argv = build.run_prefix;
  argv.push_back(binary);
  Finished run = preload_test::run(argv, preload_test::RunOptions{});
  const std::string difference = compare(s.program, glibc, run, binary);
  EXPECT_EQ(difference, "") << source;
  if (!difference.empty()) return;
  ++compared->scenarios;
  for (const Outcome& o : glibc.outcomes) {
    compared->aborts += o.kind == OutcomeKind::kAbort;
    compared->faults += o.kind == OutcomeKind::kFault;
    compared->mmapped += o.kind == OutcomeKind::kMmapped;
    compared->nulls += o.kind == OutcomeKind::kNull;
  }
}

// Exports, compiles and runs every golden scenario, and compares each with `side`.
Compared export_and_compare(const Build& build, Side& side, const std::string& tag) {
  const std::vector<Scenario> scenarios = golden_scenarios(build.release);
  EXPECT_GE(scenarios.size(), 40u) << "scenarios missing from " << golden_dir();
  const std::string dir = temp_dir() + "/export_" + tag;
  ::mkdir(dir.c_str(), 0755);
  Compared compared;
  for (const Scenario& s : scenarios) {
    SCOPED_TRACE(s.path);
    RunOptions options;
    Trace glibc = side.run(s.program, options);
    if (!glibc.error.empty()) {
      ADD_FAILURE() << "the glibc side failed: " << glibc.error;
      continue;
    }
    bool timeout = false;
    for (const Outcome& o : glibc.outcomes) timeout |= o.kind == OutcomeKind::kTimeout;
    if (timeout) continue;  // the export has no time limit: it would hang as glibc did
    const std::string name = base_name(s.path).substr(0, base_name(s.path).size() - 5);
    export_and_compare_one(build, s, glibc, dir, name, &compared);
  }
  return compared;
}

// The host's C compiler, and its glibc side to compare with.
class ExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    compiler_ = c_compiler();
    if (compiler_.empty()) GTEST_SKIP() << "no cc or gcc on PATH: the exports cannot be compiled";
    if (!preload_test::setarch_works()) GTEST_SKIP() << "setarch -R does not work here";
    std::string error;
    glibc_ = make_side("glibc", &error);
    ASSERT_NE(glibc_, nullptr) << error;
  }
  std::string compiler_;
  std::unique_ptr<Side> glibc_;
};

// What a user does: `gcc -o t t.c && setarch -R ./t` (no optimisation).
TEST_F(ExportTest, EveryGoldenScenarioPrintsWhatRealGlibcDoes) {
  Build build{compiler_, "", "", {}};
  const Compared c = export_and_compare(build, *glibc_, "O0");
  EXPECT_GE(c.scenarios, 85u);
  EXPECT_GE(c.aborts, 40u) << "every scenario of tests/golden/aborts, and more, ends in an abort";
  EXPECT_GE(c.faults, 1u);
  EXPECT_GE(c.mmapped, 10u);
  EXPECT_GE(c.nulls, 5u);
}

// Optimised and with every warning on: the compiler neither warns nor optimises an op away (an
// allocation nobody reads, a store through a pointer it thinks it knows).
TEST_F(ExportTest, OptimisedBuildsPrintTheSame) {
  Build build{compiler_, "-O2 -Wall -Wextra", "", {}};
  const Compared c = export_and_compare(build, *glibc_, "O2");
  EXPECT_GE(c.scenarios, 85u);
  EXPECT_GE(c.aborts, 40u);
}

// Other releases, under their own loader: 2.41 (Debian's, built as on the host) and 2.31
// (Debian's, built against its own headers and crt files: a host-built binary needs GLIBC_2.34).
void other_release(const std::string& compiler, const std::string& release) {
  std::string error;
  auto install = libc_install(release, &error);
  if (!install) GTEST_SKIP() << "glibc " << release << " is not available here: " << error;
  auto side = make_side("glibc-" + release, &error);
  ASSERT_NE(side, nullptr) << error;
  Build build{compiler, "", release, {install->loader, "--library-path", install->library_dir}};
  if (release < "2.34") build.flags = old_glibc_build_flags(cache_dir() + "/glibc-2.31");
  const Compared c = export_and_compare(build, *side, release);
  EXPECT_GE(c.scenarios, 70u);
  EXPECT_GE(c.aborts, 30u);
}

// A long Program (split into functions of 1,000 ops) over slots named as C and libc name
// things, of every allocating op, with frees, reallocs, usable sizes and writes inside blocks.
Program long_program() {
  const std::vector<std::string> names = {"int",       "index",     "main",   "errno",
                                          "null_slot", "free_list", "p_a",    "op",
                                          "heap_base", "out",       "result", "stdout"};
  std::string text;
  uint64_t x = 0x2545f4914f6cdd1dull;
  auto next = [&x](uint64_t n) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x % n;
  };
  std::vector<bool> live(names.size() + 20);
  auto slot = [&](size_t i) { return i < names.size() ? names[i] : "s" + std::to_string(i); };
  for (int n = 0; n < 2500; ++n) {
    const size_t i = next(live.size());
    const std::string s = slot(i);
    if (live[i]) {
      switch (next(6)) {
        case 0:
        case 1:
          text += "free " + s + "\n";
          live[i] = false;
          break;
        case 2: text += s + " = realloc " + s + " " + std::to_string(1 + next(0x500)) + "\n"; break;
        case 3: text += "malloc_usable_size " + s + "\n"; break;
        case 4: text += "write8 " + s + " 0 " + slot((i + 1) % live.size()) + "+0x10\n"; break;
        default: text += "write8 " + s + " 0 heap+0x2a0\n"; break;
      }
      continue;
    }
    live[i] = true;
    switch (next(9)) {
      case 0: text += s + " = calloc " + std::to_string(1 + next(8)) + " 0x30\n"; break;
      case 1: text += s + " = memalign 0x" + std::to_string(40 * (1 + next(2))) + " 0x80\n"; break;
      case 2: text += s + " = posix_memalign 0x40 " + std::to_string(next(0x300)) + "\n"; break;
      case 3: text += s + " = aligned_alloc 0x20 0x60\n"; break;
      case 4: text += s + " = valloc 0x100\n"; break;
      case 5: text += s + " = malloc 0x21000\n"; break;  // mmapped
      default: text += s + " = malloc " + std::to_string(next(0x600)) + "\n"; break;
    }
  }
  text += "mallopt M_MXFAST 0\ntrim 0\n";
  std::string error;
  auto program = parse_heap(text, "long.heap", &error);
  EXPECT_TRUE(program) << error;
  return program ? *program : Program();
}

TEST_F(ExportTest, ALongProgramWithAwkwardSlotNames) {
  Scenario s;
  s.path = "long.heap";
  s.program = long_program();
  ASSERT_EQ(s.program.ops.size(), 2502u);
  Trace glibc = glibc_->run(s.program, RunOptions());
  ASSERT_TRUE(glibc.error.empty()) << glibc.error;
  ASSERT_EQ(glibc.outcomes.size(), s.program.ops.size())
      << "the Program is meant to run to its end";
  Compared compared;
  export_and_compare_one(Build{compiler_, "-O2 -Wall -Wextra", "", {}}, s, glibc, temp_dir(),
                         "long", &compared);
  EXPECT_EQ(compared.scenarios, 1u);
  EXPECT_GE(compared.mmapped, 3u);
}

// A forged size makes malloc_usable_size read a cached chunk's tcache_key as the next chunk's
// size: its PREV_INUSE bit decides the answer. glibc draws the key at random; the runner pins it
// (oracle/glibc/glibc_side_test.cc, TcacheKeyIsTheSameInEveryRun), and so does the export (its
// getrandom answered with the same key): without that, half of all runs would print 0.
TEST_F(ExportTest, TcacheKeyIsPinnedAsOnTheGlibcSide) {
  Scenario s;
  s.path = "tcache_key.heap";
  s.text = "a = malloc 0x18\nb = malloc 0x18\nfree b\nwrite8 a -0x8 0x31\nmalloc_usable_size a\n";
  std::string error;
  s.program = *parse_heap(s.text, s.path, &error);
  Trace glibc = glibc_->run(s.program, RunOptions());
  ASSERT_EQ(glibc.outcomes.size(), 5u);
  ASSERT_EQ(glibc.outcomes[4], Outcome::value_of(0x28));
  Compared compared;
  export_and_compare_one(Build{compiler_, "", "", {}}, s, glibc, temp_dir(), "tcache_key",
                         &compared);
  ASSERT_EQ(compared.scenarios, 1u);
  for (int i = 0; i < 15; ++i) {
    Finished run = preload_test::run({temp_dir() + "/tcache_key"}, preload_test::RunOptions{});
    EXPECT_EQ(compare(s.program, glibc, run, "tcache_key"), "") << "run " << i;
  }
}

TEST_F(ExportTest, Glibc241UnderItsLoader) { other_release(compiler_, "2.41"); }
TEST_F(ExportTest, Glibc231UnderItsLoader) { other_release(compiler_, "2.31"); }

// ---- the command, as a user meets it --------------------------------------------------------

Finished heaptwin(std::vector<std::string> args) {
  args.insert(args.begin(), preload_test::runfile("tools/heaptwin"));
  return preload_test::run(args, preload_test::RunOptions{{}, "", false, ""});
}

TEST(ExportCommand, WritesTheProgramWithWhereItCameFromAndHowToRunIt) {
  const std::string heap = golden_dir() + "/abort_double_free_tcache.heap";
  const std::string out = temp_dir() + "/cli_export.c";
  Finished f = heaptwin({"export", "--c", heap, "-o", out});
  ASSERT_EQ(f.exit_code, 0) << f.err;
  const std::string c = read_text(out);
  EXPECT_NE(c.find("heaptwin export of " + heap), std::string::npos);
  EXPECT_NE(c.find("A second free of a tcache chunk is caught by the tcache key."),
            std::string::npos)
      << "the scenario's own comment";
  EXPECT_NE(c.find("gcc -o t t.c && setarch -R ./t"), std::string::npos);
  EXPECT_NE(c.find("--library-path"), std::string::npos);
  EXPECT_NE(c.find("op(2, \"free a\");"), std::string::npos);
  // Standard output without -o: the same program.
  Finished to_stdout = heaptwin({"export", heap, "--c"});
  EXPECT_EQ(to_stdout.exit_code, 0);
  EXPECT_EQ(to_stdout.out, c);
}

TEST(ExportCommand, AScriptThatDoesNotParseIsNamedByFileAndLine) {
  const std::string heap = temp_dir() + "/bad_export.heap";
  write_text(heap, "a = malloc 0x18\nfree b\n");
  Finished f = heaptwin({"export", "--c", heap});
  EXPECT_EQ(f.exit_code, 2);
  EXPECT_NE(f.err.find(heap + ":2:"), std::string::npos) << f.err;
  EXPECT_EQ(f.out, "");
}

TEST(ExportCommand, AnOutputThatCannotBeWrittenSaysWhy) {
  const std::string heap = golden_dir() + "/abort_double_free_tcache.heap";
  Finished f = heaptwin({"export", "--c", heap, "-o", temp_dir() + "/no/such/folder/t.c"});
  EXPECT_EQ(f.exit_code, 2);
  EXPECT_NE(
      f.err.find(temp_dir() + "/no/such/folder/t.c: cannot create: No such file or directory"),
      std::string::npos)
      << f.err;
  Finished dir = heaptwin({"export", "--c", heap, "-o", temp_dir()});
  EXPECT_EQ(dir.exit_code, 2);
  EXPECT_NE(dir.err.find("Is a directory"), std::string::npos) << dir.err;
}

TEST(ExportCommand, UsageErrorsAndHelp) {
  const std::string heap = golden_dir() + "/abort_double_free_tcache.heap";
  EXPECT_EQ(heaptwin({"export", heap}).exit_code, 2) << "no --c";
  EXPECT_EQ(heaptwin({"export", "--c"}).exit_code, 2) << "no file";
  EXPECT_EQ(heaptwin({"export", "--c", heap, "--glibc", "9.99"}).exit_code, 2);
  EXPECT_EQ(heaptwin({"export", "--c", heap, "--bogus"}).exit_code, 2);
  Finished missing = heaptwin({"export", "--c", temp_dir() + "/missing.heap"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("missing.heap: no such file or directory"), std::string::npos);
  Finished help = heaptwin({"export", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("usage: heaptwin export --c FILE.heap"), std::string::npos);
}

}  // namespace
}  // namespace heaptwin
