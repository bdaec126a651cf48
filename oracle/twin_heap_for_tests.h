// Test support for the heap checker's suites: a twin whose heap the checkers read, and a heap
// holding every kind of bin. Header-only, in the tests' own sources.
#ifndef HEAPTWIN_ORACLE_TWIN_HEAP_FOR_TESTS_H_
#define HEAPTWIN_ORACLE_TWIN_HEAP_FOR_TESTS_H_

#include <cstring>
#include <string>
#include <vector>

#include "allocator/test_support.h"
#include "oracle/heap_check.h"
#include "oracle/heap_check_for_tests.h"
#include "oracle/heap_check_incremental.h"
#include "oracle/heap_view.h"

namespace heaptwin::testing {

// A twin heap, how to read it, and an incremental checker fed by the twin's write log.
class TwinHeap {
 public:
  TwinHeap() : reader(twin.memory), layout(*glibc_layout("2.36")) {
    twin.twin.set_write_log(inc.write_log());
  }
  HeapLocation loc() const {
    HeapLocation l;
    l.heap_base = twin.memory.heap_base();
    l.heap_end = const_cast<alloc::SimulatedMemory&>(twin.memory).brk();
    l.arena = twin.twin.main_arena();
    l.mp = reinterpret_cast<uint64_t>(twin.twin.libc().mp);
    l.global_max_fast = reinterpret_cast<uint64_t>(twin.twin.libc().global_max_fast);
    l.tcache = twin.twin.tcache();
    return l;
  }
  // The incremental check through `reader` (copies), or, in_process, on the twin's memory in
  // place as the twin side runs it (the checker reads main_arena and the heap directly).
  std::vector<Violation> check() {
    return in_process ? inc.check_op(twin.memory, loc(), layout)
                      : inc.check_op(reader, loc(), layout);
  }
  std::vector<Violation> full() { return check_heap(reader, loc(), layout); }
  // A word written by "the op" (a planted bug): into memory and into the log.
  void plant(uint64_t addr, uint64_t value) {
    *reinterpret_cast<uint64_t*>(addr) = value;
    inc.write_log()->note(addr);
  }
  uint64_t word(uint64_t addr) const { return *reinterpret_cast<const uint64_t*>(addr); }

  // Every kind of bin: `blocks` blocks of 12 sizes, every other one freed, one large request
  // that sorts the unsorted bin into small and large bins, then every fourth of the first
  // `refreed` freed too (tcache and fastbins again).
  void fill_every_kind_of_bin(int blocks, int refreed) {
    static const uint64_t kSizes[] = {0x18,  0x28, 0x48, 0x88,  0x108, 0x418,
                                      0x458, 0x88, 0x28, 0x438, 0x18,  0x1008};
    std::vector<alloc::Addr> live;
    for (int i = 0; i < blocks; ++i) live.push_back(twin.twin.malloc(kSizes[i % 12]).raw());
    for (int i = 0; i < blocks; i += 2) twin.twin.free(alloc::UserAddr{live[i]});
    twin.twin.malloc(0x2000);
    for (int i = 1; i < refreed; i += 4) twin.twin.free(alloc::UserAddr{live[i]});
  }

  struct Reader : MemoryReader {
    explicit Reader(const alloc::SimulatedMemory& m) : mem(m) {}
    bool read(uint64_t addr, void* out, size_t n) const override {
      if (!mem.owns(addr, n)) return false;
      std::memcpy(out, reinterpret_cast<const void*>(addr), n);
      return true;
    }
    const alloc::SimulatedMemory& mem;
  };

  alloc::TestTwin twin;
  bool in_process = false;
  IncrementalHeapChecker inc;
  Reader reader;
  GlibcLayout layout;
};

}  // namespace heaptwin::testing

#endif  // HEAPTWIN_ORACLE_TWIN_HEAP_FOR_TESTS_H_
