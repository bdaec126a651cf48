// glibc's fatal message before 2.26, "*** Error in `PROGRAM': MESSAGE: 0xADDRESS ***", made the
// same in every process: the glibc side (the runner's stderr) and the twin side both leave the
// program out and name the address as read8 names values (heap+OFFSET, main_arena+OFFSET).
#ifndef HEAPTWIN_ORACLE_ERROR_IN_MESSAGE_H_
#define HEAPTWIN_ORACLE_ERROR_IN_MESSAGE_H_

#include <string>

#include "oracle/read_value.h"

namespace heaptwin {

// "*** Error in `': " (the program left out).
inline constexpr char kErrorInPrefix[] = "*** Error in `': ";

// `rest` is what follows "*** Error in `PROGRAM': ": "MESSAGE: 0xADDRESS ***" (glibc prints the
// address zero-padded to 16 digits). Returns the message with the program left out and the
// address named by where it points in this process (read_name); one that names nothing there
// is "elsewhere+PAGE_OFFSET" (a mapping's, say: each process has its own), or, below 4 GiB (a
// forged pointer), as printed.
std::string error_in_message(const std::string& rest, const ReadPlaces& places);

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_ERROR_IN_MESSAGE_H_
