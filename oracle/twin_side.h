// The twin as a side: runs Programs on allocator/'s glibc 2.36 twin over simulated memory, in
// this process, and reads arena snapshots through the shared heap view.
#ifndef HEAPTWIN_ORACLE_TWIN_SIDE_H_
#define HEAPTWIN_ORACLE_TWIN_SIDE_H_

#include <cstring>
#include <memory>
#include <string>

#include "allocator/simulated_memory.h"
#include "oracle/heap_view.h"
#include "oracle/side.h"

namespace heaptwin {

// The twin's memory as the heap view reads it: what the simulated memory owns, read in place.
class SimulatedMemoryReader : public MemoryReader {
 public:
  explicit SimulatedMemoryReader(const alloc::SimulatedMemory& mem) : mem_(mem) {}
  bool read(uint64_t addr, void* out, size_t n) const override {
    if (!mem_.owns(addr, n)) return false;
    std::memcpy(out, reinterpret_cast<const void*>(addr), n);
    return true;
  }

 private:
  const alloc::SimulatedMemory& mem_;
};

// "twin" (the host's release, 2.36) or "twin-V" for a release the twin knows (2.31, 2.35, 2.36).
// Fails for an unknown release, or when the address space for the simulated heap cannot be
// reserved.
std::unique_ptr<Side> make_twin_side(const std::string& name, std::string* error);

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_TWIN_SIDE_H_
