// The memory the allocator grows into: a program break and anonymous mappings. Two
// implementations: SimulatedMemory (an independent heap inside this process) and, for the
// preload library, the real break and mmap.
#ifndef HEAPTWIN_ALLOCATOR_MEMORY_H_
#define HEAPTWIN_ALLOCATOR_MEMORY_H_

#include <cstdint>
#include <cstring>

namespace heaptwin::alloc {

struct WriteLog;

class Memory {
 public:
  static constexpr uint64_t kFailure = ~uint64_t{0};  // (void*)-1, MAP_FAILED

  virtual ~Memory() = default;
  // sbrk(increment): moves the break and returns its previous value; kFailure (nothing moved)
  // when the break cannot move that far or would go below its start. sbrk(0) is the break.
  virtual uint64_t sbrk(int64_t increment) = 0;
  // mmap(NULL, size, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS): page-aligned, zeroed
  // memory, or kFailure. `size` is a multiple of the page size.
  virtual uint64_t mmap(uint64_t size) = 0;
  // munmap(addr, size): false (EINVAL) when addr or size is not page-aligned or size is 0.
  // Unmapping pages that are not mapped succeeds, as on Linux.
  virtual bool munmap(uint64_t addr, uint64_t size) = 0;
  // mremap(addr, old_size, new_size, MREMAP_MAYMOVE): the mapping's new address (contents kept
  // up to the smaller size, the rest zeroed), or kFailure. The default never remaps, which glibc
  // survives (realloc of an mmapped chunk falls back to malloc, copy, munmap) but which places
  // differently: a Memory that twins a real process must implement it.
  virtual uint64_t mremap(uint64_t addr, uint64_t old_size, uint64_t new_size) { return kFailure; }
  // madvise(addr, n, MADV_DONTNEED) on private anonymous memory (malloc_trim's release of free
  // pages): the pages read back as zeros and cost no memory until touched again. addr and n are
  // page-aligned. The kernel releases whatever is mapped in the range, the process's other
  // memory too (libc's data, the stack), so a range this Memory does not own wholly cannot be
  // twinned: false, and nothing is released. The default clears the pages, which reads the same
  // but touches them.
  virtual bool discard(uint64_t addr, uint64_t n) {
    if (!owns(addr, n)) return false;
    for (uint64_t i = 0; i < n; i += 8) *reinterpret_cast<volatile uint64_t*>(addr + i) = 0;
    return true;
  }
  // calloc's clearing of [addr, addr + n), which is owned: afterwards it reads as zeros.
  // `pending` is the write log of the running op so far (nullptr: writes are not logged). A
  // Memory that knows which of its pages already read as zeros may skip them; the default
  // clears everything.
  virtual void zero(uint64_t addr, uint64_t n, const WriteLog* pending) {
    (void)pending;
    std::memset(reinterpret_cast<void*>(addr), 0, n);
  }
  // mmap(hint, size, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE), as new_heap reserves
  // a non-main arena's heap: address space only, not owned. At `hint` when that range is free
  // (0: no hint), else where Linux would place it. kFailure when it cannot; the default cannot
  // (then no arena but main_arena is ever made, as under a failing mmap).
  virtual uint64_t reserve(uint64_t hint, uint64_t size) {
    (void)hint;
    (void)size;
    return kFailure;
  }
  // mprotect(addr, size, PROT_READ|PROT_WRITE) over mapped pages (grow_heap): owned from now on,
  // reading as zeros where never written. false (nothing changes) when a page is not mapped.
  virtual bool make_accessible(uint64_t addr, uint64_t size) {
    (void)addr;
    (void)size;
    return false;
  }
  // What glibc's arena_get2 counts to bound the number of arenas (Debian's 2.36: __get_nprocs,
  // the online CPUs, whatever the affinity mask). 0: unknown (glibc then assumes 2).
  virtual int online_cpus() const { return 0; }
  // Whether all of [addr, addr + n) is readable and writable memory.
  virtual bool owns(uint64_t addr, uint64_t n) const = 0;
  // Whether owns() is true of every range: the process's own memory, where a wild access faults
  // for real, as in glibc. The drop-in's build of the twin (HEAPTWIN_DIRECT_MEMORY) needs it.
  virtual bool owns_everything() const { return false; }
  virtual uint64_t page_size() const { return 4096; }
};

}  // namespace heaptwin::alloc

#endif  // HEAPTWIN_ALLOCATOR_MEMORY_H_
