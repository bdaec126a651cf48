// The twin and the host's real glibc side by side, for the suites that hold one to the other:
// a Program run on both must agree op by op (oracle/differ.h).
#ifndef HEAPTWIN_TESTS_TWIN_AND_GLIBC_H_
#define HEAPTWIN_TESTS_TWIN_AND_GLIBC_H_

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "oracle/differ.h"
#include "oracle/glibc/glibc_side.h"
#include "oracle/twin_side.h"

namespace heaptwin {

class TwinAndGlibcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    twin_ = make_twin_side("twin", &error);
    ASSERT_NE(twin_, nullptr) << error;
    glibc_ = make_glibc_side("glibc", &error);
    ASSERT_NE(glibc_, nullptr) << error;
  }

  // Runs `program` on both sides and expects them to agree (a failure names `what` and the
  // first difference); the traces, the twin's first.
  std::vector<Trace> run_both(const Program& program, const RunOptions& options,
                              const std::string& what = "") {
    std::vector<Trace> traces = {twin_->run(program, options), glibc_->run(program, options)};
    DiffResult result = diff_traces(traces);
    EXPECT_TRUE(result.agree()) << what << "\n" << format_divergence(program, traces, result);
    return traces;
  }

  std::unique_ptr<Side> twin_, glibc_;
};

}  // namespace heaptwin

#endif  // HEAPTWIN_TESTS_TWIN_AND_GLIBC_H_
