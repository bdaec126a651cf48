// A twin in a test: simulated memory, the allocator, and a fatal handler that throws, so a test
// can expect an abort message or a fault. Expected values in the suites come from real glibc 2.36
// (the same scenarios agree under `heaptwin diff --sides twin,glibc --state`).
#ifndef HEAPTWIN_ALLOCATOR_TEST_SUPPORT_H_
#define HEAPTWIN_ALLOCATOR_TEST_SUPPORT_H_

#include <cstdint>
#include <initializer_list>
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

// glibc.malloc.tcache_count=0: nothing is cached, so a free reaches the fastbins and bins at once.
inline GlibcProfile without_tcache(GlibcProfile p = GlibcProfile::glibc_2_36()) {
  p.tunables.tcache_count = {true, 0};
  return p;
}

// A non-main arena's heap: the 64 MiB-aligned block a chunk of it lies in, its heap_info at the
// start and the arena's malloc_state right after it.
inline Addr heap_of(Addr p) { return p & ~(kHeapMaxSize - 1); }
inline uint64_t word(Addr a) { return *reinterpret_cast<const uint64_t*>(a); }
inline const HeapInfo& heap_info(Addr heap) { return *reinterpret_cast<const HeapInfo*>(heap); }
inline const MallocState& arena_in(Addr heap) {
  return *reinterpret_cast<const MallocState*>(heap + 0x30);
}

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

  // The scenarios' building blocks, as the .heap scripts write them.
  // malloc(n), then a 0x18 guard after it, so that freeing the first does not merge it into top.
  int64_t malloc_guarded(uint64_t n) {
    const int64_t p = malloc(n);
    malloc(0x18);
    return p;
  }
  // `count` chunks of malloc(n), in address order.
  std::vector<int64_t> malloc_each(int count, uint64_t n) {
    std::vector<int64_t> out;
    for (int i = 0; i < count; ++i) out.push_back(malloc(n));
    return out;
  }
  std::vector<int64_t> malloc_guarded_each(int count, uint64_t n) {
    std::vector<int64_t> out;
    for (int i = 0; i < count; ++i) out.push_back(malloc_guarded(n));
    return out;
  }
  void free_each(const std::vector<int64_t>& offsets) {
    for (const int64_t p : offsets) free_at(p);
  }
  // Seven chunks of malloc(n): freed (free_each), they fill n's tcache bin, so that the next
  // chunk of that size freed passes the tcache; seven more mallocs of n (drain_tcache) empty it.
  std::vector<int64_t> tcache_fillers(uint64_t n) { return malloc_each(kTcacheCount, n); }
  void drain_tcache(uint64_t n) { malloc_each(kTcacheCount, n); }
  // `count` guarded chunks of malloc(n) freed, in order, past n's tcache bin filled first: small
  // ones go to the unsorted bin (or a fastbin). The seven fillers come first in the heap.
  std::vector<int64_t> free_past_full_tcache(int count, uint64_t n) {
    const std::vector<int64_t> fillers = tcache_fillers(n);
    const std::vector<int64_t> chunks = malloc_guarded_each(count, n);
    free_each(fillers);
    free_each(chunks);
    return chunks;
  }
  // The main thread initialises malloc in main_arena (its first malloc(0x20)); then thread `id`
  // runs, as the real runs' lock-step pthreads do.
  Allocator& start_thread(int id) {
    twin.malloc(0x20).raw();
    twin.set_thread(id);
    return twin;
  }
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
  // Whether `op` hangs, and the repeat of its loop was proven (not counted to the step guard).
  template <typename Op>
  bool hangs_proven(Op op) {
    try {
      op();
    } catch (const HangError& e) {
      return e.proven;
    }
    return false;
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

  static constexpr int kTcacheCount = 7;  // glibc.malloc.tcache_count's default

  ThrowingFatalHandler handler;
  SimulatedMemory memory;
  Allocator twin;
  UserAddr last = 0;
};

}  // namespace heaptwin::alloc

#endif  // HEAPTWIN_ALLOCATOR_TEST_SUPPORT_H_
