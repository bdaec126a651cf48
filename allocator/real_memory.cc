#include "allocator/real_memory.h"

#include <sys/mman.h>  // mremap needs _GNU_SOURCE, which g++ defines
#include <sys/sysinfo.h>
#include <sys/uio.h>
#include <unistd.h>

namespace heaptwin::alloc {

uint64_t RealMemory::sbrk(int64_t increment) {
  void* r = ::sbrk(static_cast<intptr_t>(increment));
  if (r == reinterpret_cast<void*>(-1)) return kFailure;
  return reinterpret_cast<uint64_t>(r);
}

uint64_t RealMemory::mmap(uint64_t size) {
  void* r = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (r == MAP_FAILED) return kFailure;
  return reinterpret_cast<uint64_t>(r);
}

bool RealMemory::munmap(uint64_t addr, uint64_t size) {
  return ::munmap(reinterpret_cast<void*>(addr), size) == 0;
}

uint64_t RealMemory::mremap(uint64_t addr, uint64_t old_size, uint64_t new_size) {
  void* r = ::mremap(reinterpret_cast<void*>(addr), old_size, new_size, MREMAP_MAYMOVE);
  if (r == MAP_FAILED) return kFailure;
  return reinterpret_cast<uint64_t>(r);
}

uint64_t RealMemory::reserve(uint64_t hint, uint64_t size) {
  void* r = ::mmap(reinterpret_cast<void*>(hint), size, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (r == MAP_FAILED) return kFailure;
  return reinterpret_cast<uint64_t>(r);
}

bool RealMemory::make_accessible(uint64_t addr, uint64_t size) {
  return ::mprotect(reinterpret_cast<void*>(addr), size, PROT_READ | PROT_WRITE) == 0;
}

int RealMemory::online_cpus() const { return ::get_nprocs(); }

bool readable(uint64_t addr, void* out, uint64_t n) {
  if (n == 0) return true;
  iovec local{out, n};
  iovec remote{reinterpret_cast<void*>(addr), n};
  ssize_t got = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
  return got == static_cast<ssize_t>(n);
}

// This is the process glibc would run in: the same madvise, whatever it reaches.
bool RealMemory::discard(uint64_t addr, uint64_t n) {
  if (n != 0) ::madvise(reinterpret_cast<void*>(addr), n, MADV_DONTNEED);
  return true;
}

}  // namespace heaptwin::alloc
