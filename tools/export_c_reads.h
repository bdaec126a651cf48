// The read8 part of an exported program (tools/export_c.h): what it read is printed as
// heaptwin's sides name it (oracle/read_value.c, pasted in), with main_arena found by a forked
// probe before the first op and the mappings of the mmapped chunks the Program holds followed op
// by op as oracle/read_namer.cc follows them. Only Programs that read get any of it.
#ifndef HEAPTWIN_TOOLS_EXPORT_C_READS_H_
#define HEAPTWIN_TOOLS_EXPORT_C_READS_H_

#include <string>

#include "program/op.h"

namespace heaptwin {

// The C code that goes before the Program's functions: read_value.c, the places of this process,
// the probe, read8(). `release` ("" or "2.36": the host's) gives main_arena's layout.
std::string read8_support_code(const Program& program, const std::string& release);

// A read8's statement: `dst` = the 8 bytes at `src` + offset, printed.
std::string read8_code(const std::string& dst, const std::string& src, int64_t offset);

// What follows an op's own statements: the mappings the Program holds (`dst` is the C variable
// of the op's dst slot).
std::string follow_mappings_code(const Op& op, const std::string& dst);

// main()'s statement before the first op (after the heap base is set).
inline constexpr const char* kFindReadPlaces = "  find_read_places();\n";

}  // namespace heaptwin

#endif  // HEAPTWIN_TOOLS_EXPORT_C_READS_H_
