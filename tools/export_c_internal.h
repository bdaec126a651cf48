// The parts of the C export (export_c.h) and what they share; internal to //tools:export_c.
// export_c.cc lays the program out from them: the comment (export_c_comment.cc), the fixed C
// text (export_c_prelude.cc), then the ops' statements (export_c_ops.cc) and main.
#ifndef HEAPTWIN_TOOLS_EXPORT_C_INTERNAL_H_
#define HEAPTWIN_TOOLS_EXPORT_C_INTERNAL_H_

#include <string>

#include "program/op.h"
#include "tools/export_c.h"

namespace heaptwin::c_export {

// The comment the program starts with: what it is, what it prints, how to build and run it.
std::string header_comment(const Program& program, const ExportOptions& o);

// What the program does besides the ops: output without stdio, the heap base, faults. Plain C99
// with glibc's headers (those of 2.31 too, for builds against an old sysroot).
extern const char kPrelude[];

// A C string literal.
std::string c_string(const std::string& s);

// The C variable of a slot (p_NAME; the script's `null` is null_slot).
std::string slot_var(const Program& p, SlotId slot);

// The statements of one op, after its op() line.
std::string op_code(const Program& p, const Op& op);

// Whether the Program reads memory itself (read8): then it gets the read8 support code.
bool reads_memory(const Program& program);
// Whether it reads or writes memory itself: then it can see tcache_key (pinned).
bool touches_memory(const Program& program);

}  // namespace heaptwin::c_export

#endif  // HEAPTWIN_TOOLS_EXPORT_C_INTERNAL_H_
