#include "allocator/preload/allocation_sites.h"

#include <sys/mman.h>

namespace heaptwin::preload {

namespace {

// After the heap checker's reservation (0x7e0200000000, 3 GiB): the depot, then the tables. A
// table of B bytes goes at kTables + B, so generations never overlap.
constexpr uint64_t kDepotHint = 0x7e0400000000;
constexpr uint64_t kTables = 0x7e0500000000;
constexpr uint64_t kFirstCapacity = uint64_t{1} << 16;  // 2 MiB
constexpr uint64_t kMaxCapacity = uint64_t{1} << 30;    // 32 GiB: beyond, records are dropped

Site* map_table(uint64_t capacity) {
  const uint64_t bytes = capacity * sizeof(Site);
  void* p = mmap(reinterpret_cast<void*>(kTables + bytes), bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? nullptr : static_cast<Site*>(p);
}

uint64_t home(uint64_t user, uint64_t capacity) {
  return ((user >> 4) * 0x9e3779b97f4a7c15ull) >> (64 - __builtin_ctzll(capacity));
}

}  // namespace

bool AllocationSites::start() {
  if (!depot_.start(kDepotHint)) return false;
  entries_ = map_table(kFirstCapacity);
  if (entries_ == nullptr) return false;
  capacity_ = kFirstCapacity;
  return true;
}

Site* AllocationSites::slot_for(uint64_t user) const {
  for (uint64_t i = home(user, capacity_);; ++i) {
    Site* s = &entries_[i & (capacity_ - 1)];
    if (s->user == user || s->user == 0) return s;
  }
}

// Twice the capacity, every record moved over; the old table unmapped. False when out of memory.
bool AllocationSites::grow() {
  if (capacity_ >= kMaxCapacity) return false;
  Site* old = entries_;
  const uint64_t old_capacity = capacity_;
  Site* bigger = map_table(old_capacity * 2);
  if (bigger == nullptr) return false;
  entries_ = bigger;
  capacity_ = old_capacity * 2;
  for (uint64_t i = 0; i < old_capacity; ++i) {
    if (old[i].user != 0) *slot_for(old[i].user) = old[i];
  }
  munmap(old, old_capacity * sizeof(Site));
  return true;
}

void AllocationSites::allocated(uint64_t user, uint64_t call, const CallStack& stack) {
  if (entries_ == nullptr || user == 0) return;
  Site* s = slot_for(user);
  if (s->user == 0) {
    if (used_ + 1 > capacity_ / 4 * 3) {
      if (!grow()) return;
      s = slot_for(user);
    }
    ++used_;
    s->user = user;
  }
  s->alloc_call = call;
  s->alloc_stack = depot_.put(stack);
  s->free_call = 0;
  s->free_stack = 0;
}

void AllocationSites::freed(uint64_t user, uint64_t call, const CallStack& stack) {
  if (entries_ == nullptr || user == 0) return;
  Site* s = slot_for(user);
  if (s->user == 0) return;  // allocated before checking began, or not recorded
  s->free_call = call;
  s->free_stack = depot_.put(stack);
}

const Site* AllocationSites::find(uint64_t user) const {
  if (entries_ == nullptr || user == 0) return nullptr;
  const Site* s = slot_for(user);
  return s->user == user ? s : nullptr;
}

}  // namespace heaptwin::preload
