#include "allocator/preload/pointer_table.h"

#include <sys/mman.h>

#include <cstring>

namespace heaptwin::preload {

namespace {

// The regions, above the library (0x7e0000000000) and far below where the mmap area starts
// (0x7fxxxxxxxxxx, or 0x7effxxxxxxxx at the lowest with randomisation): the table's generations
// end below kTableRegion + 2 * 16 * 2^kMaxTableBits, where the slot stack's region starts.
constexpr uint64_t kMaxTableBits = 32;  // 2^31 live pointers at half load
constexpr uintptr_t kTableRegion = 0x7e0100000000;
constexpr uintptr_t kSlotRegion = kTableRegion + (uintptr_t{32} << kMaxTableBits);
constexpr uint64_t kFirstTableBits = 12;    // 4096 entries, 64 KiB
constexpr uint64_t kFirstSlotStack = 4096;  // 16 KiB
// Slot numbers stop below 2^32 - 1: the .heap format's SlotId is 32 bits and keeps one value.
constexpr uint64_t kMaxSlot = 0xfffffffe;

constexpr uint64_t kFibonacci = 0x9e3779b97f4a7c15ull;

// A fresh block of `bytes` (zero-filled) at region + bytes, or nullptr.
void* map_block(uintptr_t region, uint64_t bytes) {
  void* p = mmap(reinterpret_cast<void*>(region + bytes), bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

void unmap_block(void* p, uint64_t bytes) {
  if (p != nullptr) munmap(p, bytes);
}

}  // namespace

// Fibonacci hashing: the product's top bits depend on every bit of the address, so pointers that
// share their low bits (mmapped chunks all sit at page offset 0x10) still spread.
uint64_t PointerTable::home(uint64_t addr) const { return ((addr >> 4) * kFibonacci) >> shift_; }

void PointerTable::place(uint64_t addr, uint64_t slot) {
  const uint64_t mask = capacity_ - 1;
  uint64_t i = home(addr);
  while (entries_[i].addr != 0) i = (i + 1) & mask;
  entries_[i].addr = addr;
  entries_[i].slot = slot;
}

bool PointerTable::grow() {
  const uint64_t bits = capacity_ == 0 ? kFirstTableBits : 64 - shift_ + 1;
  if (bits > kMaxTableBits) return false;
  const uint64_t capacity = uint64_t{1} << bits;
  auto* fresh = static_cast<Entry*>(map_block(kTableRegion, capacity * sizeof(Entry)));
  if (fresh == nullptr) return false;
  Entry* old = entries_;
  const uint64_t old_capacity = capacity_;
  entries_ = fresh;
  capacity_ = capacity;
  shift_ = static_cast<uint32_t>(64 - bits);
  for (uint64_t i = 0; i < old_capacity; ++i) {
    if (old[i].addr != 0) place(old[i].addr, old[i].slot);
  }
  unmap_block(old, old_capacity * sizeof(Entry));
  return true;
}

bool PointerTable::insert(uint64_t addr, uint64_t slot) {
  if ((live_ + 1) * 2 > capacity_ && !grow()) return false;
  place(addr, slot);
  ++live_;
  return true;
}

bool PointerTable::lookup(uint64_t addr, uint64_t* slot, bool remove) {
  if (capacity_ == 0 || addr == 0) return false;
  const uint64_t mask = capacity_ - 1;
  uint64_t i = home(addr);
  while (entries_[i].addr != addr) {
    if (entries_[i].addr == 0) return false;
    i = (i + 1) & mask;
  }
  if (slot) *slot = entries_[i].slot;
  if (!remove) return true;
  --live_;
  uint64_t hole = i;
  for (uint64_t j = (i + 1) & mask; entries_[j].addr != 0; j = (j + 1) & mask) {
    uint64_t h = home(entries_[j].addr);
    // Move j into the hole unless its home lies cyclically in (hole, j].
    bool stays = hole <= j ? (h > hole && h <= j) : (h > hole || h <= j);
    if (!stays) {
      entries_[hole] = entries_[j];
      hole = j;
    }
  }
  entries_[hole].addr = 0;
  return true;
}

uint64_t SlotPool::take() {
  if (free_count_ > 0) return free_[--free_count_];
  if (next_ >= kMaxSlot) return 0;
  return ++next_;
}

bool SlotPool::release(uint64_t slot) {
  if (free_count_ == free_capacity_) {
    uint64_t capacity = free_capacity_ == 0 ? kFirstSlotStack : free_capacity_ * 2;
    auto* fresh = static_cast<uint32_t*>(map_block(kSlotRegion, capacity * sizeof(uint32_t)));
    if (fresh == nullptr) return false;
    if (free_count_ > 0) std::memcpy(fresh, free_, free_count_ * sizeof(uint32_t));
    unmap_block(free_, free_capacity_ * sizeof(uint32_t));
    free_ = fresh;
    free_capacity_ = capacity;
  }
  free_[free_count_++] = static_cast<uint32_t>(slot);
  return true;
}

}  // namespace heaptwin::preload
