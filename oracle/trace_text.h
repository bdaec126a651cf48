// Traces as text: the bins in a layout a pwndbg `bins` user reads at once, the golden-file form
// (every compared field, stable, line by line) and one JSON object per op.
#ifndef HEAPTWIN_ORACLE_TRACE_TEXT_H_
#define HEAPTWIN_ORACLE_TRACE_TEXT_H_

#include <string>

#include "oracle/trace.h"
#include "program/op.h"

namespace heaptwin {

// tcachebins, fastbins, unsortedbin, smallbins, largebins, top, last_remainder; chunk offsets
// from the heap base. `full` adds binmap, flags, system_mem, global_max_fast and mp_.
std::string format_state(const ArenaSnapshot& s, const std::string& indent, bool full);

// "[0x400, 0x440)": the chunk sizes glibc files in bin `index` (2..126).
std::string bin_range(int index);

// The whole trace: per op its text, outcome and (when present) the state after it.
std::string format_trace(const Program& program, const Trace& trace, bool with_state,
                         bool full = true);

// One JSON object per op and line: index, op, outcome kind, offset/size/value/error, message.
std::string format_trace_json(const Program& program, const Trace& trace);

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_TRACE_TEXT_H_
