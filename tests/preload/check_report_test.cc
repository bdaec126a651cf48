// heaptwin exec --check's report names where the program broke its heap: C programs with a known
// double free and a known overflow, compiled here with -g, must be reported with the function
// and source line of the breaking call and of the chunk's allocation (and first free, or the
// chunk below), in the text and in --json's document.
#include <gtest/gtest.h>

#include "tests/preload/skip_when_sanitized.h"

#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/preload/run_process.h"

namespace heaptwin::preload_test {
namespace {

// MARKER -> its line in `source` ("// ALLOC" on line 9 -> 9).
std::map<std::string, int> marker_lines(const std::string& source) {
  std::map<std::string, int> lines;
  std::istringstream in(source);
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    for (const char* m : {"ALLOC", "FREE", "BREAK", "BELOW"}) {
      if (line.find(std::string("  // ") + m) != std::string::npos) lines[m] = n;
    }
  }
  return lines;
}

struct Checked {
  Finished run;
  std::string file;  // NAME.c
  std::map<std::string, int> lines;
  std::string json;

  int line(const std::string& marker) const {
    auto it = lines.find(marker);
    return it == lines.end() ? 0 : it->second;
  }
};

// Compiles tests/preload/check_report/NAME.c (-g -O0: frame pointers, exact lines) and runs it
// under heaptwin exec --check --json.
Checked check_program(const std::string& name, const std::vector<std::string>& flags = {"-O0"}) {
  Checked c;
  const std::string source = runfile("tests/preload/check_report/" + name + ".c");
  c.file = name + ".c";
  c.lines = marker_lines(slurp(source));
  const std::string binary = temp_path(name);
  RunOptions plain;
  plain.no_aslr = false;
  std::vector<std::string> cc_argv = {"cc", "-g", "-w", "-o", binary, source};
  cc_argv.insert(cc_argv.end(), flags.begin(), flags.end());
  Finished cc = run(cc_argv, plain);
  EXPECT_EQ(cc.exit_code, 0) << cc.err;
  const std::string json = temp_path(name + ".json");
  c.run = run({runfile("tools/heaptwin"), "exec", "--check", "--json", json, "--", binary}, plain);
  c.json = slurp(json);
  return c;
}

// The frames under the heading that contains `heading`, up to the next heading.
std::string stack_under(const std::string& report, const std::string& heading) {
  size_t at = report.find(heading);
  if (at == std::string::npos) return "";
  at = report.find('\n', at);
  std::string frames;
  std::istringstream in(report.substr(at + 1));
  for (std::string line; std::getline(in, line) && line.rfind("    #", 0) == 0;)
    frames += line + "\n";
  return frames;
}

// Whether a frame of `stack` is "#N 0x... in FUNCTION /path/FILE:LINE".
bool has_frame(const std::string& stack, const std::string& function, const std::string& file,
               int line) {
  const std::string tail = "/" + file + ":" + std::to_string(line);
  std::istringstream in(stack);
  for (std::string l; std::getline(in, l);) {
    if (l.find(" in " + function + " /") != std::string::npos && l.size() > tail.size() &&
        l.compare(l.size() - tail.size(), tail.size(), tail) == 0) {
      return true;
    }
  }
  return false;
}

// Whether the text report's stack under `heading` has a frame of `function` at the line of
// `marker` in the program's source (`after` lines past it).
::testing::AssertionResult reports_frame(const Checked& c, const std::string& heading,
                                         const std::string& function, const std::string& marker,
                                         int after = 0) {
  const int line = c.line(marker) + after;
  if (has_frame(stack_under(c.run.out, heading), function, c.file, line)) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "no frame of " << function << " at " << c.file << ":"
                                       << line << " under \"" << heading << "\" in\n"
                                       << c.run.out;
}

// What a JSON document says, flattened by python3's json module (the document must parse):
// "KIND FUNCTION LINE" for each stack's first frame, and "rule RULE".
std::string json_summary(const std::string& json) {
  const std::string file = temp_path("report.json");
  std::ofstream(file) << json;
  RunOptions plain;
  plain.no_aslr = false;
  Finished f = run({"/usr/bin/python3", "-c",
                    "import json, sys\n"
                    "d = json.load(open(sys.argv[1]))\n"
                    "for r in d['reports']:\n"
                    "  print('rule', r['rule'], r['call_index'], r['call'].split()[0])\n"
                    "  for s in r['stacks']:\n"
                    "    f = s['frames'][0]\n"
                    "    print(s['kind'], s['call_index'], f['function'], "
                    "f['file'].split('/')[-1], f['line'])\n",
                    file},
                   plain);
  EXPECT_EQ(f.exit_code, 0) << "the JSON does not parse: " << f.err << json;
  return f.out;
}

// Whether json_summary's `summary` has the stack "KIND CALL FUNCTION", its first frame at the
// line of `marker` in the program's source.
::testing::AssertionResult names_stack(const std::string& summary, const Checked& c,
                                       const std::string& kind_call_function,
                                       const std::string& marker) {
  const std::string want =
      kind_call_function + " " + c.file + " " + std::to_string(c.line(marker)) + "\n";
  if (summary.find(want) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "no \"" << want << "\" in\n" << summary;
}

bool have_python() { return access("/usr/bin/python3", X_OK) == 0; }

TEST(CheckReport, DoubleFreeNamesTheCallTheAllocationAndTheFirstFree) {
  Checked c = check_program("double_free");
  const std::string& out = c.run.out;
  ASSERT_EQ(c.run.exit_code, 1) << out << c.run.err;
  EXPECT_NE(out.find("glibc aborts in call 5 (free 0x"), std::string::npos) << out;
  EXPECT_NE(out.find("free(): double free detected in tcache 2"), std::string::npos) << out;
  const std::string call = stack_under(out, "), made at:");
  EXPECT_EQ(call.find("#0 0x"), 4u) << out;
  EXPECT_TRUE(reports_frame(c, "), made at:", "main", "BREAK"));
  const std::string alloc = stack_under(out, "was allocated by call 1 at:");
  EXPECT_NE(alloc.find("#0 0x"), std::string::npos) << out;
  EXPECT_TRUE(reports_frame(c, "was allocated by call 1 at:", "make_name", "ALLOC"));
  EXPECT_NE(alloc.find("#1 "), std::string::npos) << "frame-pointer walk past the call site:\n"
                                                  << out;
  EXPECT_TRUE(reports_frame(c, "last freed by call 3 at:", "release", "FREE"));
  EXPECT_EQ(out.find("the chunk below it"), std::string::npos) << "a double free is no overflow\n"
                                                               << out;
  if (!have_python())
    GTEST_SKIP() << "no /usr/bin/python3 to parse the JSON (apt-get install python3)";
  const std::string j = json_summary(c.json);
  EXPECT_NE(j.find("rule glibc_abort 5 free\n"), std::string::npos) << j;
  EXPECT_TRUE(names_stack(j, c, "call 5 main", "BREAK"));
  EXPECT_TRUE(names_stack(j, c, "chunk_allocated 1 make_name", "ALLOC"));
  EXPECT_TRUE(names_stack(j, c, "chunk_freed 3 release", "FREE"));
}

TEST(CheckReport, OverflowNamesTheCallTheChunkAndTheChunkBelow) {
  Checked c = check_program("overflow");
  const std::string& out = c.run.out;
  ASSERT_EQ(c.run.exit_code, 1) << out << c.run.err;
  EXPECT_NE(out.find("the heap breaks 1 rule after call 4 (free 0x"), std::string::npos) << out;
  EXPECT_TRUE(reports_frame(c, "), made at:", "main", "BREAK"));
  EXPECT_TRUE(reports_frame(c, "was allocated by call 2 at:", "main", "ALLOC"));
  EXPECT_TRUE(reports_frame(c, "the chunk below it", "make_buffer", "BELOW"));
  EXPECT_TRUE(reports_frame(c, "the chunk below it", "main", "BELOW", 4));
  if (!have_python())
    GTEST_SKIP() << "no /usr/bin/python3 to parse the JSON (apt-get install python3)";
  const std::string j = json_summary(c.json);
  EXPECT_TRUE(names_stack(j, c, "call 4 main", "BREAK"));
  EXPECT_TRUE(names_stack(j, c, "chunk_allocated 2 main", "ALLOC"));
  EXPECT_TRUE(names_stack(j, c, "below_allocated 1 make_buffer", "BELOW"));
}

// Optimised, without frame pointers: frame #0 (the call site, the exported function's return
// address) is still exact, inlined functions included; the walk ends there without harm.
TEST(CheckReport, OptimisedWithoutFramePointersStillNamesTheCallSites) {
  Checked c = check_program("double_free", {"-O2", "-fomit-frame-pointer", "-fno-builtin"});
  const std::string& out = c.run.out;
  ASSERT_EQ(c.run.exit_code, 1) << out << c.run.err;
  EXPECT_TRUE(reports_frame(c, "), made at:", "main", "BREAK"));
  EXPECT_TRUE(reports_frame(c, "was allocated by call 1 at:", "make_name", "ALLOC"));
  EXPECT_TRUE(reports_frame(c, "last freed by call 3 at:", "release", "FREE"));
}

// A run where nothing breaks still writes the document, with no report.
TEST(CheckReport, CleanRunWritesAnEmptyList) {
  const std::string json = temp_path("clean.json");
  RunOptions plain;
  plain.no_aslr = false;
  Finished f = run({runfile("tools/heaptwin"), "exec", "--json", json, "--", "true"}, plain);
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_NE(slurp(json).find("\"reports\": []"), std::string::npos) << slurp(json);
}

}  // namespace
}  // namespace heaptwin::preload_test
