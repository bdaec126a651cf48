// Run options for the tests that hold a side's digests (RunOptions::digests) against the exact
// event walk: the walk's digest of each op's state is recorded beside the side's own.
#ifndef HEAPTWIN_ORACLE_EXACT_DIGESTS_H_
#define HEAPTWIN_ORACLE_EXACT_DIGESTS_H_

#include <cstdint>
#include <vector>

#include "oracle/heap_view.h"
#include "oracle/side.h"

namespace heaptwin {

// Digests on, and arena_digest through a MemoryReader of the state after each op appended to
// *exact (which must outlive the runs).
inline RunOptions digests_beside_exact_walks(std::vector<uint64_t>* exact) {
  RunOptions options;
  options.digests = true;
  options.inspect = [exact](size_t, const MemoryReader& mem, const HeapLocation& loc,
                            const GlibcLayout& layout) {
    exact->push_back(arena_digest(mem, loc, layout));
  };
  return options;
}

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_EXACT_DIGESTS_H_
