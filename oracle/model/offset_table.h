// A hash table from chunk offsets to records: the heap map looks a chunk up by its offset several
// times per op, and a lookup here is a multiply and one or two probes.
//
// Open addressing with linear probing, at most half full, erase by shifting the entries behind
// back (no tombstones). Every slot carries the generation it was written in, so clear() is a new
// generation instead of a pass over the table: a model side runs thousands of Programs on one
// table.
#ifndef HEAPTWIN_ORACLE_MODEL_OFFSET_TABLE_H_
#define HEAPTWIN_ORACLE_MODEL_OFFSET_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace heaptwin::model {

template <class V>
class OffsetTable {
 public:
  size_t size() const { return size_; }

  void clear() {
    size_ = 0;
    if (++generation_ == 0) {  // wrapped: old slots could look current again
      for (Slot& s : slots_) s.generation = 0;
      generation_ = 1;
    }
  }

  V* find(uint64_t key) {
    if (slots_.empty()) return nullptr;
    for (size_t i = home(key);; i = next(i)) {
      Slot& s = slots_[i];
      if (!used(s)) return nullptr;
      if (s.key == key) return &s.value;
    }
  }
  const V* find(uint64_t key) const { return const_cast<OffsetTable*>(this)->find(key); }

  // Sets `key` to `value`, inserting it when absent; returns the value in the table.
  V& insert_or_assign(uint64_t key, const V& value) {
    if (2 * (size_ + 1) > slots_.size()) grow();
    size_t i = home(key);
    while (used(slots_[i]) && slots_[i].key != key) i = next(i);
    Slot& s = slots_[i];
    if (!used(s)) ++size_;
    s = Slot{key, generation_, value};
    return s.value;
  }

  // Removes `key`; false when it was absent.
  bool erase(uint64_t key) {
    if (slots_.empty()) return false;
    size_t hole = home(key);
    while (true) {
      if (!used(slots_[hole])) return false;
      if (slots_[hole].key == key) break;
      hole = next(hole);
    }
    // Entries after the hole whose probe passed over it move into it, until an empty slot.
    for (size_t j = next(hole); used(slots_[j]); j = next(j)) {
      const size_t h = home(slots_[j].key);
      const bool passes_hole = ((j - h) & mask()) >= ((j - hole) & mask());
      if (passes_hole) {
        slots_[hole] = slots_[j];
        hole = j;
      }
    }
    slots_[hole].generation = 0;
    --size_;
    return true;
  }

 private:
  struct Slot {
    uint64_t key;
    uint32_t generation;  // current: in use
    V value;
  };
  static constexpr size_t kFirstCapacity = 64;

  bool used(const Slot& s) const { return s.generation == generation_; }
  size_t mask() const { return slots_.size() - 1; }
  size_t next(size_t i) const { return (i + 1) & mask(); }
  // Chunk offsets are multiples of 16: the multiply spreads the bits above those.
  size_t home(uint64_t key) const {
    return static_cast<size_t>(((key >> 4) * 0x9e3779b97f4a7c15ull) >> shift_);
  }

  void grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    const uint32_t old_generation = generation_;
    const size_t capacity = old.empty() ? kFirstCapacity : 2 * old.size();
    slots_.assign(capacity, Slot{0, 0, V{}});
    shift_ = 64;
    for (size_t c = capacity; c > 1; c >>= 1) --shift_;
    generation_ = 1;
    size_ = 0;
    for (const Slot& s : old) {
      if (s.generation == old_generation) insert_or_assign(s.key, s.value);
    }
  }

  std::vector<Slot> slots_;  // a power of two of them, or none
  uint32_t generation_ = 1;
  int shift_ = 64;  // 64 - log2(capacity)
  size_t size_ = 0;
};

}  // namespace heaptwin::model

#endif  // HEAPTWIN_ORACLE_MODEL_OFFSET_TABLE_H_
