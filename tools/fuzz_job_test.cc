// The fuzz job's supervisor (run_job) on a stand-in libFuzzer (testdata/fake_libfuzzer.sh):
// live execution counts, the stop at the first finding, the stop at the time limit, a worker
// that fails, and the processes a job leaves behind.
#include "tools/fuzz_job.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>

#include "tools/fuzz_process.h"

namespace heaptwin::cli {
namespace {

class FuzzJobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/fuzz_job_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    plan_.target = "fake";
    plan_.engine = "libfuzzer";
    plan_.jobs = 2;
    plan_.seconds = 30;
    plan_.seed = 7;  // workers get -seed=7 and -seed=8
    plan_.binary =
        std::string(std::getenv("TEST_SRCDIR")) + "/heaptwin/tools/testdata/fake_libfuzzer.sh";
    plan_.corpus_dir = dir_ + "/corpus";
    plan_.crashes_dir = dir_ + "/crashes";
    plan_.work_dir = dir_ + "/run";
    plan_.mark = "fuzz_job_test-" + std::to_string(getpid());
  }
  void TearDown() override {
    for (const char* v : {"FAKE_FINDER", "FAKE_FAIL", "FAKE_LEAVE_BEHIND", "FAKE_SLOW_WRITE"})
      unsetenv(v);
    remove_tree(dir_);
  }
  std::string dir_;
  JobPlan plan_;
};

TEST_F(FuzzJobTest, TheFirstFindingStopsEveryWorker) {
  setenv("FAKE_FINDER", "8", 1);  // the second worker finds something after 50 executions
  JobResult r;
  std::string error;
  const double t0 = monotonic_seconds();
  ASSERT_TRUE(run_job(plan_, 0, &r, &error)) << error;
  EXPECT_LT(monotonic_seconds() - t0, 20);  // not the 30 s limit: stopped at the finding
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].path, plan_.crashes_dir + "/crash-fake");
  EXPECT_GE(r.first_finding_seconds, 0.0);
  EXPECT_LT(r.first_finding_seconds, r.seconds + 0.5);
  EXPECT_GE(r.execs, 50u);                      // the counters: both workers counted
  EXPECT_EQ(r.coverage.substr(0, 5), "cov 1");  // from the status lines
  EXPECT_FALSE(r.interrupted);
  EXPECT_EQ(r.failure, "");
}

TEST_F(FuzzJobTest, AFindingIsWholeBeforeTheJobStops) {
  setenv("FAKE_FINDER", "7", 1);
  setenv("FAKE_SLOW_WRITE", "1", 1);  // the crash file is empty for a second
  JobResult r;
  std::string error;
  ASSERT_TRUE(run_job(plan_, 0, &r, &error)) << error;
  ASSERT_EQ(r.findings.size(), 1u);
  std::string bytes;
  std::ifstream(r.findings[0].path) >> bytes;
  EXPECT_EQ(bytes, "fake");
}

TEST_F(FuzzJobTest, TheTimeLimitStopsTheWorkers) {
  plan_.seconds = 1;
  JobResult r;
  std::string error;
  ASSERT_TRUE(run_job(plan_, 0, &r, &error)) << error;
  EXPECT_TRUE(r.findings.empty());
  EXPECT_GE(r.seconds, 1.0);
  EXPECT_LT(r.seconds, 15.0);
  EXPECT_GT(r.execs, 0u);
  EXPECT_LT(r.first_finding_seconds, 0.0);
  EXPECT_EQ(r.failure, "");  // stopped by us: no failure
}

TEST_F(FuzzJobTest, AWorkerThatEndsWithoutAFindingIsAFailure) {
  setenv("FAKE_FAIL", "1", 1);
  JobResult r;
  std::string error;
  ASSERT_TRUE(run_job(plan_, 0, &r, &error)) << error;
  EXPECT_TRUE(r.findings.empty());
  EXPECT_NE(r.failure.find("ended (exit 1) without a finding"), std::string::npos) << r.failure;
  EXPECT_NE(r.failure.find("ERROR: something is wrong"), std::string::npos) << r.failure;
}

TEST_F(FuzzJobTest, ProcessesLeftBehindAreEnded) {
  plan_.seconds = 1;
  plan_.jobs = 1;
  const std::string pid_file = dir_ + "/left.pid";
  setenv("FAKE_LEAVE_BEHIND", pid_file.c_str(), 1);
  JobResult r;
  std::string error;
  ASSERT_TRUE(run_job(plan_, 0, &r, &error)) << error;
  pid_t left = 0;
  std::ifstream(pid_file) >> left;
  ASSERT_GT(left, 0);
  usleep(200 * 1000);
  EXPECT_NE(kill(left, 0), 0) << "process " << left << " (outside the job's group) still runs";
}

TEST(LogTail, ReadsCompleteLinesAsTheFileGrows) {
  char tmpl[] = "/tmp/logtail_test.XXXXXX";
  int fd = mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  LogTail tail(tmpl);
  ASSERT_EQ(write(fd, "one\ntw", 6), 6);
  EXPECT_EQ(tail.new_lines(), std::vector<std::string>{"one"});
  ASSERT_EQ(write(fd, "o\nthree\n", 8), 8);
  EXPECT_EQ(tail.new_lines(), (std::vector<std::string>{"two", "three"}));
  EXPECT_TRUE(tail.new_lines().empty());
  close(fd);
  unlink(tmpl);
}

}  // namespace
}  // namespace heaptwin::cli
