// An ordered map from 64-bit keys (heap offsets, addresses) to small values, for the structures
// that are touched after every op: the model's live blocks and mappings, the twin's block rules.
// What they need is a lookup by key and the neighbours of a key (the block below, the first
// block at or above), on sets of a few dozen entries in a fuzz input and a few thousand in a
// long trace.
//
// A std::map costs a heap allocation and a rebalancing per insert. This keeps the entries in
// sorted runs of at most kMaxRun contiguous entries (a one-level B-tree): a small map is one
// sorted vector (a binary search and a short memmove, no allocation once warm); a big one costs
// two binary searches and a move of at most kMaxRun entries (and, when a run splits or empties,
// of the list of runs, n / kMaxRun long). An empty map owns no memory; clear() keeps what it
// has, so a map reused across Programs allocates nothing.
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
  // smallest key at or above it; nullptr where there is none. It also remembers where the key
  // goes, for insert_at().
  struct Around {
    const Entry* below;
    const Entry* at_or_above;
    size_t run, pos;
  };

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void clear() {
    if (runs_.size() > 1) runs_.resize(1);
    if (!runs_.empty()) runs_[0].clear();
    size_ = 0;
  }

  V* find(uint64_t key) {
    if (runs_.empty()) return nullptr;
    Run& run = runs_[run_of(key)];
    auto it = lower_bound(run, key);
    return it != run.end() && it->key == key ? &it->value : nullptr;
  }
  const V* find(uint64_t key) const { return const_cast<OffsetMap*>(this)->find(key); }

  // Sets `key` to `value`, inserting it when absent (std::map's operator[] and assignment), and
  // returns the value in the map.
  V& insert_or_assign(uint64_t key, const V& value) {
    if (runs_.empty()) runs_.emplace_back();
    const size_t r = run_of(key);
    Run& run = runs_[r];
    auto it = lower_bound(run, key);
    if (it != run.end() && it->key == key) return it->value = value;
    return insert_into(r, static_cast<size_t>(it - run.begin()), key, value);
  }

  // Inserts `key`, which around(key) just found absent (at_or_above is not `key`), with no
  // change to the map since: the search is not done twice.
  V& insert_at(const Around& where, uint64_t key, const V& value) {
    if (runs_.empty()) runs_.emplace_back();
    return insert_into(where.run, where.pos, key, value);
  }

  // Removes `key`; false when it was absent.
  bool erase(uint64_t key) {
    if (runs_.empty()) return false;
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
    Around a{nullptr, nullptr, 0, 0};
    if (runs_.empty()) return a;
    const size_t r = run_of(key);
    const Run& run = runs_[r];
    auto it = lower_bound(run, key);
    a.run = r;
    a.pos = static_cast<size_t>(it - run.begin());
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

  // Puts a new entry at position `pos` of run `r`, splitting the run when it is full.
  V& insert_into(size_t r, size_t pos, uint64_t key, const V& value) {
    Run& run = runs_[r];
    run.insert(run.begin() + static_cast<std::ptrdiff_t>(pos), Entry{key, value});
    ++size_;
    if (run.size() <= kMaxRun) return run[pos].value;
    // Split the full run in two halves; `run` is invalid once runs_ grows.
    Run upper(run.begin() + kMaxRun / 2, run.end());
    run.resize(kMaxRun / 2);
    runs_.insert(runs_.begin() + static_cast<std::ptrdiff_t>(r + 1), std::move(upper));
    return pos < kMaxRun / 2 ? runs_[r][pos].value : runs_[r + 1][pos - kMaxRun / 2].value;
  }

  // The run that holds `key`, or would: the last run starting at or below it (the first run
  // for keys below every run). At least one run exists; every run but a lone one is non-empty.
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

  std::vector<Run> runs_;  // in key order, every entry once; none until the first insert
  size_t size_ = 0;
};

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_OFFSET_MAP_H_
