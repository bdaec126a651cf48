// The drop-in keeps glibc's malloc objects at libc's own addresses (heaptwin exec passes them in
// HEAPTWIN_LIBC_DATA): the fd of a chunk in the unsorted bin, the classic libc leak, names the
// same libc offset as under real glibc, and reads and writes through addresses derived from it
// reach the objects the twin uses, laid out as the release lays them out. Expected lines come
// from running the same program on real glibc: the host's 2.36, and each release Debian packages
// under its own loader (exec --glibc V); the distances the program is given come from that
// libc's debug symbols and the release's layout (GlibcLayout).
#include <gtest/gtest.h>

#include "tests/preload/skip_when_sanitized.h"

#include <unistd.h>

#include <cstdio>
#include <string>

#include "oracle/glibc/glibc_versions.h"
#include "oracle/glibc/libc_symbols.h"
#include "oracle/heap_view.h"
#include "program/hex.h"
#include "tests/preload/release_program.h"
#include "tests/preload/run_process.h"
#include "tools/exec_libc_data.h"

namespace heaptwin::preload_test {
namespace {

std::string heaptwin() { return runfile("tools/heaptwin"); }
std::string program() { return runfile("tests/preload/libc_leak"); }

// libc_leak's arguments for a libc with these symbols and layout: the unsorted head's offset in
// main_arena, the distances of global_max_fast ("-" where the release has none) and mp_ from it,
// and sbrk_base's and tcache_count's offsets in mp_.
std::vector<std::string> leak_arguments(const std::string& program, const LibcSymbols& syms,
                                        const GlibcLayout& layout) {
  const auto from_arena = [&](uint64_t symbol) {
    return signed_hex(static_cast<int64_t>(symbol) - static_cast<int64_t>(syms.main_arena));
  };
  return {program,
          signed_hex(static_cast<int64_t>(layout.bin_at(0, 1))),
          syms.global_max_fast_size != 0 ? from_arena(syms.global_max_fast) : "-",
          from_arena(syms.mp),
          signed_hex(static_cast<int64_t>(layout.mp_sbrk_base)),
          signed_hex(static_cast<int64_t>(layout.mp_tcache_count))};
}

// The line of `out` that starts with `what`, "(none)" when there is none.
std::string line_of(const std::string& out, const std::string& what) {
  const size_t at = out.find(what);
  return at == std::string::npos ? std::string("(none)") : out.substr(at, out.find('\n', at) - at);
}

class LibcData : public ::testing::Test {
 protected:
  void SetUp() override {
    uint64_t base = 0;
    ASSERT_TRUE(find_libc_mapping(getpid(), &base, &libc_)) << "no libc in this process";
    std::string error;
    auto syms = find_libc_symbols(libc_, {"/usr/lib/debug"}, &error);
    if (!syms)
      GTEST_SKIP() << "no debug symbols for " << libc_ << " (install libc6-dbg): " << error;
    args_ = leak_arguments(program(), *syms, *glibc_layout("2.36"));
    arena_size_ = signed_hex(static_cast<int64_t>(syms->main_arena_size));
  }

  Finished on_glibc() const {
    RunOptions o;
    o.no_aslr = false;
    return run(args_, o);
  }

  Finished on_drop_in(const std::vector<std::string>& env = {}) const {
    std::vector<std::string> argv = {heaptwin(), "exec", "--"};
    argv.insert(argv.end(), args_.begin(), args_.end());
    RunOptions o;
    o.no_aslr = false;
    o.env = env;
    return run(argv, o);
  }

  std::string libc_;
  std::vector<std::string> args_;
  std::string arena_size_;
};

TEST_F(LibcData, TheLeakedUnsortedFdAndWhatFollowsFromItAreGlibcs) {
  const Finished glibc = on_glibc();
  ASSERT_EQ(glibc.exit_code, 0) << glibc.err;
  // The program's lines on real glibc: the fd is in libc, the reads see glibc's defaults, and
  // with global_max_fast 0 the chunk goes to the unsorted bin (its fd is main_arena + 0x60).
  ASSERT_NE(glibc.out.find("unsorted chunk's fd: libc+0x"), std::string::npos) << glibc.out;
  ASSERT_NE(glibc.out.find("global_max_fast through the leak: 0x80\n"), std::string::npos)
      << glibc.out;
  ASSERT_NE(glibc.out.find("past a full tcache, its bk: libc+0x"), std::string::npos) << glibc.out;

  const Finished twin = on_drop_in();
  ASSERT_EQ(twin.exit_code, 0) << twin.err;
  EXPECT_EQ(twin.out, glibc.out);
  EXPECT_EQ(twin.err.find("stay in the library"), std::string::npos) << twin.err;
}

// After a fork, the child's main_arena is as glibc leaves it: glibc's fork handler
// (__malloc_fork_unlock_child) zeroes attached_threads of every arena but libc's thread_arena, so
// the drop-in points thread_arena at the twin's main_arena as ptmalloc_init does. Without that
// (HEAPTWIN_LIBC_DATA without the TLS offsets) the child's main_arena loses its thread.
TEST_F(LibcData, AForkedChildKeepsMainArenaAttachedAsOnGlibc) {
  std::vector<std::string> args = args_;
  args.push_back(arena_size_);
  RunOptions o;
  o.no_aslr = false;
  const Finished glibc = run(args, o);
  ASSERT_EQ(glibc.exit_code, 0) << glibc.err;
  ASSERT_NE(glibc.out.find("child exited 0"), std::string::npos) << glibc.out;

  std::vector<std::string> argv = {heaptwin(), "exec", "--"};
  argv.insert(argv.end(), args.begin(), args.end());
  const Finished twin = run(argv, o);
  ASSERT_EQ(twin.exit_code, 0) << twin.err;
  EXPECT_EQ(twin.out, glibc.out);

  // The same run with the objects placed but thread_arena left alone: the fork detaches it.
  std::string why, kept;
  const std::string full =
      libc_data_value(libc_, {"/usr/lib/debug"}, alloc::GlibcProfile::glibc_2_36(), &why, &kept);
  const size_t tls = full.find(",errno_tls=");
  ASSERT_NE(tls, std::string::npos) << full << why;
  RunOptions o2 = o;
  o2.env = {"HEAPTWIN_LIBC_DATA=" + full.substr(0, tls)};
  const Finished detached = run(argv, o2);
  ASSERT_EQ(detached.exit_code, 0) << detached.err;
  EXPECT_NE(detached.out, glibc.out);
  EXPECT_NE(detached.out.find("changed 0x1 -> 0x0"), std::string::npos) << detached.out;
}

// The same program with the objects in the library's own block (what the drop-in did before,
// and does without debug symbols): the leak no longer names libc. So the check above can fail.
TEST_F(LibcData, InTheLibrarysOwnBlockTheLeakIsNotLibcs) {
  const Finished glibc = on_glibc();
  const Finished own = on_drop_in({"HEAPTWIN_LIBC_DATA="});
  ASSERT_EQ(own.exit_code, 0) << own.err;
  EXPECT_NE(own.out, glibc.out);
  EXPECT_NE(own.out.find("unsorted chunk's fd: not in libc"), std::string::npos) << own.out;
}

TEST_F(LibcData, ABadOrForeignValueIsReportedAndTheProgramRunsOn) {
  const Finished malformed = on_drop_in({"HEAPTWIN_LIBC_DATA=not-a-build-id,main_arena=0x10"});
  EXPECT_EQ(malformed.exit_code, 0) << malformed.err;
  EXPECT_NE(malformed.err.find("HEAPTWIN_LIBC_DATA is malformed"), std::string::npos)
      << malformed.err;
  const Finished foreign =
      on_drop_in({"HEAPTWIN_LIBC_DATA=00112233445566778899aabbccddeeff00112233,main_arena=0x10"});
  EXPECT_EQ(foreign.exit_code, 0) << foreign.err;
  EXPECT_NE(foreign.err.find("did not load"), std::string::npos) << foreign.err;
}

// Under each release Debian packages (exec --glibc V, V's own loader and libc) the leak names
// V's main_arena as real V does, at the unsorted head's offset the release has (+0x60; +0x8 from
// 2.43, where malloc_state has no fastbins: checked against the real run, not assumed), and
// what the program reads and writes through it (global_max_fast: 8 bytes, one from 2.37, none
// from 2.43; mp_.sbrk_base and tcache_count, which move with malloc_par's fields) is where the
// release has it: every line equals real glibc's.
class LibcDataVersions : public ::testing::TestWithParam<std::string> {};

TEST_P(LibcDataVersions, TheLeakAndWhatFollowsFromItAreTheReleases) {
  const std::string version = GetParam();
  std::string error;
  auto install = libc_install(version, &error);
  if (!install)
    GTEST_SKIP() << "Debian's glibc " << version << " cannot be fetched here: " << error;
  auto syms = find_libc_symbols(install->libc, install->debug_roots, &error);
  if (!syms) GTEST_SKIP() << "no debug symbols for glibc " << version << ": " << error;
  auto leak = program_for_release(version, "tests/preload/libc_leak", "tests/preload/libc_leak.c",
                                  "-ldl -pthread", &error);
  ASSERT_TRUE(leak) << error;
  const std::optional<GlibcLayout> layout = glibc_layout(version);
  ASSERT_TRUE(layout);
  const std::vector<std::string> args = leak_arguments(*leak, *syms, *layout);
  RunOptions o;
  o.no_aslr = false;
  std::vector<std::string> real_argv = {install->loader, "--library-path", install->library_dir};
  real_argv.insert(real_argv.end(), args.begin(), args.end());
  const Finished glibc = run(real_argv, o);
  ASSERT_EQ(glibc.exit_code, 0) << glibc.err;
  char expected[64];
  std::snprintf(expected, sizeof expected, "unsorted chunk's fd: libc+0x%llx",
                static_cast<unsigned long long>(syms->main_arena + layout->bin_at(0, 1)));
  EXPECT_EQ(line_of(glibc.out, "unsorted chunk's fd"), expected) << glibc.out;
  EXPECT_NE(glibc.out.find("mp_.sbrk_base through the leak: chunk-0x"), std::string::npos)
      << glibc.out;
  EXPECT_NE(line_of(glibc.out, "0x40 chunk freed with mp_.tcache_count 1"), "(none)") << glibc.out;

  std::vector<std::string> twin_argv = {heaptwin(), "exec", "--glibc", version, "--"};
  twin_argv.insert(twin_argv.end(), args.begin(), args.end());
  const Finished twin = run(twin_argv, o);
  ASSERT_EQ(twin.exit_code, 0) << twin.err;
  EXPECT_EQ(twin.out, glibc.out);
  // Every object the release has is at its symbol; only what it lacks, or has in another type
  // (__malloc_initialized is an int before 2.34), stays in the library.
  const std::string kept = line_of(twin.err, "heaptwin exec: kept in the library");
  for (const char* object : {"main_arena", "mp_", "perturb_byte"}) {
    EXPECT_EQ(kept.find(std::string(" ") + object), std::string::npos) << kept;
  }
  if (syms->global_max_fast_size != 0)
    EXPECT_EQ(kept.find(" global_max_fast"), std::string::npos) << kept;
  EXPECT_EQ(twin.err.find("stay in the library"), std::string::npos) << twin.err;
}

INSTANTIATE_TEST_SUITE_P(Debian, LibcDataVersions, ::testing::ValuesIn(packaged_releases()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = "glibc_" + info.param;
                           for (char& c : name) c = c == '.' ? '_' : c;
                           return name;
                         });

}  // namespace
}  // namespace heaptwin::preload_test
