// The drop-in library as another release's twin (heaptwin exec --glibc 2.41): pointer_log.c runs
// under Debian's 2.41 loader and libc once on its own and once with the library serving malloc
// as twin-2.41. Every brk-heap address must be equal, line for line. Mappings (mmapped chunks)
// are compared by their layout relative to the first one: under 2.41's ld.so the library's
// start-up footprint moves the mmap area by a page (issue 16 is about that footprint). Every
// expected address comes from the real run in the same test. Skipped where Debian's 2.41
// package cannot be fetched.
#include <gtest/gtest.h>

#include "tests/preload/skip_when_sanitized.h"

#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "oracle/glibc/glibc_versions.h"
#include "tests/preload/run_process.h"

namespace heaptwin::preload_test {
namespace {

std::string heaptwin() { return runfile("tools/heaptwin"); }
std::string program() { return runfile("tests/preload/pointer_log"); }

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

TEST(PreloadVersions, Twin241GivesReal241sAddresses) {
  if (!setarch_works()) GTEST_SKIP() << "setarch -R is not permitted here";
  std::string error;
  auto install = libc_install("2.41", &error);
  if (!install) GTEST_SKIP() << "Debian's glibc 2.41 cannot be fetched here: " << error;
  constexpr uint64_t kMmapFloor = 0x7f0000000000;  // below: the brk heap (setarch -R)
  int compared = 0;
  for (const char* scenario : {"basic", "calloc", "realloc", "memalign", "mallopt", "stress"}) {
    Finished real = run({install->loader, "--library-path", install->library_dir, program(),
                         scenario},
                        RunOptions{});
    Finished twin = run({heaptwin(), "exec", "--no-aslr", "--glibc", "2.41", "--", program(),
                         scenario},
                        RunOptions{{}, "", false});
    ASSERT_EQ(real.exit_code, 0) << scenario << ": " << real.err;
    ASSERT_EQ(twin.exit_code, 0) << scenario << ": " << twin.err;
    ASSERT_FALSE(real.out.empty());
    EXPECT_EQ(relative_mappings(real.out, kMmapFloor), relative_mappings(twin.out, kMmapFloor))
        << scenario << ": the address logs differ";
    ++compared;
  }
  EXPECT_EQ(compared, 6);
  // The release matters: the host's twin (2.36: the library without HEAPTWIN_GLIBC) gives
  // 2.41's program other addresses (2.41's calloc takes from tcache).
  Finished real = run({install->loader, "--library-path", install->library_dir, program(), "calloc"},
                      RunOptions{});
  Finished host_twin =
      run({install->loader, "--library-path", install->library_dir, program(), "calloc"},
          RunOptions{{}, runfile("allocator/preload/libheaptwin_preload.so")});
  ASSERT_EQ(host_twin.exit_code, 0) << host_twin.err;
  EXPECT_NE(relative_mappings(real.out, kMmapFloor), relative_mappings(host_twin.out, kMmapFloor));
}

}  // namespace
}  // namespace heaptwin::preload_test
