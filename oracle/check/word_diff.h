// Which 8-byte words of two buffers differ: the incremental check compares main_arena and the
// tcache struct with its copies after every op (incremental.cc: read_state), and copies back only
// the words that differ (apply.cc). With AVX2 (asked of the CPU once, with cpuid and xgetbv: no
// library) 16 words are compared per step and the differing ones come out as bits; without it,
// memcmp skips equal lines of 16 words before single words are compared.
#ifndef HEAPTWIN_ORACLE_CHECK_WORD_DIFF_H_
#define HEAPTWIN_ORACLE_CHECK_WORD_DIFF_H_

#include <cstdint>
#include <cstring>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

namespace heaptwin::check {

namespace word_diff_internal {

inline uint64_t word_at(const unsigned char* p, uint64_t i) {
  uint64_t v;
  std::memcpy(&v, p + 8 * i, 8);
  return v;
}

#if defined(__x86_64__)
// Whether the CPU has AVX2 and the OS saves the YMM registers.
inline bool avx2_usable() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
  if (!(c & bit_OSXSAVE) || !(c & bit_AVX)) return false;
  unsigned lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  if ((lo & 6) != 6) return false;  // XMM and YMM state
  if (__get_cpuid_max(0, nullptr) < 7) return false;
  __cpuid_count(7, 0, a, b, c, d);
  return (b & bit_AVX2) != 0;
}

// -1 until asked; then 0 or 1. A plain global (the check is freestanding, and two threads asking
// at once both store the same answer).
inline int avx2_state = -1;

inline bool have_avx2() {
  if (avx2_state < 0) avx2_state = avx2_usable() ? 1 : 0;
  return avx2_state == 1;
}

// Words i..i+3 of a and b compared: all ones where equal.
__attribute__((target("avx2"), always_inline)) inline __m256i equal4(const unsigned char* a,
                                                                     const unsigned char* b,
                                                                     uint64_t i) {
  return _mm256_cmpeq_epi64(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + 8 * i)),
                            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 8 * i)));
}

// equal4's result as 4 bits, one per word.
__attribute__((target("avx2"), always_inline)) inline uint64_t bits4(__m256i e) {
  return static_cast<uint64_t>(_mm256_movemask_pd(_mm256_castsi256_pd(e)));
}

// diff_mask (below) with AVX2: 16 words a step, one test when all 16 are equal (most steps after
// an op), the differing ones as bits when not. (32 words a step cost more.)
__attribute__((target("avx2"))) inline void diff_mask_avx2(const unsigned char* a,
                                                           const unsigned char* b, uint64_t n,
                                                           uint64_t* masks) {
  for (uint64_t k = 0; k < (n + 63) / 64; ++k) masks[k] = 0;
  uint64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256i e0 = equal4(a, b, i), e1 = equal4(a, b, i + 4), e2 = equal4(a, b, i + 8),
                  e3 = equal4(a, b, i + 12);
    const __m256i all = _mm256_and_si256(_mm256_and_si256(e0, e1), _mm256_and_si256(e2, e3));
    if (_mm256_movemask_epi8(all) == -1) continue;
    const uint64_t same = bits4(e0) | bits4(e1) << 4 | bits4(e2) << 8 | bits4(e3) << 12;
    masks[i / 64] |= (~same & 0xffff) << (i % 64);
  }
  for (; i + 4 <= n; i += 4) masks[i / 64] |= (~bits4(equal4(a, b, i)) & 0xf) << (i % 64);
  for (; i < n; ++i) {
    masks[i / 64] |= static_cast<uint64_t>(word_at(a, i) != word_at(b, i)) << (i % 64);
  }
}
#else
inline bool have_avx2() { return false; }
inline void diff_mask_avx2(const unsigned char*, const unsigned char*, uint64_t, uint64_t*) {}
#endif

// Bit i set when word i of a and b differ, n <= 64: memcmp skips equal lines of 16 words (most
// of them after an op), then single words are compared.
inline uint64_t differing_scalar(const unsigned char* a, const unsigned char* b, uint64_t n) {
  constexpr uint64_t kLine = 16;  // words
  uint64_t mask = 0;
  for (uint64_t v = 0; v < n; v += kLine) {
    const uint64_t end = v + kLine <= n ? v + kLine : n;
    if (std::memcmp(a + 8 * v, b + 8 * v, 8 * (end - v)) == 0) continue;
    for (uint64_t k = v; k < end; ++k) {
      mask |= static_cast<uint64_t>(word_at(a, k) != word_at(b, k)) << k;
    }
  }
  return mask;
}

}  // namespace word_diff_internal

// Words a[0..n) against b[0..n): bit i % 64 of masks[i / 64] is set when word i differs
// ((n + 63) / 64 masks).
inline void diff_mask(const unsigned char* a, const unsigned char* b, uint64_t n, uint64_t* masks) {
  using namespace word_diff_internal;
  if (have_avx2()) {
    diff_mask_avx2(a, b, n, masks);
    return;
  }
  for (uint64_t w = 0; w < n; w += 64) {
    masks[w / 64] = differing_scalar(a + 8 * w, b + 8 * w, n - w < 64 ? n - w : 64);
  }
}

// Calls f(i - from) for each set bit i in [from, from + count) of masks, in order.
template <typename F>
void each_set_bit(const uint64_t* masks, uint64_t from, uint64_t count, F f) {
  const uint64_t to = from + count;
  for (uint64_t w = from / 64; w * 64 < to; ++w) {
    uint64_t m = masks[w];
    if (w * 64 < from) m &= ~uint64_t{0} << (from % 64);
    if (to - w * 64 < 64) m &= (uint64_t{1} << (to - w * 64)) - 1;
    for (; m != 0; m &= m - 1) f(w * 64 + static_cast<uint64_t>(__builtin_ctzll(m)) - from);
  }
}

// Words a[0..n) against b[0..n): calls changed(i) for each word that differs, in order.
template <typename F>
void diff_words(const unsigned char* a, const unsigned char* b, uint64_t n, F changed) {
  uint64_t masks[64];
  for (uint64_t w = 0; w < n; w += 64 * 64) {
    const uint64_t k = n - w < 64 * 64 ? n - w : 64 * 64;
    diff_mask(a + 8 * w, b + 8 * w, k, masks);
    each_set_bit(masks, 0, k, [&](uint64_t i) { changed(w + i); });
  }
}

}  // namespace heaptwin::check

#endif  // HEAPTWIN_ORACLE_CHECK_WORD_DIFF_H_
