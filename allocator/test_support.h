// A twin in a test: simulated memory, the allocator, and a fatal handler that throws, so a test
// can expect an abort message or a fault. Expected values in the suites come from real glibc 2.36
// (the same scenarios agree under `heaptwin diff --sides twin,glibc --state`).
#ifndef HEAPTWIN_ALLOCATOR_TEST_SUPPORT_H_
#define HEAPTWIN_ALLOCATOR_TEST_SUPPORT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "allocator/allocator.h"
#include "allocator/simulated_memory.h"

namespace heaptwin::alloc {

struct AbortError {
  std::string message;
};
struct FaultError {
  uint64_t address;
};
struct HangError {
  bool proven = false;  // the loop's repeat was proven, not counted to the step guard
};
struct UnmodelledError {
  std::string why;
};

class ThrowingFatalHandler : public FatalHandler {
 public:
  [[noreturn]] void abort_with(const char* message) override { throw AbortError{message}; }
  [[noreturn]] void fault(uint64_t address) override { throw FaultError{address}; }
  [[noreturn]] void hang() override { throw HangError{}; }
  [[noreturn]] void hang_proven() override { throw HangError{true}; }
  [[noreturn]] void unmodelled(const char* why) override { throw UnmodelledError{why}; }
};

class TestTwin {
 public:
  explicit TestTwin(const GlibcProfile& profile = GlibcProfile::glibc_2_36(),
                    const SimulatedMemoryOptions& options = {})
      : memory(options), twin(&memory, static_cast<LibcData*>(memory.data()), &handler, profile) {}

  uint64_t base() const { return memory.heap_base(); }
  // malloc, as a heap offset (0 for NULL).
  int64_t malloc(uint64_t n) {
    UserAddr p = twin.malloc(n);
    last = p;
    return p == 0 ? 0 : static_cast<int64_t>(p.raw() - base());
  }
  void free_at(int64_t offset) { twin.free(UserAddr{base() + static_cast<uint64_t>(offset)}); }
  void write8(int64_t offset, uint64_t value) {
    Addr a = base() + static_cast<uint64_t>(offset);
    *reinterpret_cast<uint64_t*>(a) = value;
  }
  uint64_t read8(int64_t offset) const {
    return *reinterpret_cast<const uint64_t*>(base() + static_cast<uint64_t>(offset));
  }
  // Heap offset of a chunk pointer, or -1 for NULL.
  int64_t off(Addr p) const { return p == 0 ? -1 : static_cast<int64_t>(p - base()); }
  const MallocState& av() const { return *twin.libc().main_arena; }
  const MallocParFields& mp() const { return twin.mp(); }
  const TcachePerthread& tcache() const {
    return *reinterpret_cast<const TcachePerthread*>(twin.tcache());
  }
  // The chunk at the back (bk) and front (fd) of bin i.
  Addr bin_first(int i) const { return av().bins[(i - 1) * 2]; }
  Addr bin_last(int i) const { return av().bins[(i - 1) * 2 + 1]; }
  Addr bin_head(int i) const { return twin.main_arena() + 0x60 + (i - 1) * 0x10; }
  // Bin i's chunks as heap offsets, front (fd from the bin) to back, as `heaptwin run --state`
  // lists them; bin 1 is the unsorted bin.
  std::vector<int64_t> bin_chunks(int i) const {
    return walk(bin_first(i), bin_head(i), /*link=*/0x10);
  }
  // Large bin i's nextsize list from its first chunk (its largest size group's leader).
  std::vector<int64_t> nextsize_chunks(int i) const {
    const Addr first = bin_first(i);
    if (first == bin_head(i)) return {};
    std::vector<int64_t> out = {off(first)};
    for (Addr c = fd_nextsize(first); c != first && out.size() < 1000; c = fd_nextsize(c)) {
      out.push_back(off(c));
    }
    return out;
  }
  Addr fd_nextsize(Addr chunk) const { return *reinterpret_cast<const Addr*>(chunk + 0x20); }
  uint32_t binmap(int block) const { return av().binmap[block]; }
  // The abort message of `op` (which must abort), or "" when it returns.
  template <typename Op>
  std::string abort_message(Op op) {
    try {
      op();
    } catch (const AbortError& e) {
      return e.message;
    }
    return "";
  }
  // Heap offsets of the chunks from `from` following the pointer at `link` until `head`.
  std::vector<int64_t> walk(Addr from, Addr head, uint64_t link) const {
    std::vector<int64_t> out;
    for (Addr c = from; c != head && out.size() < 1000;
         c = *reinterpret_cast<const Addr*>(c + link)) {
      out.push_back(off(c));
    }
    return out;
  }

  ThrowingFatalHandler handler;
  SimulatedMemory memory;
  Allocator twin;
  UserAddr last = 0;
};

}  // namespace heaptwin::alloc

#endif  // HEAPTWIN_ALLOCATOR_TEST_SUPPORT_H_
