// The twin against real glibc, live, on every golden scenario: the same outcome and the same arena
// snapshot after every op.
#include <gtest/gtest.h>

#include <dirent.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "oracle/differ.h"
#include "oracle/glibc/glibc_side.h"
#include "oracle/twin_side.h"
#include "program/heap_format.h"

namespace heaptwin {
namespace {

std::string golden_dir() {
  if (const char* d = std::getenv("TEST_SRCDIR"); d && *d) return std::string(d) + "/heaptwin/tests/golden";
  return "tests/golden";
}

std::vector<std::string> heap_files() {
  std::vector<std::string> files;
  if (DIR* dir = opendir(golden_dir().c_str())) {
    while (dirent* e = readdir(dir)) {
      std::string n = e->d_name;
      if (n.size() > 5 && n.compare(n.size() - 5, 5, ".heap") == 0) files.push_back(golden_dir() + "/" + n);
    }
    closedir(dir);
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(TwinGoldenTest, EveryScenarioAgreesWithRealGlibc) {
  std::string error;
  auto twin = make_twin_side("twin", &error);
  ASSERT_NE(twin, nullptr) << error;
  auto glibc = make_glibc_side("glibc", &error);
  ASSERT_NE(glibc, nullptr) << error;
  RunOptions options;
  options.snapshots = true;
  int checked = 0;
  for (const std::string& file : heap_files()) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    auto program = parse_heap(text.str(), file, &error);
    ASSERT_TRUE(program.has_value()) << error;
    std::vector<Trace> traces = {twin->run(*program, options), glibc->run(*program, options)};
    DiffResult result = diff_traces(traces);
    EXPECT_TRUE(result.agree()) << file << "\n" << format_divergence(*program, traces, result);
    ++checked;
  }
  EXPECT_GE(checked, 40) << "scenarios missing from " << golden_dir();
}

}  // namespace
}  // namespace heaptwin
