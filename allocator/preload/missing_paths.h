// glibc 2.36 entry points the twin (allocator/) does not offer yet, written beside it for the
// preload library: calloc, realloc, the memalign family, malloc_usable_size, mallopt and
// malloc_trim, each as glibc's code path (malloc.c), using the twin's malloc and free where glibc
// calls _int_malloc / _int_free and touching chunks of this real process directly.
//
// _int_malloc is the twin's malloc with the request's tcache bin hidden (see int_malloc in the
// .cc); _int_free of a heap chunk is the twin's free (2.36's __libc_free adds only
// MAYBE_INIT_TCACHE, which these paths have done already). When the twin gains these functions
// (issue 5), the preload library should call the twin's instead.
#ifndef HEAPTWIN_ALLOCATOR_PRELOAD_MISSING_PATHS_H_
#define HEAPTWIN_ALLOCATOR_PRELOAD_MISSING_PATHS_H_

#include <malloc.h>

#include <cstdint>

#include "allocator/allocator.h"
#include "allocator/layout.h"

namespace heaptwin::preload {

using alloc::Addr;

class MissingPaths {
 public:
  MissingPaths(alloc::Allocator* twin, alloc::LibcData* data, alloc::FatalHandler* fatal)
      : twin_(twin), d_(data), fatal_(fatal) {}

  // Each returns what glibc returns; *error is the errno glibc sets (0: untouched).
  Addr calloc(uint64_t n, uint64_t elem, int* error);
  Addr realloc(Addr oldmem, uint64_t bytes, int* error);
  // __libc_memalign / _mid_memalign (aligned_alloc is the same function in 2.36).
  Addr memalign(uint64_t alignment, uint64_t bytes, int* error);
  Addr valloc(uint64_t bytes, int* error);
  Addr pvalloc(uint64_t bytes, int* error);
  int posix_memalign(Addr* memptr, uint64_t alignment, uint64_t bytes);
  uint64_t usable_size(Addr mem) const;
  int mallopt(int param, int value);
  int malloc_trim(uint64_t pad);
  // __libc_mallinfo2 / int_mallinfo over the main arena.
  struct mallinfo2 mallinfo2();

  // ptmalloc_init when it has not run (the twin runs it on the first malloc; a malloc that
  // checked_request2size refuses runs it and nothing else).
  void ensure_initialized();

 private:
  Addr int_malloc(uint64_t bytes, int* error);
  Addr mid_memalign(uint64_t alignment, uint64_t bytes, int* error);
  Addr int_memalign(uint64_t alignment, uint64_t bytes, int* error);
  Addr int_realloc(Addr oldp, uint64_t oldsize, uint64_t nb, int* error);
  Addr mremap_chunk(Addr p, uint64_t new_size);
  void munmap_chunk(Addr p);
  void int_free(Addr p) { twin_->free(p + 16); }
  void unlink_chunk(Addr p);
  void malloc_consolidate();
  int systrim(uint64_t pad);
  [[noreturn]] void printerr(const char* message) const { alloc::report_abort(fatal_, message); }

  alloc::Allocator* twin_;
  alloc::LibcData* d_;
  alloc::FatalHandler* fatal_;
};

}  // namespace heaptwin::preload

#endif  // HEAPTWIN_ALLOCATOR_PRELOAD_MISSING_PATHS_H_
