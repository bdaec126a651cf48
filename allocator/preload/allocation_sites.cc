#include "allocator/preload/allocation_sites.h"

#include <sys/mman.h>

namespace heaptwin::preload {

namespace {

// After the heap checker's reservation (0x7e0200000000, 3 GiB).
constexpr uint64_t kTableHint = 0x7e0400000000;
constexpr uint64_t kCapacity = uint64_t{1} << 21;  // 2M chunks, ~300 MiB of address space
constexpr uint64_t kMaxUsed = kCapacity / 4 * 3;  // probes stay short

}  // namespace

bool AllocationSites::start() {
  void* p = mmap(reinterpret_cast<void*>(kTableHint), kCapacity * sizeof(Site), PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return false;
  entries_ = static_cast<Site*>(p);  // zero pages: every entry empty
  capacity_ = kCapacity;
  return true;
}

Site* AllocationSites::slot_for(uint64_t user) const {
  uint64_t i = ((user >> 4) * 0x9e3779b97f4a7c15ull) >> 43;  // 21 bits
  for (;;) {
    Site* s = &entries_[i & (capacity_ - 1)];
    if (s->user == user || s->user == 0) return s;
    ++i;
  }
}

void AllocationSites::allocated(uint64_t user, uint64_t call, const CallStack& stack) {
  if (entries_ == nullptr || user == 0) return;
  Site* s = slot_for(user);
  if (s->user == 0) {
    if (used_ >= kMaxUsed) {
      ++dropped_;
      return;
    }
    ++used_;
    s->user = user;
  }
  s->alloc_call = call;
  s->alloc = stack;
  s->free_call = 0;
  s->free.depth = 0;
}

void AllocationSites::freed(uint64_t user, uint64_t call, const CallStack& stack) {
  if (entries_ == nullptr || user == 0) return;
  Site* s = slot_for(user);
  if (s->user == 0) return;  // allocated before checking began, or not recorded
  s->free_call = call;
  s->free = stack;
}

const Site* AllocationSites::find(uint64_t user) const {
  if (entries_ == nullptr || user == 0) return nullptr;
  const Site* s = slot_for(user);
  return s->user == user ? s : nullptr;
}

}  // namespace heaptwin::preload
