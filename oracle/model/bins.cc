#include "oracle/model/bins.h"

#include "oracle/model/unmodelled.h"

namespace heaptwin::model {

void Bins::clear() {
  for (List& l : tcache) l.clear();
  for (List& l : fast) l.clear();
  unsorted().clear();
  // A small or large bin holds chunks only while it is marked (place() marks it; only the search
  // for a non-empty bin unmarks it, and only once it is empty): the others are empty already.
  for (int i = marked.first_marked_from(2); i < kNumBins; i = marked.first_marked_from(i + 1)) {
    bins[i].clear();
  }
  marked.clear();
}

void Bins::place(int idx, Rec r) {
  marked.mark(idx);
  List& b = bins[idx];
  if (in_smallbin_range(r.size)) {
    b.push_front(r);
    return;
  }
  if (bug == PlantedBug::kLargeBinAscending) {
    size_t p = 0;
    while (p < b.size() && b[p].size < r.size) ++p;
    b.insert(b.begin() + static_cast<long>(p), r);
    return;
  }
  // Walk past every chunk bigger than r. An equal size exists: go after its first chunk.
  size_t p = 0;
  while (p < b.size() && b[p].size > r.size) ++p;
  if (p < b.size() && b[p].size == r.size && bug != PlantedBug::kLargeBinEqualSizeFirst) ++p;
  b.insert(b.begin() + static_cast<long>(p), r);
}

void Bins::remove(int idx, uint64_t off) {
  List& b = bins[idx];
  for (auto it = b.begin(); it != b.end(); ++it) {
    if (it->off == off) {
      b.erase(it);
      return;
    }
  }
  throw Unmodelled{"model bug: chunk not found in its bin"};
}

int Bins::best_fit(int idx, uint64_t nb) const {
  const List& b = bins[idx];
  if (b.empty() || b.front().size < nb) return -1;
  // The smallest size that fits; glibc reaches it walking the nextsize list up from the smallest.
  int p = static_cast<int>(b.size()) - 1;
  while (b[p].size < nb) --p;
  while (p > 0 && b[p - 1].size == b[p].size) --p;  // the first chunk of that size
  // Taking the second chunk of a size spares relinking the nextsize list.
  if (p + 1 < static_cast<int>(b.size()) && b[p + 1].size == b[p].size) ++p;
  return p;
}

}  // namespace heaptwin::model
