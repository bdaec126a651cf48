// Small hash sets and maps of chunk addresses for one op's check, in storage taken once from a
// Region. Each starts empty at the size the op needs (clearing only that much), and doubles when
// it fills. Address 0 is never a key.
#ifndef HEAPTWIN_ORACLE_CHECK_OP_SETS_H_
#define HEAPTWIN_ORACLE_CHECK_OP_SETS_H_

#include <cstdint>
#include <cstring>

#include "oracle/check/region.h"

namespace heaptwin::check {

// addr -> value (a set when the values are unused).
class AddrMap {
 public:
  // `storage` holds 2 words per slot; its capacity bounds how far the map can grow.
  void begin(Array<uint64_t>* storage, uint64_t expected) {
    storage_ = storage;
    cap_ = 8;
    while (cap_ < 2 * expected && cap_ * 4 <= storage->capacity()) cap_ *= 2;
    storage_->resize(2 * cap_);
    std::memset(storage_->begin(), 0, 2 * cap_ * 8);
    size_ = 0;
    failed_ = false;
  }
  // A put that found the storage exhausted (and did nothing) since begin().
  bool failed() const { return failed_; }
  // Sets addr's value; false when the map is full (its storage exhausted).
  bool put(uint64_t addr, uint64_t value) {
    uint64_t* s = slot(addr);
    if (s[0] == addr) {
      s[1] = value;
      return true;
    }
    if ((size_ + 1) * 2 > cap_) {
      if (!grow()) {
        failed_ = true;
        return false;
      }
      s = slot(addr);
    }
    s[0] = addr;
    s[1] = value;
    ++size_;
    return true;
  }
  // True (and *value) when addr is in the map.
  bool get(uint64_t addr, uint64_t* value = nullptr) const {
    const uint64_t* s = slot(addr);
    if (s[0] != addr) return false;
    if (value) *value = s[1];
    return true;
  }
  // Adds addr; true when it was not there yet.
  bool insert(uint64_t addr) {
    if (get(addr)) return false;
    return put(addr, 0);
  }
  uint64_t size() const { return size_; }

 private:
  uint64_t* slot(uint64_t addr) const {
    uint64_t i = ((addr >> 4) * 0x9e3779b97f4a7c15ull) & (cap_ - 1);
    uint64_t* d = storage_->begin();
    while (d[2 * i] != 0 && d[2 * i] != addr) i = (i + 1) & (cap_ - 1);
    return d + 2 * i;
  }
  bool grow() {
    if (cap_ * 8 > storage_->capacity()) return false;
    // Move the live pairs to the top half, then reinsert them into the doubled table.
    const uint64_t old_cap = cap_;
    uint64_t* d = storage_->begin();
    uint64_t* moved = d + 2 * (2 * old_cap);  // beyond the doubled table (capacity >= 8 * old_cap)
    uint64_t n = 0;
    for (uint64_t i = 0; i < old_cap; ++i) {
      if (d[2 * i] != 0) {
        moved[2 * n] = d[2 * i];
        moved[2 * n + 1] = d[2 * i + 1];
        ++n;
      }
    }
    cap_ = old_cap * 2;
    storage_->resize(2 * (2 * old_cap) + 2 * n);
    std::memset(d, 0, 2 * cap_ * 8);
    for (uint64_t k = 0; k < n; ++k) {
      uint64_t* s = slot(moved[2 * k]);
      s[0] = moved[2 * k];
      s[1] = moved[2 * k + 1];
    }
    return true;
  }

  Array<uint64_t>* storage_ = nullptr;
  uint64_t cap_ = 0;
  uint64_t size_ = 0;
  bool failed_ = false;
};

// Sorts v[0..n) ascending (heapsort: no recursion, no allocation).
void sort_u64(uint64_t* v, uint64_t n);
// Sorts n (key, value) pairs by key read as int64_t.
void sort_pairs_by_signed_first(uint64_t* v, uint64_t n);

}  // namespace heaptwin::check

#endif  // HEAPTWIN_ORACLE_CHECK_OP_SETS_H_
