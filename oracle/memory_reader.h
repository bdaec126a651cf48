// Read-only access to some process's memory: the twin's simulated memory, real glibc's memory
// inside the runner, or a copy of it. The heap view, the checker and snapshots read through it,
// so a corrupted pointer is a failed read, never a crash.
#ifndef HEAPTWIN_ORACLE_MEMORY_READER_H_
#define HEAPTWIN_ORACLE_MEMORY_READER_H_

#include <cstddef>
#include <cstdint>

namespace heaptwin {

class MemoryReader {
 public:
  virtual ~MemoryReader() = default;
  // Copies n bytes at addr into out. False (and out untouched or partial) when any of them is
  // not readable memory.
  virtual bool read(uint64_t addr, void* out, size_t n) const = 0;

  bool read_u64(uint64_t addr, uint64_t* out) const { return read(addr, out, sizeof *out); }
};

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_MEMORY_READER_H_
