// Where the golden scenarios are, in a test: the runfiles' tests/golden (or, outside Bazel, the
// working directory's), or a folder inside it ("aborts", "2.31").
#ifndef HEAPTWIN_TESTS_GOLDEN_DIR_H_
#define HEAPTWIN_TESTS_GOLDEN_DIR_H_

#include <cstdlib>
#include <string>

namespace heaptwin {

inline std::string golden_dir(const std::string& sub = "") {
  std::string base = "tests/golden";
  if (const char* d = std::getenv("TEST_SRCDIR"); d && *d)
    base = std::string(d) + "/heaptwin/tests/golden";
  return sub.empty() ? base : base + "/" + sub;
}

}  // namespace heaptwin

#endif  // HEAPTWIN_TESTS_GOLDEN_DIR_H_
