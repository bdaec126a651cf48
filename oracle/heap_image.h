// A copy of what the heap view reads in some process: the brk heap, main_arena, mp_,
// global_max_fast and the tcache struct. Taken inside a HeapInspector (while the side's heap is
// as an op left it) and read later: `heaptwin show` after the run, the checker's tests (which
// corrupt arena fields no Program can reach) and its benchmark.
#ifndef HEAPTWIN_ORACLE_HEAP_IMAGE_H_
#define HEAPTWIN_ORACLE_HEAP_IMAGE_H_

#include <cstdint>
#include <vector>

#include "oracle/heap_view.h"
#include "oracle/memory_reader.h"

namespace heaptwin {

class HeapImage : public MemoryReader {
 public:
  HeapImage() = default;
  // Copies the regions; a region that cannot be read is left out (reads of it then fail).
  static HeapImage capture(const MemoryReader& mem, const HeapLocation& loc,
                           const GlibcLayout& layout);

  bool read(uint64_t addr, void* out, size_t n) const override;
  // Overwrites 8 bytes inside a captured region; false when they are not all captured.
  bool write_u64(uint64_t addr, uint64_t value);
  // Reads 8 bytes, 0 when not captured.
  uint64_t u64(uint64_t addr) const;

  HeapLocation loc;
  GlibcLayout layout;

 private:
  struct Region {
    uint64_t addr;
    std::vector<unsigned char> bytes;
  };
  void add(const MemoryReader& mem, uint64_t addr, uint64_t n);
  std::vector<Region> regions_;
};

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_HEAP_IMAGE_H_
