#include "oracle/check/op_sets.h"

namespace heaptwin::check {

namespace {

// Sorts of n records of `words` words each, by their first word (as unsigned or signed).
template <bool kSigned>
bool less(uint64_t a, uint64_t b) {
  return kSigned ? static_cast<int64_t>(a) < static_cast<int64_t>(b) : a < b;
}

template <bool kSigned>
void sift(uint64_t* v, uint64_t words, uint64_t start, uint64_t n) {
  uint64_t root = start;
  for (;;) {
    uint64_t child = 2 * root + 1;
    if (child >= n) return;
    if (child + 1 < n && less<kSigned>(v[child * words], v[(child + 1) * words])) ++child;
    if (!less<kSigned>(v[root * words], v[child * words])) return;
    for (uint64_t k = 0; k < words; ++k) {
      const uint64_t t = v[root * words + k];
      v[root * words + k] = v[child * words + k];
      v[child * words + k] = t;
    }
    root = child;
  }
}

// Insertion sort: an op's lists are a handful of entries, where heapsort's sifting cost 5x more.
template <bool kSigned>
void insertion_sort(uint64_t* v, uint64_t words, uint64_t n) {
  for (uint64_t i = 1; i < n; ++i) {
    uint64_t rec[2];
    for (uint64_t k = 0; k < words; ++k) rec[k] = v[i * words + k];
    uint64_t j = i;
    for (; j > 0 && less<kSigned>(rec[0], v[(j - 1) * words]); --j) {
      for (uint64_t k = 0; k < words; ++k) v[j * words + k] = v[(j - 1) * words + k];
    }
    for (uint64_t k = 0; k < words; ++k) v[j * words + k] = rec[k];
  }
}

template <bool kSigned>
void heapsort(uint64_t* v, uint64_t words, uint64_t n) {
  if (n <= 24) {
    insertion_sort<kSigned>(v, words, n);
    return;
  }
  for (uint64_t i = n / 2; i-- > 0;) sift<kSigned>(v, words, i, n);
  for (uint64_t end = n - 1; end > 0; --end) {
    for (uint64_t k = 0; k < words; ++k) {
      const uint64_t t = v[k];
      v[k] = v[end * words + k];
      v[end * words + k] = t;
    }
    sift<kSigned>(v, words, 0, end);
  }
}

}  // namespace

// Insertion sort for the short logs of most ops; shellsort (Ciura's gaps, extended by x2.25)
// for the long ones, which arrive in runs already ascending.
void sort_u64_of(uint64_t* v, uint64_t n) {
  if (n <= 24) {
    insertion_sort<false>(v, 1, n);
    return;
  }
  uint64_t gaps[40] = {1, 4, 10, 23, 57, 132, 301, 701};
  int count = 8;
  while (gaps[count - 1] < n / 2 && count < 40) {
    gaps[count] = gaps[count - 1] * 9 / 4;
    ++count;
  }
  for (int g = count - 1; g >= 0; --g) {
    const uint64_t gap = gaps[g];
    for (uint64_t i = gap; i < n; ++i) {
      const uint64_t x = v[i];
      uint64_t j = i;
      for (; j >= gap && v[j - gap] > x; j -= gap) v[j] = v[j - gap];
      v[j] = x;
    }
  }
}
void sort_pairs_by_signed_first_of(uint64_t* v, uint64_t n) { heapsort<true>(v, 2, n); }

}  // namespace heaptwin::check
