#include "oracle/check/region.h"

#include <sys/mman.h>

namespace heaptwin::check {

namespace {
constexpr uint64_t kPage = 4096;
}

bool Region::reserve(uint64_t bytes, uint64_t hint) {
  bytes = (bytes + kPage - 1) & ~(kPage - 1);
  void* p = mmap(reinterpret_cast<void*>(hint), bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return false;
  base_ = reinterpret_cast<uint64_t>(p);
  size_ = bytes;
  used_ = 0;
  return true;
}

void Region::release() {
  if (base_ != 0) munmap(reinterpret_cast<void*>(base_), size_);
  base_ = size_ = used_ = 0;
}

void* Region::take(uint64_t bytes) {
  bytes = (bytes + kPage - 1) & ~(kPage - 1);
  if (base_ == 0 || bytes > size_ - used_) return nullptr;
  void* p = reinterpret_cast<void*>(base_ + used_);
  used_ += bytes;
  return p;
}

void Region::discard(void* p, uint64_t bytes) {
  const uint64_t lo = (reinterpret_cast<uint64_t>(p) + kPage - 1) & ~(kPage - 1);
  const uint64_t hi = (reinterpret_cast<uint64_t>(p) + bytes) & ~(kPage - 1);
  if (hi > lo) madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_DONTNEED);
}

}  // namespace heaptwin::check
