// The twin as a side: runs Programs on allocator/'s glibc 2.36 twin over simulated memory, in
// this process, and reads arena snapshots through the shared heap view.
#ifndef HEAPTWIN_ORACLE_TWIN_SIDE_H_
#define HEAPTWIN_ORACLE_TWIN_SIDE_H_

#include <memory>
#include <string>

#include "oracle/side.h"

namespace heaptwin {

// "twin". Never fails except when the address space for the simulated heap cannot be reserved.
std::unique_ptr<Side> make_twin_side(const std::string& name, std::string* error);

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_TWIN_SIDE_H_
