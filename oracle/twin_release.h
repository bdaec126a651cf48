// The twin configured as one glibc release for the twin side (oracle/twin_side.cc): the release's
// profile with a run's GLIBC_TUNABLES. (The twin keeps malloc_par, the arena and the tcache as
// the release lays them out, so the twin side reads it with the release's GlibcLayout.)
#ifndef HEAPTWIN_ORACLE_TWIN_RELEASE_H_
#define HEAPTWIN_ORACLE_TWIN_RELEASE_H_

#include "allocator/profile.h"
#include "oracle/heap_view.h"
#include "oracle/side.h"

namespace heaptwin {

// GLIBC_TUNABLES names -> the profile's tunables.
alloc::GlibcProfile profile_for(const alloc::GlibcProfile& release, const RunOptions& options);

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_TWIN_RELEASE_H_
