// The drop-in's malloc objects at libc's own addresses. `heaptwin exec` reads where main_arena,
// mp_, tcache_key, __malloc_initialized, perturb_byte and global_max_fast lie in the libc the
// program will load (its debug symbols) and passes them in HEAPTWIN_LIBC_DATA:
//
//   HEAPTWIN_LIBC_DATA=<build id>,main_arena=0x1d3c60,mp_=0x1d3340,...   (offsets from libc's base)
//
// naming only the objects whose layout there is the twin's for that release
// (tools/exec_libc_data.h). The library finds that libc among the process's mappings, checks its
// build id, and puts the twin's objects there (main_arena as the release's overlay of the twin's
// malloc_state: Allocator::arena_name_offset): a leaked bin address then gives the real libc base,
// and a write through an address derived from it lands in the object glibc would use. Without the
// variable, or for another libc, the objects stay in the library's own block (allocator/layout.h:
// LibcData), as apart as in Debian's 2.36.
#ifndef HEAPTWIN_ALLOCATOR_PRELOAD_LIBC_PLACEMENT_H_
#define HEAPTWIN_ALLOCATOR_PRELOAD_LIBC_PLACEMENT_H_

#include <cstdint>

#include "allocator/libc_objects.h"

namespace heaptwin::preload {

struct LibcDataRequest {
  char build_id[41] = "";  // hex; "" when HEAPTWIN_LIBC_DATA is not set
  // Offsets from libc's load base; 0: keep that object in the library's block.
  uint64_t main_arena = 0, mp = 0, tcache_key = 0, malloc_initialized = 0, perturb_byte = 0,
           global_max_fast = 0;
  // Offsets inside libc's TLS block (symbol values): libc's errno, whose address this thread's
  // __errno_location gives, locates malloc's `thread_arena` beside it. 0: unknown.
  uint64_t errno_tls = 0, thread_arena_tls = 0;
};

// Parses the value of HEAPTWIN_LIBC_DATA into *out; false when it is malformed (out untouched).
bool parse_libc_data(const char* value, LibcDataRequest* out);

// Moves the requested objects of *objects to libc's addresses, the twin's malloc_state
// `arena_name_offset` bytes before libc's main_arena (Allocator::arena_name_offset of the
// release's profile). Returns 0 when it did (or nothing was requested), else why not (a constant
// string). Allocates nothing. With main_arena placed
// and both TLS offsets given, it also points libc's `thread_arena` (of the calling thread) at
// it, as ptmalloc_init does: glibc's fork handler (__malloc_fork_unlock_child) detaches every
// arena but thread_arena in the child, so without it the twin's main_arena would lose its thread.
const char* place_in_loaded_libc(const LibcDataRequest& request, uint64_t arena_name_offset,
                                 alloc::LibcObjects* objects);

}  // namespace heaptwin::preload

#endif  // HEAPTWIN_ALLOCATOR_PRELOAD_LIBC_PLACEMENT_H_
