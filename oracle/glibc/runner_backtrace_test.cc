// Real glibc 2.23 (a build of release/2.23/master, which no Debian package gives) after an
// "*** Error in" message: the backtrace malloc_printerr takes next must allocate nothing in the
// Program's heap (runner_backtrace.c). Needs that build: HEAPTWIN_LIBC_2_23 names its folder
// (default /work/glibc-extra/2.23, built as its README says); skipped where it is absent, as in
// CI. What the twin does there is held to recordings (tests/golden/2.23/) instead.
#include <unistd.h>

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "oracle/glibc/glibc_side.h"
#include "oracle/glibc/glibc_versions.h"
#include "program/parse_for_tests.h"

namespace heaptwin {

void PrintTo(const Outcome& o, std::ostream* os) { *os << to_string(o); }

namespace {

std::string libc_2_23() {
  const char* dir = std::getenv("HEAPTWIN_LIBC_2_23");
  return dir != nullptr ? dir : "/work/glibc-extra/2.23";
}

TEST(RunnerBacktrace, ABacktraceAfterErrorInAllocatesNothingInTheHeap) {
  if (::access((libc_2_23() + "/libc.so.6").c_str(), R_OK) != 0) {
    GTEST_SKIP() << "no build of glibc 2.23 at " << libc_2_23()
                 << " (set HEAPTWIN_LIBC_2_23; no package gives one)";
  }
  std::string error;
  const auto version = use_user_libc(libc_2_23(), &error);
  ASSERT_TRUE(version.has_value()) << error;
  ASSERT_EQ(*version, "2.23");
  auto side = make_glibc_side("glibc-2.23", &error);
  ASSERT_NE(side, nullptr) << error;
  // munmap_chunk's message names no arena, so main_arena is not marked corrupt and the
  // backtrace's first use (dlopen of libgcc_s) would allocate there: its malloc(36) takes the
  // fastbin chunk whose fd is forged, its malloc(1182) consolidates through that fd and faults.
  const Program program = parse_script(
      "a = malloc 0x28\n"
      "c = malloc 0x28\n"
      "free a\n"
      "write8 a 0 0x4141414141414140\n"
      "b = malloc 0x18\n"
      "write8 b -8 0x1002\n"
      "free b\n");
  for (const char* mode : {"persistent", "fork"}) {
    SCOPED_TRACE(mode);
    if (std::string(mode) == "fork") {
      ::setenv("HEAPTWIN_RUNNER_MODE", "fork", 1);
      side = make_glibc_side("glibc-2.23", &error);
      ASSERT_NE(side, nullptr) << error;
    }
    for (int run = 0; run < 2; ++run) {  // the second in a child that survived the first
      const Trace trace = side->run(program, RunOptions{});
      ASSERT_EQ(trace.error, "");
      ASSERT_EQ(trace.outcomes.size(), 7u);
      EXPECT_EQ(trace.outcomes.back(),
                Outcome::abort("*** Error in `': munmap_chunk(): invalid pointer: heap+0x70 ***"));
    }
  }
  ::unsetenv("HEAPTWIN_RUNNER_MODE");
}

}  // namespace
}  // namespace heaptwin
