// `heaptwin exec`: where the drop-in library puts malloc's objects (allocator/preload/
// libc_placement.h). Reads the symbols of the libc the program will load and names each object
// whose size there equals the twin's, as HEAPTWIN_LIBC_DATA's value.
#ifndef HEAPTWIN_TOOLS_EXEC_LIBC_DATA_H_
#define HEAPTWIN_TOOLS_EXEC_LIBC_DATA_H_

#include <string>
#include <vector>

namespace heaptwin {

// "BUILDID,main_arena=0x...,mp_=0x...,..." for the libc at `libc_path`; "" with *why set when
// its symbols cannot be read (no debug file) or no object has the twin's size. *kept lists the
// objects left in the library (their size differs there), "" when none.
std::string libc_data_value(const std::string& libc_path, const std::vector<std::string>& debug_roots,
                            std::string* why, std::string* kept);

}  // namespace heaptwin

#endif  // HEAPTWIN_TOOLS_EXEC_LIBC_DATA_H_
