// Counts a fuzz target's executions into a shared word that heaptwin fuzz reads while the
// engine runs. libFuzzer prints its execution count only on a new input or at a power of two,
// so after the first minutes its own lines are minutes apart; AFL++ (4.04c, without its screen)
// rewrites fuzzer_stats about once a minute; heaptwin fuzz prints progress every few seconds.
// Linked into the libFuzzer and AFL++ builds with -Wl,--wrap=LLVMFuzzerTestOneInput
// (fuzz/fuzz.bzl): the engine's call goes through __wrap_, which counts and calls the target.
// Without HEAPTWIN_EXEC_COUNTER (a file heaptwin fuzz made, 8 bytes) nothing is counted.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" int __real_LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

uint64_t* map_counter() {
  const char* path = std::getenv("HEAPTWIN_EXEC_COUNTER");
  if (path == nullptr || *path == '\0') return nullptr;
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) return nullptr;
  void* p = mmap(nullptr, sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  return p == MAP_FAILED ? nullptr : static_cast<uint64_t*>(p);
}

}  // namespace

extern "C" int __wrap_LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static uint64_t* const counter = map_counter();
  if (counter != nullptr) __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
  return __real_LLVMFuzzerTestOneInput(data, size);
}
