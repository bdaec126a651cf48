// The drop-in library is LD_PRELOADed into ordinary programs, which a sanitized build of it
// cannot join (the sanitizer's runtime must come first): under --config=asan/ubsan (which define
// HEAPTWIN_SANITIZED) every test of a binary that includes this skips.
#ifndef HEAPTWIN_TESTS_PRELOAD_SKIP_WHEN_SANITIZED_H_
#define HEAPTWIN_TESTS_PRELOAD_SKIP_WHEN_SANITIZED_H_

#include <gtest/gtest.h>

namespace heaptwin::testing {

class SkipWhenSanitized : public ::testing::Environment {
 public:
  void SetUp() override {
#ifdef HEAPTWIN_SANITIZED
    GTEST_SKIP() << "a sanitized drop-in library cannot be preloaded into other programs";
#endif
  }
};

inline ::testing::Environment* const kSkipWhenSanitized =
    ::testing::AddGlobalTestEnvironment(new SkipWhenSanitized);

}  // namespace heaptwin::testing

#endif  // HEAPTWIN_TESTS_PRELOAD_SKIP_WHEN_SANITIZED_H_
