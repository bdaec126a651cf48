// glibc's malloc assertions that a corrupted heap can reach (they are compiled in: glibc builds
// without NDEBUG). What they print depends on the release (GlibcProfile::assert_style):
//   before 2.36: "malloc.c:LINE: F: Assertion `E' failed." after the program's name and ": "
//   2.36 (and the 2.35 branch): "Fatal glibc error: malloc assertion failure in F: E"
//   2.37 on: "Fatal glibc error: malloc.c:LINE (F): assertion failed: E"
// The glibc side drops the program's name, so the twin prints neither (a program named "" is
// what glibc's own format leaves then).
#ifndef HEAPTWIN_ALLOCATOR_ASSERTIONS_H_
#define HEAPTWIN_ALLOCATOR_ASSERTIONS_H_

#include <cstddef>

#include "allocator/profile.h"

namespace heaptwin::alloc {

enum class Assertion {
  kSysmallocOldTop,   // sysmalloc: the old top is the initial one or a sane, page-ended chunk
  kSysmallocOldSize,  // sysmalloc: the old top was too small for the request
  kMallocArena,       // __libc_malloc: the chunk belongs to the arena it came from
  kCallocClears,      // __libc_calloc: a chunk of at least 3 words to clear
  kLargeBinBck,       // _int_malloc: the smallest chunk of a large bin is main_arena's
  kLargeBinFwd,       // _int_malloc: the first chunk compared in a large bin is main_arena's
  kLargeBinFwdWalk,   // _int_malloc: each chunk met walking the nextsize list is too
  kBinmapSize,        // _int_malloc: the binmap's victim fits the request
  kMtrimHeader,       // mtrim: a page to release lies past the chunk's header
  kMtrimEnd,          // mtrim: ... and before its end
  kMremapChunk,       // mremap_chunk (before 2.29): the mapping is whole pages
  kReallocCopies,     // _int_realloc (before 2.29): at least 3 words to copy
  // arena.c's (2.36 spelling; the twin models non-main arenas in releases whose messages name no
  // file or line).
  kArenaFreeListAttached,  // get_free_list: no thread uses an arena on the free list
  kArenaFreeListWalk,      // remove_from_free_list: the same, for each arena on it
  kArenaDetachUnattached,  // detach_arena: the arena left had a thread
  kArenaThreadFreeres,     // __malloc_arena_thread_freeres: the same at thread exit
  kHeapTrimFencepost,      // heap_trim: the previous heap ends in a fencepost
  kHeapTrimFencepostSize,  // heap_trim: ... after a chunk under 2 * MINSIZE
  kHeapTrimNewSize,        // heap_trim: the new top fits one heap
  kHeapTrimPageEnd,        // heap_trim: the new top ends on a page
  kHeapTrimHeapEnd,        // heap_trim: ... at the previous heap's end
  kFreeHeapArena,          // _int_free: top's heap belongs to the arena
  kMallocArenaThreaded,    // __libc_malloc, multi-threaded: the chunk is the arena's it came from
  kCallocArena,            // __libc_calloc: the same
  kReallocArena,           // __libc_realloc: the same
  kMemalignArenaThreaded,  // _mid_memalign, multi-threaded: the same
};

// The message `profile`'s glibc prints for `a` (without the final newline), written into buf.
const char* assertion_message(Assertion a, const GlibcProfile& profile, char* buf, size_t size);

}  // namespace heaptwin::alloc

#endif  // HEAPTWIN_ALLOCATOR_ASSERTIONS_H_
