#include "allocator/preload/stack_depot.h"

#include <sys/mman.h>

#include <cstring>

namespace heaptwin::preload {

namespace {

constexpr uint64_t kCapacity = uint64_t{1} << 16;  // distinct stacks; ~5 MiB of address space
constexpr uint64_t kMaxUsed = kCapacity / 4 * 3;

uint64_t hash_of(const CallStack& s) {
  uint64_t h = 0xcbf29ce484222325ull ^ s.depth;
  for (uint32_t i = 0; i < s.depth; ++i) h = (h ^ s.pcs[i]) * 0x100000001b3ull;
  h ^= h >> 29;
  return h == 0 ? 1 : h;
}

bool same(const CallStack& a, const CallStack& b) {
  return a.depth == b.depth && std::memcmp(a.pcs, b.pcs, a.depth * sizeof a.pcs[0]) == 0;
}

}  // namespace

bool StackDepot::start(uint64_t hint) {
  void* p = mmap(reinterpret_cast<void*>(hint), kCapacity * sizeof(Entry), PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return false;
  entries_ = static_cast<Entry*>(p);
  return true;
}

uint32_t StackDepot::put(const CallStack& stack) {
  if (entries_ == nullptr || stack.depth == 0) return 0;
  if (last_id_ != 0 && same(last_, stack)) return last_id_;
  const uint32_t id = find_or_add(stack);
  if (id != 0) {
    last_ = stack;
    last_id_ = id;
  }
  return id;
}

uint32_t StackDepot::find_or_add(const CallStack& stack) {
  const uint64_t h = hash_of(stack);
  for (uint64_t i = h;; ++i) {
    Entry& e = entries_[i & (kCapacity - 1)];
    if (e.hash == h && same(e.stack, stack))
      return static_cast<uint32_t>((i & (kCapacity - 1)) + 1);
    if (e.hash != 0) continue;
    if (used_ >= kMaxUsed) return 0;
    ++used_;
    e.hash = h;
    e.stack = stack;
    return static_cast<uint32_t>((i & (kCapacity - 1)) + 1);
  }
}

const CallStack* StackDepot::get(uint32_t id) const {
  if (entries_ == nullptr || id == 0 || id > kCapacity) return nullptr;
  return &entries_[id - 1].stack;
}

}  // namespace heaptwin::preload
