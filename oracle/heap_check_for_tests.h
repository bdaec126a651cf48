// Test support for the heap checkers' suites on real glibc: what a check reported, as text and
// as the set of rules broken, and one glibc side for a whole suite. Header-only, in the tests'
// own sources.
#ifndef HEAPTWIN_ORACLE_HEAP_CHECK_FOR_TESTS_H_
#define HEAPTWIN_ORACLE_HEAP_CHECK_FOR_TESTS_H_

#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "oracle/glibc/glibc_side.h"
#include "oracle/heap_check.h"
#include "program/parse_for_tests.h"

namespace heaptwin::testing {

inline std::string describe(const std::vector<Violation>& vs) {
  std::string s;
  for (const auto& v : vs) s += "  " + to_string(v) + "\n";
  return s.empty() ? "  (none)\n" : s;
}

inline std::set<std::string> rules_of(const std::vector<Violation>& vs) {
  std::set<std::string> r;
  for (const auto& v : vs) r.insert(v.rule);
  return r;
}

// One host glibc side for all of a suite's tests (a runner per test would cost more than the
// checks), and runs of a script that hand real glibc's memory after each op to `inspect`.
class GlibcSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string error;
    side_ = make_glibc_side("glibc", &error).release();
    ASSERT_NE(side_, nullptr) << error;
  }
  static void TearDownTestSuite() {
    delete side_;
    side_ = nullptr;
  }
  static Trace run_inspecting(const std::string& text, HeapInspector inspect,
                              std::vector<std::pair<std::string, std::string>> tunables = {}) {
    RunOptions options;
    options.tunables = std::move(tunables);
    options.inspect = std::move(inspect);
    Trace t = side_->run(parse_script(text), options);
    EXPECT_EQ(t.error, "");
    return t;
  }
  static inline Side* side_ = nullptr;
};

}  // namespace heaptwin::testing

#endif  // HEAPTWIN_ORACLE_HEAP_CHECK_FOR_TESTS_H_
