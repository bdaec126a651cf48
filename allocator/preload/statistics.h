// mallinfo2 and malloc_stats, which the twin does not offer: glibc 2.36's int_mallinfo read from
// the twin's main_arena and mp_ (the only arena; the preload library runs every thread on it).
#ifndef HEAPTWIN_ALLOCATOR_PRELOAD_STATISTICS_H_
#define HEAPTWIN_ALLOCATOR_PRELOAD_STATISTICS_H_

#include <malloc.h>

#include "allocator/allocator.h"
#include "allocator/fatal.h"

namespace heaptwin::preload {

// int_mallinfo (main arena) plus __libc_mallinfo2's mmap fields. The arena must be initialised
// (ptmalloc_init ran). A misaligned fastbin chunk aborts with glibc's message.
struct mallinfo2 main_arena_info(const alloc::Allocator& twin, alloc::FatalHandler* fatal);

// __malloc_stats: glibc's lines on stderr (stdio on the unbuffered stderr allocates nothing).
void print_malloc_stats(const alloc::Allocator& twin, alloc::FatalHandler* fatal);

}  // namespace heaptwin::preload

#endif  // HEAPTWIN_ALLOCATOR_PRELOAD_STATISTICS_H_
