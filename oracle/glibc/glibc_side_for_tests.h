// How the glibc side's tests make and drive it: the side (with or without libc6-dbg's symbols),
// the run options they ask for, and the fixture of the tests that run one script at a time.
#ifndef HEAPTWIN_ORACLE_GLIBC_GLIBC_SIDE_FOR_TESTS_H_
#define HEAPTWIN_ORACLE_GLIBC_GLIBC_SIDE_FOR_TESTS_H_

#include <gnu/libc-version.h>

#include <cstdlib>
#include <memory>
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "oracle/glibc/glibc_side.h"
#include "program/parse_for_tests.h"

namespace heaptwin {

inline void PrintTo(const Outcome& o, std::ostream* os) { *os << to_string(o); }

// make_glibc_side for a test: nullptr after reporting why to the test, which then stops at its
// ASSERT_NE(side, nullptr).
inline std::unique_ptr<Side> glibc_side_for_test(RunnerMode mode = RunnerMode::kAuto,
                                                 const std::string& name = "glibc") {
  std::string error;
  auto side = make_glibc_side(name, mode, &error);
  if (!side) ADD_FAILURE() << name << ": " << error;
  return side;
}

// The host's glibc side made as if libc6-dbg were missing (HEAPTWIN_NO_DEBUG_SYMBOLS while it
// starts): the runner finds main_arena and mp_ by the probe.
inline std::unique_ptr<Side> glibc_side_without_debug_symbols() {
  setenv("HEAPTWIN_NO_DEBUG_SYMBOLS", "1", 1);
  auto side = glibc_side_for_test();
  unsetenv("HEAPTWIN_NO_DEBUG_SYMBOLS");
  return side;
}

// A script whose states change the arena and the parameters both: a chunk cached in the tcache,
// one sorted into a large bin (by c, served from top), global_max_fast set by mallopt, and an
// mmapped chunk freed (which raises mp_'s mmap threshold).
inline const std::string kBinsAndParamsScript =
    "a = malloc 0x18\nb = malloc 0x500\ng = malloc 0x18\nfree a\nfree b\nc = malloc 0x600\n"
    "mallopt M_MXFAST 0x20\nd = malloc 0x30000\nfree d\n";

inline RunOptions with_snapshots() {
  RunOptions o;
  o.snapshots = true;
  return o;
}

inline RunOptions with_digests() {
  RunOptions o;
  o.digests = true;
  return o;
}

// The host's glibc side twice, with libc6-dbg's symbols and as if they were missing, for the tests
// that hold what the probe finds to what the symbols name.
class GlibcWithoutDebugSymbols : public ::testing::Test {
 protected:
  void SetUp() override {
    with_ = glibc_side_for_test();
    ASSERT_NE(with_, nullptr);
    without_ = glibc_side_without_debug_symbols();
    ASSERT_NE(without_, nullptr);
  }
  std::unique_ptr<Side> with_, without_;
};

// One host glibc side for a suite's tests; run() parses a script and runs it, expecting no
// error from the side itself (what the Program does is in the outcomes).
class GlibcSideFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    side_ = glibc_side_for_test();
    ASSERT_NE(side_, nullptr);
  }
  Trace run(const std::string& text, bool snapshots = false,
            int timeout_ms = RunOptions{}.timeout_ms) {
    RunOptions options;
    options.snapshots = snapshots;
    options.timeout_ms = timeout_ms;
    Trace t = side_->run(parse_script(text), options);
    EXPECT_EQ(t.error, "");
    return t;
  }
  std::unique_ptr<Side> side_;
};

// The same, for suites whose expected values were measured on real glibc 2.36: they skip on a
// host with another release (the values would not hold there).
class Glibc236SideFixture : public GlibcSideFixture {
 protected:
  void SetUp() override {
    if (std::string(gnu_get_libc_version()) != "2.36") {
      GTEST_SKIP() << "the expected values were measured on glibc 2.36; this host has "
                   << gnu_get_libc_version();
    }
    GlibcSideFixture::SetUp();
  }
};

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_GLIBC_GLIBC_SIDE_FOR_TESTS_H_
