// How a side names what a read8 read (oracle/read_value.h): the places of its own process, and
// the mappings of the mmapped chunks the Program holds, followed op by op from what each op
// returned. Every side follows them by the same rules from the same outcomes, so a value in a
// mapping has the same name everywhere.
#ifndef HEAPTWIN_ORACLE_READ_NAMER_H_
#define HEAPTWIN_ORACLE_READ_NAMER_H_

#include <cstdint>
#include <vector>

#include "oracle/offset_map.h"
#include "oracle/read_value.h"
#include "oracle/trace.h"
#include "program/op.h"

namespace heaptwin {

// Whether a Program reads memory (has a read8): sides follow mappings only then.
bool reads_memory(const Program& program);

class ReadNamer {
 public:
  // A new Program.
  void start(const Program& program);
  // Whether the Program reads (has a read8).
  bool active() const { return active_; }
  // After op `op` returned `outcome`; `pointer` is what an allocating op returned here.
  void after(const Op& op, const Outcome& outcome, uint64_t pointer);
  // The read8 outcome of the 8 bytes `raw` read at `at`, in the process whose places these are
  // (their mappings are ignored: those the Program holds are followed here; their arena heaps,
  // read_arena_heaps.h, are the caller's). `tcache` is the
  // thread's tcache struct (0: none): outside the heap (M_MMAP_THRESHOLD below its size) it is
  // an mmapped chunk too, whose address every cached chunk's key holds before 2.34.
  Outcome read(ReadPlaces places, uint64_t raw, uint64_t at, uint64_t tcache);

 private:
  bool active_ = false;
  OffsetMap<ReadMapping> by_slot_;     // slots that hold an mmapped chunk
  std::vector<ReadMapping> mappings_;  // their mappings, for ReadPlaces
};

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_READ_NAMER_H_
