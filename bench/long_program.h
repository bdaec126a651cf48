// Long Programs like a real program's trace: a million calls over a few thousand live blocks,
// for the rows that show what checks and comparison cost when the heap is big (issue 14: a
// 1,000,000-op Program with ~4,000 live blocks, diffed against glibc within 30 s; the twin with
// its checks within 3x the twin without).
#ifndef HEAPTWIN_BENCH_LONG_PROGRAM_H_
#define HEAPTWIN_BENCH_LONG_PROGRAM_H_

#include <cstddef>
#include <cstdint>

#include "program/op.h"

namespace heaptwin::bench {

// `ops` calls (malloc mostly, then free, realloc, calloc) keeping about `live` blocks live:
// mostly small sizes (what tcache, fastbins and small bins serve), some medium and large ones,
// now and then one above the mmap threshold. Frees and reallocs take a random live block. Slot
// names are reused once their block is freed, so a Program needs about `live` slots.
// Deterministic in its seed.
Program long_program(size_t ops, size_t live, uint64_t seed);

}  // namespace heaptwin::bench

#endif  // HEAPTWIN_BENCH_LONG_PROGRAM_H_
