// The heap checker's view of the twin's memory (oracle/check/types.h, check::Layout) for the
// release the twin follows. The twin keeps main_arena (as the release's overlay of its
// malloc_state), mp_ (MallocParLayout), global_max_fast and the tcache struct as that release
// lays them out, so the checker inside the program (heap_checking.h) reads them by the release's
// layout, not 2.36's. The same facts as oracle/heap_check.h's check_layout(glibc_layout(V)),
// derived from the profile here because the drop-in cannot use the oracle's C++ library:
// twin_check_layout_test holds the two equal for every release with a twin.
#ifndef HEAPTWIN_ALLOCATOR_PRELOAD_TWIN_CHECK_LAYOUT_H_
#define HEAPTWIN_ALLOCATOR_PRELOAD_TWIN_CHECK_LAYOUT_H_

#include "allocator/profile.h"
#include "oracle/check/types.h"

namespace heaptwin::preload {

check::Layout twin_check_layout(const alloc::GlibcProfile& profile);

}  // namespace heaptwin::preload

#endif  // HEAPTWIN_ALLOCATOR_PRELOAD_TWIN_CHECK_LAYOUT_H_
