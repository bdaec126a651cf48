#include "oracle/check/node_table.h"

namespace heaptwin::check {

namespace {
constexpr uint64_t kFirstCapacity = 256;
}

bool NodeTable::init(Region* region, uint64_t max_nodes) {
  region_ = region;
  max_nodes_ = max_nodes;
  capacity_ = kFirstCapacity;
  shift_ = 64 - __builtin_ctzll(capacity_);
  slots_ = static_cast<Node*>(region->take(capacity_ * sizeof(Node)));
  size_ = 0;
  return slots_ != nullptr;
}

void NodeTable::reset() {
  ++gen_;
  if (gen_ == 0) {  // wrapped: clear for real
    for (uint64_t i = 0; i < capacity_; ++i) slots_[i].gen = 0;
    gen_ = 1;
  }
  size_ = 0;
}

Node* NodeTable::insert(uint64_t addr) {
  if (Node* n = find(addr)) return n;
  if ((size_ + 1) * 2 > capacity_ && !grow()) return nullptr;
  uint64_t i = slot_of(addr);
  while (live(slots_[i])) i = (i + 1) & (capacity_ - 1);
  Node& n = slots_[i];
  n = Node{};
  n.addr = addr;
  n.gen = gen_;
  ++size_;
  return &n;
}

void NodeTable::erase(uint64_t addr) {
  uint64_t i = slot_of(addr);
  for (;;) {
    if (!live(slots_[i])) return;
    if (slots_[i].addr == addr) break;
    i = (i + 1) & (capacity_ - 1);
  }
  // Backward-shift deletion: no tombstones, so lookups stay short.
  uint64_t hole = i;
  uint64_t j = i;
  for (;;) {
    j = (j + 1) & (capacity_ - 1);
    if (!live(slots_[j])) break;
    const uint64_t home = slot_of(slots_[j].addr);
    // Move j into the hole unless its home lies cyclically in (hole, j].
    const bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
    if (!stays) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole].gen = gen_ - 1;
  --size_;
}

bool NodeTable::grow() {
  if (capacity_ * 2 > max_nodes_ * 2) return false;
  Node* old = slots_;
  const uint64_t old_capacity = capacity_;
  Node* fresh = static_cast<Node*>(region_->take(old_capacity * 2 * sizeof(Node)));
  if (fresh == nullptr) return false;
  slots_ = fresh;
  capacity_ = old_capacity * 2;
  shift_ = 64 - __builtin_ctzll(capacity_);
  // Fresh pages are zero: generation 0 is never live.
  const uint32_t gen = gen_;
  for (uint64_t i = 0; i < old_capacity; ++i) {
    if (old[i].gen != gen) continue;
    uint64_t s = slot_of(old[i].addr);
    while (slots_[s].gen == gen) s = (s + 1) & (capacity_ - 1);
    slots_[s] = old[i];
  }
  Region::discard(old, old_capacity * sizeof(Node));
  return true;
}

}  // namespace heaptwin::check
