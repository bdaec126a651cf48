// `heaptwin exec`: where the drop-in library puts malloc's objects (allocator/preload/
// libc_placement.h). Reads the symbols of the libc the program will load and names each object
// whose size there is the size the twin of that release gives it (the release's layout,
// allocator/layout.h), as HEAPTWIN_LIBC_DATA's value.
#ifndef HEAPTWIN_TOOLS_EXEC_LIBC_DATA_H_
#define HEAPTWIN_TOOLS_EXEC_LIBC_DATA_H_

#include <string>
#include <vector>

#include "allocator/profile.h"

namespace heaptwin {

// "BUILDID,main_arena=0x...,mp_=0x...,..." for the libc at `libc_path`, whose malloc the twin of
// `release` (the profile the library takes: HEAPTWIN_GLIBC) replaces; "" with *why set when its
// symbols cannot be read (no debug file) or no object has the twin's size. *kept lists the
// objects left in the library (libc has no such symbol, or its size differs there: an `int`
// __malloc_initialized before 2.34), "" when none.
std::string libc_data_value(const std::string& libc_path,
                            const std::vector<std::string>& debug_roots,
                            const alloc::GlibcProfile& release, std::string* why,
                            std::string* kept);

// The profile the drop-in library takes for HEAPTWIN_GLIBC=version ("" or an unknown release:
// the host's 2.36), as allocator/preload/preload.cc chooses it.
alloc::GlibcProfile drop_in_profile(const std::string& version);

}  // namespace heaptwin

#endif  // HEAPTWIN_TOOLS_EXEC_LIBC_DATA_H_
