// The write log: the address of every 8-byte word the allocator stores into a chunk or a bin head
// during an op (ChunkMemory::store: headers, footers, fd/bk, the nextsize links, tcache entries'
// next and key). The incremental heap checker (oracle/check/) reads it after the op to know
// which chunks the op touched; main_arena, mp_ and the tcache struct, which the allocator writes
// through C++ references, it compares with its own copies instead.
//
// The log is plain memory its owner provides; it never allocates. Off (no log set), a store costs
// one well-predicted branch more.
#ifndef HEAPTWIN_ALLOCATOR_WRITE_LOG_H_
#define HEAPTWIN_ALLOCATOR_WRITE_LOG_H_

#include <cstdint>

namespace heaptwin::alloc {

struct WriteLog {
  uint64_t* entries = nullptr;  // capacity words, owned by whoever sets the log
  uint64_t capacity = 0;
  uint64_t size = 0;
  // More stores than capacity: the log is incomplete, and its reader must look at everything.
  bool overflowed = false;
  // Bulk writes into chunks (calloc's clearing, M_PERTURB's fill, realloc's copy, the tcache
  // struct's clearing): where they went, for readers that track which memory holds bytes
  // (SimulatedMemory). The heap checker ignores them: they write user memory, not metadata.
  struct Range {
    uint64_t addr, n;
  };
  static constexpr int kMaxRanges = 16;
  Range ranges[kMaxRanges] = {};
  int range_count = 0;
  bool ranges_overflowed = false;

  void note(uint64_t addr) {
    if (size < capacity) {
      entries[size++] = addr;
    } else {
      overflowed = true;
    }
  }
  void note_range(uint64_t addr, uint64_t n) {
    if (range_count < kMaxRanges) {
      ranges[range_count++] = {addr, n};
    } else {
      ranges_overflowed = true;
    }
  }
  void clear() {
    size = 0;
    overflowed = false;
    range_count = 0;
    ranges_overflowed = false;
  }
};

}  // namespace heaptwin::alloc

#endif  // HEAPTWIN_ALLOCATOR_WRITE_LOG_H_
