// Small hash sets and maps of chunk addresses for one op's check, in storage taken once from a
// Region. Each starts empty at the size the op needs (clearing only that much), and doubles when
// it fills. Address 0 is never a key.
#ifndef HEAPTWIN_ORACLE_CHECK_OP_SETS_H_
#define HEAPTWIN_ORACLE_CHECK_OP_SETS_H_

#include <cstdint>
#include <cstring>

#include "oracle/check/region.h"

namespace heaptwin::check {

// addr -> value (a set when the values are unused), for one op at a time. begin() empties it in
// O(1): each key word carries the generation it was written in (addresses fit 48 bits), and an
// entry of an older generation is an empty slot. It doubles when it fills.
class AddrMap {
 public:
  // `storage` (2 words per slot) bounds how far the map can grow; taken once.
  void init(Array<uint64_t>* storage) {
    storage_ = storage;
    storage_->resize(storage_->capacity());
    cap_ = 0;
    used_ = 0;
    gen_ = 0;
  }
  void begin(uint64_t expected) {
    if (++gen_ == kGenerations) {  // wrapped: clear what was ever used
      std::memset(storage_->begin(), 0, 2 * used_ * 8);
      gen_ = 1;
    }
    cap_ = 16;
    while (cap_ < 2 * expected && cap_ * 8 <= storage_->capacity()) cap_ *= 2;
    if (cap_ > used_) used_ = cap_;
    size_ = 0;
    failed_ = false;
  }
  // A put that found the storage exhausted (and did nothing) since begin().
  bool failed() const { return failed_; }
  // Sets addr's value; false when the map is full (its storage exhausted).
  bool put(uint64_t addr, uint64_t value) {
    uint64_t* s = slot(addr);
    if (live(s[0]) && key(s[0]) == addr) {
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
    s[0] = tag(addr);
    s[1] = value;
    ++size_;
    return true;
  }
  // True (and *value) when addr is in the map.
  bool get(uint64_t addr, uint64_t* value = nullptr) const {
    const uint64_t* s = slot(addr);
    if (!live(s[0])) return false;
    if (value) *value = s[1];
    return true;
  }
  // Adds addr; true when it was not there yet (false too when the map is full: failed()).
  // One probe, not get()'s and put()'s.
  bool insert(uint64_t addr) {
    uint64_t* s = slot(addr);
    if (live(s[0])) return false;  // slot() stops at addr's entry or an empty slot
    if ((size_ + 1) * 2 > cap_) return put(addr, 0);
    s[0] = tag(addr);
    s[1] = 0;
    ++size_;
    return true;
  }
  uint64_t size() const { return size_; }

 private:
  static constexpr uint64_t kGenerations = uint64_t{1} << 16;
  static constexpr uint64_t kKeyMask = (uint64_t{1} << 48) - 1;
  uint64_t tag(uint64_t addr) const { return (gen_ << 48) | addr; }
  bool live(uint64_t word) const { return (word >> 48) == gen_; }
  static uint64_t key(uint64_t word) { return word & kKeyMask; }
  // addr's slot, or the empty one where it would go.
  uint64_t* slot(uint64_t addr) const {
    uint64_t i = ((addr >> 4) * 0x9e3779b97f4a7c15ull) & (cap_ - 1);
    uint64_t* d = storage_->begin();
    while (live(d[2 * i]) && key(d[2 * i]) != addr) i = (i + 1) & (cap_ - 1);
    return d + 2 * i;
  }
  // Out of line: rare (begin() sizes the map for the op), and inlined it made put() too large to
  // inline itself.
  __attribute__((noinline, cold)) bool grow() {
    if (cap_ * 8 > storage_->capacity()) return false;
    // Move the live pairs beyond the doubled table, then reinsert them into it (a new
    // generation, so the doubled table starts empty).
    const uint64_t old_cap = cap_;
    uint64_t* d = storage_->begin();
    uint64_t* moved = d + 2 * (2 * old_cap);
    uint64_t n = 0;
    for (uint64_t i = 0; i < old_cap; ++i) {
      if (live(d[2 * i])) {
        moved[2 * n] = key(d[2 * i]);
        moved[2 * n + 1] = d[2 * i + 1];
        ++n;
      }
    }
    if (++gen_ == kGenerations) {
      std::memset(d, 0, 2 * used_ * 8);
      gen_ = 1;
    }
    cap_ = old_cap * 2;
    if (cap_ + n > used_) used_ = cap_ + n;
    for (uint64_t k = 0; k < n; ++k) {
      uint64_t* s = slot(moved[2 * k]);
      s[0] = tag(moved[2 * k]);
      s[1] = moved[2 * k + 1];
    }
    return true;
  }

  Array<uint64_t>* storage_ = nullptr;
  uint64_t cap_ = 0;
  uint64_t used_ = 0;  // slots written in some generation: what a wrap must clear
  uint64_t gen_ = 0;
  uint64_t size_ = 0;
  bool failed_ = false;
};

void sort_u64_of(uint64_t* v, uint64_t n);
void sort_pairs_by_signed_first_of(uint64_t* v, uint64_t n);

// Sorts v[0..n) ascending (no recursion, no allocation). Inline for the one or no entry of most
// ops' lists.
inline void sort_u64(uint64_t* v, uint64_t n) {
  if (n > 1) sort_u64_of(v, n);
}
// Sorts n (key, value) pairs by key read as int64_t.
inline void sort_pairs_by_signed_first(uint64_t* v, uint64_t n) {
  if (n > 1) sort_pairs_by_signed_first_of(v, n);
}

}  // namespace heaptwin::check

#endif  // HEAPTWIN_ORACLE_CHECK_OP_SETS_H_
