// An ordered map from 64-bit keys (heap offsets, addresses) to small values, for the structures
// that are touched after every op: the model's chunk records and live blocks, the twin's block
// rules. What they need is a lookup by key and the neighbours of a key (the block below, the
// first block at or above), on sets of a few dozen entries in a fuzz input and a few thousand in
// a long trace.
//
// A std::map costs a heap allocation and a rebalancing per insert. This keeps the entries in
// sorted runs of at most kMaxRun contiguous entries (a one-level B-tree): a small map is one
// sorted vector (a binary search and a short memmove, no allocation once warm), a big one stays
// O(log n + kMaxRun) per operation. clear() keeps the memory, so a map reused across Programs
// allocates nothing.
//
// References and pointers to values are valid until the next insert or erase.
#ifndef HEAPTWIN_ORACLE_OFFSET_MAP_H_
#define HEAPTWIN_ORACLE_OFFSET_MAP_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace heaptwin {

template <class V>
class OffsetMap {
 public:
  struct Entry {
    uint64_t key;
    V value;
  };
  // The neighbours of a key: the entry with the largest key below it, and the entry with the
  // smallest key at or above it; nullptr where there is none.
  struct Around {
    const Entry* below;
    const Entry* at_or_above;
  };

  OffsetMap() : runs_(1) {}

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void clear() {
    runs_.resize(1);
    runs_[0].clear();
    size_ = 0;
  }

  V* find(uint64_t key) {
    Run& run = runs_[run_of(key)];
    auto it = lower_bound(run, key);
    return it != run.end() && it->key == key ? &it->value : nullptr;
  }
  const V* find(uint64_t key) const { return const_cast<OffsetMap*>(this)->find(key); }

  // Inserts `key` (which must be absent) and returns its value.
  V& insert(uint64_t key, const V& value) {
    const size_t r = run_of(key);
    Run& run = runs_[r];
    const size_t pos = static_cast<size_t>(lower_bound(run, key) - run.begin());
    run.insert(run.begin() + static_cast<std::ptrdiff_t>(pos), Entry{key, value});
    ++size_;
    if (run.size() <= kMaxRun) return run[pos].value;
    // Split the full run in two halves; `run` is invalid once runs_ grows.
    Run upper(run.begin() + kMaxRun / 2, run.end());
    run.resize(kMaxRun / 2);
    runs_.insert(runs_.begin() + static_cast<std::ptrdiff_t>(r + 1), std::move(upper));
    return pos < kMaxRun / 2 ? runs_[r][pos].value : runs_[r + 1][pos - kMaxRun / 2].value;
  }

  // Sets `key` to `value`, inserting it when absent (std::map's operator[] and assignment).
  V& insert_or_assign(uint64_t key, const V& value) {
    if (V* v = find(key)) return *v = value;
    return insert(key, value);
  }

  // Removes `key`; false when it was absent.
  bool erase(uint64_t key) {
    const size_t r = run_of(key);
    Run& run = runs_[r];
    auto it = lower_bound(run, key);
    if (it == run.end() || it->key != key) return false;
    run.erase(it);
    --size_;
    if (runs_.size() > 1 && run.size() < kMaxRun / 4) merge_small(r);
    return true;
  }

  Around around(uint64_t key) const {
    const size_t r = run_of(key);
    const Run& run = runs_[r];
    auto it = lower_bound(run, key);
    Around a{nullptr, nullptr};
    if (it != run.begin()) {
      a.below = &*(it - 1);
    } else if (r > 0) {
      a.below = &runs_[r - 1].back();
    }
    if (it != run.end()) {
      a.at_or_above = &*it;
    } else if (r + 1 < runs_.size()) {
      a.at_or_above = &runs_[r + 1].front();
    }
    return a;
  }

  // Calls f(key, value) for every entry in key order.
  template <class F>
  void for_each(F f) const {
    for (const Run& run : runs_) {
      for (const Entry& e : run) f(e.key, e.value);
    }
  }

 private:
  using Run = std::vector<Entry>;
  static constexpr size_t kMaxRun = 128;

  static typename Run::iterator lower_bound(Run& run, uint64_t key) {
    return std::lower_bound(run.begin(), run.end(), key,
                            [](const Entry& e, uint64_t k) { return e.key < k; });
  }
  static typename Run::const_iterator lower_bound(const Run& run, uint64_t key) {
    return std::lower_bound(run.begin(), run.end(), key,
                            [](const Entry& e, uint64_t k) { return e.key < k; });
  }

  // The run that holds `key`, or would: the last run starting at or below it (the first run
  // for keys below every run). Every run but a lone one is non-empty.
  size_t run_of(uint64_t key) const {
    if (runs_.size() == 1) return 0;
    auto it = std::upper_bound(runs_.begin() + 1, runs_.end(), key,
                               [](uint64_t k, const Run& run) { return k < run.front().key; });
    return static_cast<size_t>(it - runs_.begin()) - 1;
  }

  // Run r fell below a quarter: joins it with a neighbour when both fit in half a run (so that
  // erasing never leaves many tiny runs), and drops it when it is empty.
  void merge_small(size_t r) {
    const size_t other = r + 1 < runs_.size() ? r + 1 : r - 1;
    const size_t lo = std::min(r, other), hi = std::max(r, other);
    if (runs_[lo].size() + runs_[hi].size() > kMaxRun / 2) {
      if (runs_[r].empty()) runs_.erase(runs_.begin() + static_cast<std::ptrdiff_t>(r));
      return;
    }
    runs_[lo].insert(runs_[lo].end(), runs_[hi].begin(), runs_[hi].end());
    runs_.erase(runs_.begin() + static_cast<std::ptrdiff_t>(hi));
  }

  std::vector<Run> runs_;  // in key order; together, every entry once
  size_t size_ = 0;
};

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_OFFSET_MAP_H_
