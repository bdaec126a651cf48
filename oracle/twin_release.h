// The twin configured as one glibc release for the twin side (oracle/twin_side.cc): the libc
// data block's layout the twin keeps, and the release's profile with a run's GLIBC_TUNABLES.
#ifndef HEAPTWIN_ORACLE_TWIN_RELEASE_H_
#define HEAPTWIN_ORACLE_TWIN_RELEASE_H_

#include "allocator/profile.h"
#include "oracle/heap_view.h"
#include "oracle/side.h"

namespace heaptwin {

// The twin's libc data block keeps 2.36's malloc_par field order for every release (allocator/
// layout.h); the arena and the tcache are laid out as the release has them.
void twin_data_layout(GlibcLayout* l);

// GLIBC_TUNABLES names -> the profile's tunables.
alloc::GlibcProfile profile_for(const alloc::GlibcProfile& release, const RunOptions& options);

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_TWIN_RELEASE_H_
