// The .heap text format (docs/heap-format.md): parse with errors that name file:line and what
// was expected, and print back so that parse(print(p)) == p.
#ifndef HEAPTWIN_PROGRAM_HEAP_FORMAT_H_
#define HEAPTWIN_PROGRAM_HEAP_FORMAT_H_

#include <optional>
#include <string>

#include "program/op.h"

namespace heaptwin {

// Parses a whole script. On error: nullopt and *error = "FILE:LINE: what was expected".
std::optional<Program> parse_heap(const std::string& text, const std::string& filename,
                                  std::string* error);

// The script, one op per line, numbers in 0x hex.
std::string print_heap(const Program& program);
// One op as a line of text, without a newline ("a = malloc 0x18").
std::string print_op(const Program& program, const Op& op);

}  // namespace heaptwin

#endif  // HEAPTWIN_PROGRAM_HEAP_FORMAT_H_
