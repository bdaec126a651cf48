// The drop-in library against real glibc, on real processes: a small C program (pointer_log.c)
// logs every malloc-family result; it runs under setarch -R once on the host's glibc and once
// with the library LD_PRELOADed, and the two logs must be identical, line for line. Every
// expected address comes from the glibc run in the same test, never from the twin.
#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/preload/skip_when_sanitized.h"

#include <csignal>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/preload/run_process.h"

namespace heaptwin::preload_test {
namespace {

std::string library() { return runfile("allocator/preload/libheaptwin_preload.so"); }
std::string program() { return runfile("tests/preload/pointer_log"); }

class PreloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!setarch_works()) GTEST_SKIP() << "setarch -R is not permitted here";
  }
  // Runs the scenario on glibc and on the library with the same environment.
  void expect_same(const std::string& scenario, const std::vector<std::string>& env = {}) {
    RunOptions glibc_run{env, ""};
    RunOptions twin_run{env, library()};
    Finished g = run({program(), scenario}, glibc_run);
    Finished t = run({program(), scenario}, twin_run);
    ASSERT_EQ(g.exit_code, 0) << g.err;
    EXPECT_EQ(t.exit_code, 0) << t.err;
    EXPECT_GT(g.out.size(), 0u);
    EXPECT_EQ(g.out, t.out) << "scenario " << scenario << ": the address logs differ";
    EXPECT_EQ(g.err, t.err);
  }
};

TEST_F(PreloadTest, MallocAndFreeAcrossEveryBin) { expect_same("basic"); }
TEST_F(PreloadTest, Calloc) { expect_same("calloc"); }
TEST_F(PreloadTest, ReallocInPlaceMovedAndMremapped) { expect_same("realloc"); }
TEST_F(PreloadTest, MemalignAlignedAllocPosixMemalignVallocPvalloc) { expect_same("memalign"); }
TEST_F(PreloadTest, MalloptAndMallocTrim) { expect_same("mallopt"); }
TEST_F(PreloadTest, LargeMmappedChunksAndTheDynamicThreshold) { expect_same("mmap"); }
TEST_F(PreloadTest, Mallinfo2AndMallocStats) { expect_same("info"); }  // stderr compared too
TEST_F(PreloadTest, TwentyThousandRandomOps) { expect_same("stress"); }

TEST_F(PreloadTest, TcacheCountZeroTunable) {
  expect_same("basic", {"GLIBC_TUNABLES=glibc.malloc.tcache_count=0"});
  expect_same("stress", {"GLIBC_TUNABLES=glibc.malloc.tcache_count=0"});
  // The tunable did change placement (the test would prove nothing otherwise).
  Finished plain = run({program(), "basic"}, RunOptions{});
  Finished tuned =
      run({program(), "basic"}, RunOptions{{"GLIBC_TUNABLES=glibc.malloc.tcache_count=0"}});
  EXPECT_NE(plain.out, tuned.out);
}

TEST_F(PreloadTest, SeveralTunablesInOneVariable) {
  // 2.36 writes a NUL after each value into the original string; all of them still apply.
  expect_same("basic", {"GLIBC_TUNABLES=glibc.malloc.mxfast=0:glibc.malloc.tcache_max=0x100"});
  expect_same("stress",
              {"GLIBC_TUNABLES=glibc.malloc.tcache_count=3:glibc.malloc.tcache_unsorted_limit=2"});
}

TEST_F(PreloadTest, MallocEnvironmentVariables) {
  expect_same("stress", {"MALLOC_TOP_PAD_=0x1000"});
  expect_same("stress", {"MALLOC_MMAP_THRESHOLD_=0x4000"});
  expect_same("stress", {"MALLOC_TRIM_THRESHOLD_=0"});
  expect_same("mallopt", {"MALLOC_PERTURB_=0x33"});
  expect_same("mmap", {"MALLOC_MMAP_MAX_=0"});
}

TEST_F(PreloadTest, DoubleFreeAbortsWithGlibcsMessage) {
  Finished g = run({program(), "double_free"}, RunOptions{});
  Finished t = run({program(), "double_free"}, RunOptions{{}, library()});
  EXPECT_EQ(g.signal, SIGABRT);
  EXPECT_EQ(t.signal, SIGABRT);
  EXPECT_EQ(g.err, "free(): double free detected in tcache 2\n");
  EXPECT_EQ(t.err, g.err);
  EXPECT_EQ(t.out, g.out);
}

// Exactness is for one thread only; with threads the library must still be correct.
TEST_F(PreloadTest, ThreadsRunCorrectly) {
  Finished t = run({program(), "threads"}, RunOptions{{}, library()});
  EXPECT_EQ(t.exit_code, 0) << t.err;
  EXPECT_EQ(t.out, "threads done\n");
}

// The segfault of the first attempt: libselinux (loaded by ls) mallocs from its constructor,
// before the library's own constructors would have run.
TEST_F(PreloadTest, LsRunsWithTheLibrary) {
  Finished g = run({"ls", "-la", "/usr/include"}, RunOptions{});
  Finished t = run({"ls", "-la", "/usr/include"}, RunOptions{{}, library()});
  ASSERT_EQ(g.exit_code, 0);
  EXPECT_EQ(t.exit_code, 0) << "signal " << t.signal << "\n" << t.err;
  EXPECT_EQ(t.out, g.out);
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> v;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
    v.push_back(text.substr(start, nl - start));
  }
  return v;
}

// A known divergence, kept visible: with more libraries loaded (here libstdc++, libm, libgcc_s)
// the library's own link_map, which ld.so's start-up bump allocator (__minimal_malloc) takes
// before anything of ours runs, can leave too little room for the static TLS block; ld.so then
// maps one more page, so the gaps between the libraries (libstdc++ is mapped 2 MiB-aligned) lie
// a page apart, and an mmapped chunk that fits a gap in one process may not in the other: from
// there on mmapped chunks lie elsewhere, by a page or by much more, as the machine's
// ld.so.cache and libraries decide. Heap (brk) chunks are never affected. The same happens to
// any LD_PRELOAD: glibc's own malloc behind a shim at the library's fixed address, at a path of
// the same length, and glibc behind a preload that does nothing, place every chunk where the
// twin does.
TEST_F(PreloadTest, MoreLibrariesMoveOnlyMmappedChunksAndAShimOfGlibcMovesThemAlike) {
  const std::string prog = runfile("tests/preload/pointer_log_more_libraries");
  const std::string lib = library();
  // The shim as a file named like the library, at a path of the library's length.
  std::string error;
  const std::string shim = copy_at_path_length(runfile("tests/preload/glibc_log_shim.so"),
                                               "libheaptwin_preload.so", lib.size(), &error);
  ASSERT_FALSE(shim.empty()) << error;
  // And a preload that does nothing, linked as the library is (no libc, no versions).
  const std::string empty = copy_at_path_length(runfile("tests/preload/empty_preload.so"),
                                                "libheaptwin_preload.so", lib.size(), &error);
  ASSERT_FALSE(empty.empty()) << error;
  for (const char* scenario : {"basic", "mmap", "stress"}) {
    Finished g = run({prog, scenario}, RunOptions{});
    Finished s = run({prog, scenario}, RunOptions{{}, shim});
    Finished e = run({prog, scenario}, RunOptions{{}, empty});
    Finished t = run({prog, scenario}, RunOptions{{}, lib});
    ASSERT_EQ(g.exit_code, 0) << g.err;
    ASSERT_EQ(s.exit_code, 0) << s.err;
    ASSERT_EQ(e.exit_code, 0) << e.err;
    ASSERT_EQ(t.exit_code, 0) << t.err;
    EXPECT_EQ(t.out, s.out) << scenario << ": the twin and glibc behind the same preload differ";
    EXPECT_EQ(t.out, e.out) << scenario << ": the twin and glibc behind an empty preload differ";
    std::vector<std::string> gl = lines(g.out), tl = lines(t.out);
    ASSERT_EQ(gl.size(), tl.size());
    for (size_t i = 0; i < gl.size(); ++i) {
      if (gl[i] == tl[i]) continue;
      size_t gp = gl[i].rfind("0x"), tp = tl[i].rfind("0x");
      ASSERT_EQ(gl[i].substr(0, gp), tl[i].substr(0, tp)) << "line " << i + 1;
      uint64_t ga = std::stoull(gl[i].substr(gp), nullptr, 16);
      EXPECT_GE(ga, 0x7f0000000000u) << "a heap chunk moved, line " << i + 1 << ": " << gl[i];
    }
  }
}

// No C++ runtime (its start-up allocation would shift every address), no dynamic initialisers
// (code that runs before them must find the library's state ready), and nothing ld.so must
// find for it: no DT_NEEDED, no version needs. Its calls into libc bind to the libc the program
// loaded; a version table alone (7 versions) cost 192 bytes of ld.so's start-up bump allocator,
// which under 2.41's ld.so moved every mmapped chunk by a page (preload_versions_test).
TEST(PreloadLibrary, NeedsNothingFromTheLoaderAndHasNoConstructors) {
  Finished d = run({"readelf", "-dW", library()}, RunOptions{{}, "", false});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  ASSERT_NE(d.out.find("(SYMTAB)"), std::string::npos) << d.out;  // the dynamic section was read
  for (const char* tag : {"(NEEDED)", "(VERNEED)", "(VERSYM)", "(INIT_ARRAY)", "(INIT)"}) {
    EXPECT_EQ(d.out.find(tag), std::string::npos) << tag << " in\n" << d.out;
  }
  Finished n = run({"nm", library()}, RunOptions{{}, "", false});
  ASSERT_EQ(n.exit_code, 0) << n.err;
  EXPECT_EQ(n.out.find("_GLOBAL__sub_I"), std::string::npos) << "a global needs a constructor";
}

}  // namespace
}  // namespace heaptwin::preload_test
