// What the runner's reports mean as a Trace: each op's record as an Outcome, the way a Program
// that did not run to its end ended (abort with glibc's message, fault, time limit), and which
// Programs may meet a brk the kernel refuses.
#ifndef HEAPTWIN_ORACLE_GLIBC_RUNNER_OUTCOMES_H_
#define HEAPTWIN_ORACLE_GLIBC_RUNNER_OUTCOMES_H_

#include <cstdint>
#include <string>

#include "oracle/glibc/libc_symbols.h"
#include "oracle/glibc/runner_protocol.h"
#include "oracle/read_value.h"
#include "oracle/side.h"
#include "oracle/trace.h"
#include "program/op.h"

namespace heaptwin {

// Fault addresses this close above the heap base are reported as heap offsets.
inline constexpr uint64_t kHeapWindow = 1ull << 32;

// The outcome of `op` from its record (read8: outcome_of_read).
Outcome outcome_of(const Op& op, const RunnerRecord& r, uint64_t heap_base);

// Where read8 values point in the runner (oracle/read_value.h): the heap (its end: the record's
// heap_end), and malloc's objects in libc when libc's base and symbols are known (libc_base 0 or
// no symbols: only the heap).
ReadPlaces runner_read_places(uint64_t heap_base, uint64_t heap_end, uint64_t libc_base,
                              const LibcSymbols* symbols, const ArenaLayout& layout);

// The places of the read8 whose record is `r`: those above, with the record's heap end, and the
// threads' heaps the child found for it (RunnerRecord.read_heaps, runner_threads.c), unpacked
// into `heaps` (READ_ARENA_HEAPS_MAX entries), which the result points to.
ReadPlaces runner_read_places_of(const RunnerRecord& r, uint64_t heap_base, uint64_t libc_base,
                                 const LibcSymbols* symbols, const ArenaLayout& layout,
                                 ReadArenaHeap* heaps);

// glibc's fatal message with what belongs to the process taken out, so that every process
// prints the same: before 2.36 a failed assertion follows the program's name ("runner: malloc.c:
// 2379: sysmalloc: Assertion `...' failed."), which goes; before 2.26 malloc_printerr prints
// "*** Error in `PROGRAM': MESSAGE: 0xADDRESS ***", which keeps its form with the program left
// empty and the address as heap+OFFSET when it lies in the heap.
std::string process_independent_message(const std::string& message, const std::string& program_path,
                                        const ReadPlaces& places);

// How a Program that did not run to its end ended, from the child's wait status: an outcome
// appended to the trace, or the trace's error.
void add_death(int status, const std::string& message, Trace* trace);

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_GLIBC_RUNNER_OUTCOMES_H_
