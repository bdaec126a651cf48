// glibc's free lists as ordered lists of (offset, size) records. Every list is kept in glibc's
// `fd` order: front() is what the list head points at.
//
//   tcache[i]   a stack of at most tcache_count chunks: put and get at the front.
//   fast[i]     a stack: put and get at the front.
//   unsorted    a FIFO: free and remainders put at the front; malloc's scan takes from the back.
//   small[i]    one size per bin: the scan puts at the front; malloc takes from the back.
//   large[i]    sorted by size, largest first; a chunk whose size is already present goes right
//               after the first chunk of that size (that one carries the nextsize links).
//   marked      glibc's binmap: a bin is marked when the scan puts a chunk in it and unmarked
//               only when the "next non-empty bin" search finds it empty. So a small or large
//               bin that is not marked is empty (clear() and trim skip those).
#ifndef HEAPTWIN_ORACLE_MODEL_BINS_H_
#define HEAPTWIN_ORACLE_MODEL_BINS_H_

#include <array>
#include <cstdint>
#include <vector>

#include "oracle/model/sizes.h"

namespace heaptwin::model {

struct Rec {
  uint64_t off = 0;
  uint64_t size = 0;
};
// A bin as a list from its head (front) to its tail (back). A vector, not a deque: the bins are
// short, and a default-constructed deque allocates, which the model pays 200 times per Program.
class List : public std::vector<Rec> {
 public:
  void push_front(Rec r) { insert(begin(), r); }
  void pop_front() { erase(begin()); }
};

// glibc's binmap as a set of bin indices: marked(i), and the first marked bin from i on.
class BinMap {
 public:
  void mark(int i) { words_[i / 64] |= bit(i); }
  void unmark(int i) { words_[i / 64] &= ~bit(i); }
  bool marked(int i) const { return (words_[i / 64] & bit(i)) != 0; }
  // The first marked bin >= from, or kNumBins when there is none.
  int first_marked_from(int from) const {
    for (int w = from / 64; w < kNumBins / 64; ++w) {
      uint64_t bits = words_[w];
      if (w == from / 64) bits &= ~uint64_t{0} << (from % 64);
      if (bits != 0) return w * 64 + __builtin_ctzll(bits);
    }
    return kNumBins;
  }
  void clear() { words_ = {}; }

 private:
  static uint64_t bit(int i) { return uint64_t{1} << (i % 64); }
  std::array<uint64_t, kNumBins / 64> words_{};
};

// Deliberate mistakes, so tests can show the differ catches a wrong policy.
enum class PlantedBug {
  kNone,
  kLargeBinEqualSizeFirst,  // a chunk of an existing size goes before the first of its size
  kLargeBinAscending,       // large bins kept smallest first
};

struct Bins {
  std::array<List, kNumTcacheBins> tcache;
  std::array<List, kNumFastbins> fast;
  std::array<List, kNumBins> bins;  // bins[1] unsorted, 2..63 small, 64..126 large
  BinMap marked;
  PlantedBug bug = PlantedBug::kNone;

  // Every list empty and no bin marked (the lists keep their memory for the next Program).
  void clear();

  List& unsorted() { return bins[1]; }
  const List& unsorted() const { return bins[1]; }

  // Puts a chunk into small or large bin `idx` the way the unsorted scan does, and marks it.
  void place(int idx, Rec r);
  // Removes the chunk at `off` from bin `idx` (unlink_chunk).
  void remove(int idx, uint64_t off);
  // Large request best fit in large bin `idx`: the position of the chunk glibc takes, or -1.
  int best_fit(int idx, uint64_t nb) const;
};

}  // namespace heaptwin::model

#endif  // HEAPTWIN_ORACLE_MODEL_BINS_H_
