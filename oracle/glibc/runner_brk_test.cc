// The runner's kept pages (runner_brk.c) against the kernel's own brk and madvise: every Program
// gives the same trace (outcomes, snapshots, digests) with pages kept as with every brk and
// madvise going to the kernel (HEAPTWIN_RUNNER_KEEP_PAGES=0), which is real glibc in a plain
// process. Each scenario is one way keeping pages could show: memory glibc takes again must read
// as zeros, and memory a fresh process has given back must fault.
#include <sys/sysinfo.h>

#include <cstdlib>
#include <random>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "oracle/glibc/glibc_side.h"
#include "oracle/glibc/reset_programs_for_tests.h"
#include "program/heap_format.h"
#include "program/parse_for_tests.h"

namespace heaptwin {

void PrintTo(const Outcome& o, std::ostream* os) { *os << to_string(o); }

namespace {

class GlibcKeptPages : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string error;
    kernel_ = make_glibc_side("glibc", RunnerMode::kFork, &error).release();
    ASSERT_NE(kernel_, nullptr) << error;
    kept_ = make_glibc_side("glibc", RunnerMode::kPersistent, &error).release();
    ASSERT_NE(kept_, nullptr) << error;
  }

  // The trace of `program` with pages kept (after `before`, in the same child) equals the
  // kernel's.
  static void expect_same_as_kernel(const Program& program, const std::string& what,
                                    const Program* before = nullptr) {
    RunOptions options;
    options.snapshots = true;
    options.digests = true;
    const Trace want = run_on_kernel(program, options);
    ASSERT_EQ(want.error, "") << what;
    if (before != nullptr) kept_->run(*before, RunOptions());
    const Trace got = kept_->run(program, options);
    ASSERT_EQ(got.error, "") << what;
    ASSERT_EQ(got.outcomes.size(), want.outcomes.size()) << what << "\n" << print_heap(program);
    for (size_t i = 0; i < want.outcomes.size(); ++i) {
      ASSERT_EQ(got.outcomes[i], want.outcomes[i]) << what << ": op " << i << "\n"
                                                   << print_heap(program);
    }
    EXPECT_EQ(got.digests, want.digests) << what << "\n" << print_heap(program);
  }

  // The side starts its runner on first use (and again should the runner go): the runner's
  // environment is this process's at that moment.
  static Trace run_on_kernel(const Program& program, const RunOptions& options) {
    setenv("HEAPTWIN_RUNNER_KEEP_PAGES", "0", 1);
    Trace t = kernel_->run(program, options);
    unsetenv("HEAPTWIN_RUNNER_KEEP_PAGES");
    return t;
  }

  static Side* kernel_;
  static Side* kept_;
};

Side* GlibcKeptPages::kernel_ = nullptr;
Side* GlibcKeptPages::kept_ = nullptr;

// A heap that grew, was filled (M_PERTURB) and was trimmed grows again under a calloc, which
// clears only what was top before (glibc counts on fresh sbrk memory being zero): the last word
// of the block is read.
TEST_F(GlibcKeptPages, MemoryTakenAgainReadsAsZero) {
  expect_same_as_kernel(parse_script("mallopt M_MMAP_MAX 0\nmallopt M_PERTURB 0x41\n"
                                     "a = malloc 0x60000\nfree a\nmallopt M_PERTURB 0\n"
                                     "b = calloc 1 0x60000\nx = read8 b 0x5fff0\n"),
                        "calloc after a trim");
}

// malloc_trim drops the pages inside free chunks (madvise MADV_DONTNEED): what a freed, filled
// block held reads as zeros afterwards.
TEST_F(GlibcKeptPages, PagesMallocTrimDropsReadAsZero) {
  expect_same_as_kernel(parse_script("mallopt M_PERTURB 0x41\na = malloc 0x8000\n"
                                     "g = malloc 0x18\nfree a\ntrim 0\nx = read8 a 0x4000\n"),
                        "a read inside a trimmed free chunk");
}

// Above the break after a trim: a read faults in a fresh process.
TEST_F(GlibcKeptPages, AReadAboveTheBreakFaults) {
  expect_same_as_kernel(parse_script("mallopt M_TOP_PAD 0\nmallopt M_TRIM_THRESHOLD 0x1000\n"
                                     "a = malloc 0x1f000\nfree a\nx = read8 a 0x1e000\n"),
                        "a read above a lowered break");
}

// A freed chunk that became top and was trimmed: realloc and malloc_usable_size read the next
// chunk's size at the break, which faults in a fresh process.
TEST_F(GlibcKeptPages, ADanglingChunkReachingAboveTheBreakFaults) {
  const std::string trimmed =
      "mallopt M_TOP_PAD 0\nmallopt M_TRIM_THRESHOLD 0x1000\na = malloc 0x1f000\nfree a\n";
  expect_same_as_kernel(parse_script(trimmed + "malloc_usable_size a\n"), "usable size");
  expect_same_as_kernel(parse_script(trimmed + "b = realloc a 0x10\n"), "realloc");
}

// A dangling chunk whose stale size ends below the break: glibc still reads the size word just
// above the break on the way to sysmalloc (M_TOP_PAD of -2 GiB makes the increment look negative,
// so it asks no memory), which faults in a fresh process. Found by fuzzing twin_vs_glibc, after a
// Program that left the kernel's break 4 MiB higher.
TEST_F(GlibcKeptPages, ADanglingChunkIsFollowedAsInAFreshProcess) {
  const Program grow = parse_script("mallopt M_MMAP_MAX 0\na = malloc 0x400000\nfree a\n");
  expect_same_as_kernel(
      parse_script("s5 = malloc 0x140\ns13 = pvalloc 0x0\ns10 = calloc 0x50 0x50\n"
                   "s6 = malloc 0x200\ns0 = malloc 0x3fff7f\nfree s0\ns11 = calloc 0x10 0xf0\n"
                   "s30 = realloc s10 0x0\ns30 = realloc s5 0x0\n"
                   "mallopt M_TOP_PAD -2147483648\nfree s11\ns18 = realloc s11 0x20000\n"),
      "realloc of a freed chunk", &grow);
}

// The kernel refuses a brk increment of more pages than RAM + swap (overcommit's heuristic):
// one page more than that, asked from glibc's break, is refused; asked from a kernel's break a
// Program before left 4 MiB higher, it would be granted. After the tcache and a 0x20 chunk,
// top is 0xd50 bytes (no top_pad), so sysmalloc asks for nb + MINSIZE - 0xd50, page-aligned.
TEST_F(GlibcKeptPages, ARaiseIsWeighedFromGlibcsBreak) {
  struct sysinfo info;
  ASSERT_EQ(sysinfo(&info), 0);
  const uint64_t pages = (uint64_t{info.totalram} + info.totalswap) * info.mem_unit / 4096;
  const uint64_t nb = (pages + 1) * 4096 + 0xd50 - 0x20 - 0x800;
  std::ostringstream program;
  program << "mallopt M_MMAP_MAX 0\nmallopt M_TOP_PAD 0\na = malloc 0x18\nb = malloc 0x" << std::hex
          << nb - 8 << "\nc = malloc 0x18\n";
  const Program grow = parse_script("mallopt M_MMAP_MAX 0\na = malloc 0x400000\n");
  const Program refused = parse_script(program.str());
  expect_same_as_kernel(refused, "one page over RAM + swap", &grow);
  EXPECT_EQ(run_on_kernel(refused, RunOptions()).outcomes.at(3).kind, OutcomeKind::kNull)
      << "the kernel granted " << pages + 1 << " pages";
}

// Random Programs over every path the reset undoes (trims, top_pad, perturb fills, mmapped
// chunks, writes into live blocks), each after the one before in the same kept child.
TEST_F(GlibcKeptPages, RandomProgramsRunAsOnTheKernel) {
  std::mt19937_64 rng(11);
  for (int round = 0; round < 40; ++round) {
    ResetProgramOptions options;
    options.ops = 60;
    options.every_mallopt = true;
    options.writes = round % 2 == 1;
    expect_same_as_kernel(reset_program(rng, options), "round " + std::to_string(round));
  }
}

}  // namespace
}  // namespace heaptwin
