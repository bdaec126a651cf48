// glibc's fatal message before 2.26, "*** Error in `PROGRAM': MESSAGE: 0xADDRESS ***", made the
// same in every process: the glibc side (the runner's stderr) and the twin side both name the
// address as heap+OFFSET when it lies in the heap.
#ifndef HEAPTWIN_ORACLE_ERROR_IN_MESSAGE_H_
#define HEAPTWIN_ORACLE_ERROR_IN_MESSAGE_H_

#include <cstdint>
#include <string>

namespace heaptwin {

// "*** Error in `': " (the program left out).
inline constexpr char kErrorInPrefix[] = "*** Error in `': ";

// `rest` is what follows "*** Error in `PROGRAM': ": "MESSAGE: 0xADDRESS ***". Returns the
// message with the program left out and ADDRESS as heap+OFFSET when it lies within 4 GiB above
// heap_base (glibc prints it zero-padded to 16 digits).
std::string error_in_message(const std::string& rest, uint64_t heap_base);

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_ERROR_IN_MESSAGE_H_
