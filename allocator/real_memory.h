// The Memory of a real process: the program break through libc's sbrk (so libc's idea of the
// break, __curbrk, stays the one a program's own sbrk(0) sees) and anonymous mappings through
// mmap/munmap. This is what glibc's malloc grows into (MORECORE is __sbrk, MMAP is __mmap), so
// the twin over it places chunks where glibc would. Used by the preload library; it allocates
// nothing and has no static constructor.
#ifndef HEAPTWIN_ALLOCATOR_REAL_MEMORY_H_
#define HEAPTWIN_ALLOCATOR_REAL_MEMORY_H_

#include <cstdint>

#include "allocator/memory.h"

namespace heaptwin::alloc {

class RealMemory : public Memory {
 public:
  uint64_t sbrk(int64_t increment) override;
  uint64_t mmap(uint64_t size) override;
  bool munmap(uint64_t addr, uint64_t size) override;
  // mremap(MREMAP_MAYMOVE), as glibc's mremap_chunk calls it for a realloc of an mmapped chunk.
  uint64_t mremap(uint64_t addr, uint64_t old_size, uint64_t new_size) override;
  // Always true: where glibc would touch unmapped memory the real access faults, as it does in
  // glibc (SIGSEGV), so nothing is checked in advance.
  bool owns(uint64_t addr, uint64_t n) const override { return true; }
  bool owns_everything() const override { return true; }
  // MADV_DONTNEED, as glibc's mtrim calls it.
  bool discard(uint64_t addr, uint64_t n) override;
  // new_heap's PROT_NONE reservations and grow_heap's mprotect, as glibc makes them.
  uint64_t reserve(uint64_t hint, uint64_t size) override;
  bool make_accessible(uint64_t addr, uint64_t size) override;
  // get_nprocs: what Debian's glibc 2.36 counts in arena_get2 (it allocates nothing).
  int online_cpus() const override;
};

// Whether [addr, addr + n) can be read without faulting, found with process_vm_readv on this
// process (no signal handler, no allocation). For readers that must survive wild pointers.
bool readable(uint64_t addr, void* out, uint64_t n);

}  // namespace heaptwin::alloc

#endif  // HEAPTWIN_ALLOCATOR_REAL_MEMORY_H_
