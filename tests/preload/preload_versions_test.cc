// The drop-in library as another release's twin (heaptwin exec --glibc V), for every release
// Debian packages (packaged_releases(): 2.31, 2.41, 2.43, 2.44): pointer_log.c runs under V's own
// loader and libc, on its own, with a preload that does nothing (tests/preload/empty_preload.c),
// and with the library serving malloc as twin-V. Every address must equal the run with the
// empty preload, line for line; without a preload the brk heap must, and the mappings' layout
// (under 2.44's ld.so any preload moves the mmap area by a page). Every expected
// address comes from the real run in the same test. For 2.31 the program is compiled at test
// time against 2.31's own libc6-dev (release_program.h). Skipped where a release's packages
// cannot be fetched.
#include <gtest/gtest.h>

#include "tests/preload/skip_when_sanitized.h"

#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "oracle/glibc/glibc_versions.h"
#include "tests/preload/release_program.h"
#include "tests/preload/run_process.h"

namespace heaptwin::preload_test {
namespace {

std::string heaptwin() { return runfile("tools/heaptwin"); }
std::string library() { return runfile("allocator/preload/libheaptwin_preload.so"); }

constexpr uint64_t kMmapFloor = 0x7f0000000000;  // below: the brk heap (setarch -R)
const char* const kScenarios[] = {"basic", "calloc", "realloc", "memalign", "mallopt", "stress"};

// The log with each address at or above `mmap_floor` replaced by its distance from the first
// such address: what the layout of the mappings is, wherever the area starts.
std::string relative_mappings(const std::string& log, uint64_t mmap_floor) {
  std::istringstream in(log);
  std::string out, line;
  uint64_t first = 0;
  while (std::getline(in, line)) {
    std::string rewritten;
    size_t pos = 0;
    for (size_t at = line.find("0x"); at != std::string::npos; at = line.find("0x", pos)) {
      rewritten += line.substr(pos, at - pos);
      size_t end = at + 2;
      while (end < line.size() && std::isxdigit(static_cast<unsigned char>(line[end]))) ++end;
      const uint64_t v = std::strtoull(line.substr(at, end - at).c_str(), nullptr, 16);
      if (v >= mmap_floor) {
        if (first == 0) first = v;
        std::ostringstream d;
        d << "map+" << std::hex << (static_cast<int64_t>(v - first));
        rewritten += d.str();
      } else {
        rewritten += line.substr(at, end - at);
      }
      pos = end;
    }
    out += rewritten + line.substr(pos) + "\n";
  }
  return out;
}

class PreloadVersions : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!setarch_works()) GTEST_SKIP() << "setarch -R is not permitted here";
    std::string error;
    install_ = libc_install(GetParam(), &error);
    if (!install_)
      GTEST_SKIP() << "Debian's glibc " << GetParam() << " cannot be fetched here: " << error;
    auto program = program_for_release(GetParam(), "tests/preload/pointer_log",
                                       "tests/preload/pointer_log.c", "-pthread", &error);
    ASSERT_TRUE(program) << error;
    program_ = *program;
  }

  // The program under the release's own loader and libc, as glibc runs it.
  Finished on_glibc(const std::string& scenario, const RunOptions& options = RunOptions{}) const {
    return run({install_->loader, "--library-path", install_->library_dir, program_, scenario},
               options);
  }

  std::optional<LibcInstall> install_;
  std::string program_;
};

TEST_P(PreloadVersions, TheReleasesTwinGivesTheReleasesAddresses) {
  // glibc with a preload that does nothing, at a path of the library's length: every address,
  // mmapped chunks included, must be equal. Without any preload, the brk heap must be, and the
  // mappings' layout: under 2.44's ld.so any preload, the empty one too, moves the mmap area.
  std::string error;
  const std::string empty = copy_at_path_length(runfile("tests/preload/empty_preload.so"),
                                                "libheaptwin_preload.so", library().size(), &error);
  ASSERT_FALSE(empty.empty()) << error;
  int compared = 0;
  for (const char* scenario : kScenarios) {
    Finished real = on_glibc(scenario);
    // LD_USE_LOAD_BIAS=1, as exec sets it before 2.36, maps it at its fixed address there too
    // (later loaders ignore the variable and always do).
    Finished preloaded = on_glibc(scenario, RunOptions{{"LD_USE_LOAD_BIAS=1"}, empty});
    Finished twin =
        run({heaptwin(), "exec", "--no-aslr", "--glibc", GetParam(), "--", program_, scenario},
            RunOptions{{}, "", false});
    ASSERT_EQ(real.exit_code, 0) << scenario << ": " << real.err;
    ASSERT_EQ(preloaded.exit_code, 0) << scenario << ": " << preloaded.err;
    ASSERT_EQ(twin.exit_code, 0) << scenario << ": " << twin.err;
    ASSERT_FALSE(real.out.empty());
    EXPECT_EQ(preloaded.out, twin.out) << scenario << ": the address logs differ";
    EXPECT_EQ(relative_mappings(real.out, kMmapFloor), relative_mappings(twin.out, kMmapFloor))
        << scenario << ": the address logs differ, mappings taken relative to the first";
    ++compared;
  }
  EXPECT_EQ(compared, 6);
}

// exec --check under the release: the checker inside the program reads main_arena, mp_ and
// global_max_fast by the release's layout (allocator/preload/twin_check_layout.h). Read by 2.36's,
// every release here found a broken heap after the first malloc (2.31: sbrk_base, which moved
// with malloc_par's fields; 2.41: a one-byte global_max_fast; 2.43 and 2.44: top, 0x58 lower).
TEST_P(PreloadVersions, TheCheckerReadsTheReleasesLayout) {
  for (const char* scenario : {"basic", "stress"}) {
    Finished real = on_glibc(scenario);
    Finished twin = run({heaptwin(), "exec", "--check", "--no-aslr", "--glibc", GetParam(), "--",
                         program_, scenario},
                        RunOptions{{}, "", false});
    const size_t report = twin.out.find("heaptwin exec --check");
    ASSERT_EQ(twin.exit_code, 0) << scenario << ": "
                                 << (report == std::string::npos ? "" : twin.out.substr(report))
                                 << twin.err;
    EXPECT_EQ(relative_mappings(real.out, kMmapFloor), relative_mappings(twin.out, kMmapFloor))
        << scenario << ": the address logs differ";
  }
}

// The library sits where it asks to be (0x7e0000000000, allocator/preload/README.md), not in the
// mmap area, under every release's loader: before 2.36 ld.so honours that only with
// LD_USE_LOAD_BIAS=1, which exec sets there (cmd_exec.cc). Without it, under 2.31 every mmapped
// chunk lands 0x98000 bytes lower, which the layout comparison above does not see.
TEST_P(PreloadVersions, TheLibraryIsMappedWhereItAsks) {
  Finished twin =
      run({heaptwin(), "exec", "--no-aslr", "--glibc", GetParam(), "--", program_, "maps"},
          RunOptions{{}, "", false});
  ASSERT_EQ(twin.exit_code, 0) << twin.err;
  const size_t at = twin.out.find("libheaptwin_preload.so");
  ASSERT_NE(at, std::string::npos) << twin.out;
  const size_t line = twin.out.rfind('\n', at) + 1;
  EXPECT_EQ(twin.out.substr(line, 13), "7e0000000000-") << twin.out.substr(line, at - line);
}

INSTANTIATE_TEST_SUITE_P(Debian, PreloadVersions, ::testing::ValuesIn(packaged_releases()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = "glibc_" + info.param;
                           for (char& c : name) c = c == '.' ? '_' : c;
                           return name;
                         });

// 2.42's large tcache bins, which glibc.malloc.tcache_max above 0x408 turns on (the twin's
// allocator/tcache_large.cc): under 2.43 and 2.44, with the tunable set on both sides, every
// address equals glibc's behind the empty preload. (The tunable moves most of the stress
// scenario's addresses: 19,788 of its 20,246 lines differ from a run without it.)
class PreloadLargeTcacheBins : public PreloadVersions {};

TEST_P(PreloadLargeTcacheBins, TheReleasesTwinGivesTheReleasesAddresses) {
  std::string error;
  const std::string empty = copy_at_path_length(runfile("tests/preload/empty_preload.so"),
                                                "libheaptwin_preload.so", library().size(), &error);
  ASSERT_FALSE(empty.empty()) << error;
  const std::string tunables = "GLIBC_TUNABLES=glibc.malloc.tcache_max=65536";
  for (const char* scenario : {"basic", "calloc", "realloc", "memalign", "stress"}) {
    Finished real = on_glibc(scenario, RunOptions{{tunables}, empty});
    Finished twin =
        run({heaptwin(), "exec", "--no-aslr", "--glibc", GetParam(), "--", program_, scenario},
            RunOptions{{tunables}, "", false});
    ASSERT_EQ(real.exit_code, 0) << scenario << ": " << real.err;
    ASSERT_EQ(twin.exit_code, 0) << scenario << ": " << twin.err;
    ASSERT_FALSE(real.out.empty());
    EXPECT_EQ(real.out, twin.out) << scenario << ": the address logs differ";
  }
}

std::vector<std::string> releases_with_large_tcache_bins() {
  std::vector<std::string> out;
  for (const std::string& v : packaged_releases()) {
    if (std::atoi(v.c_str() + 2) >= 42) out.push_back(v);  // "2.43" -> 43
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Debian, PreloadLargeTcacheBins,
                         ::testing::ValuesIn(releases_with_large_tcache_bins()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = "glibc_" + info.param;
                           for (char& c : name) c = c == '.' ? '_' : c;
                           return name;
                         });

// The release matters: the host's twin (2.36: the library without HEAPTWIN_GLIBC) gives 2.41's
// program other addresses (2.41's calloc takes from tcache), so the test above can fail.
TEST(PreloadVersionsControl, TheHostsTwinGivesGlibc241OtherAddresses) {
  if (!setarch_works()) GTEST_SKIP() << "setarch -R is not permitted here";
  std::string error;
  auto install = libc_install("2.41", &error);
  if (!install) GTEST_SKIP() << "Debian's glibc 2.41 cannot be fetched here: " << error;
  const std::string program = runfile("tests/preload/pointer_log");
  Finished real = run({install->loader, "--library-path", install->library_dir, program, "calloc"},
                      RunOptions{});
  Finished host_twin =
      run({install->loader, "--library-path", install->library_dir, program, "calloc"},
          RunOptions{{}, runfile("allocator/preload/libheaptwin_preload.so")});
  ASSERT_EQ(host_twin.exit_code, 0) << host_twin.err;
  EXPECT_NE(relative_mappings(real.out, kMmapFloor), relative_mappings(host_twin.out, kMmapFloor));
}

}  // namespace
}  // namespace heaptwin::preload_test
