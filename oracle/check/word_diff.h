// Which 8-byte words of two buffers differ: the incremental check compares main_arena's bins and
// the tcache struct with its copies after every op (incremental.cc: read_state). With AVX2 (asked
// of the CPU once, with cpuid and xgetbv: no library) 16 words are compared per step and the
// differing ones come out as bits; without it, memcmp skips equal blocks and lines before single
// words are compared. memcmp, then the search in the block that differed, cost 1,400
// instructions an op on the bins alone; the AVX2 pass costs under 400.
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

// Bit i set when word i of a and b differ; n <= 64.
__attribute__((target("avx2"))) inline uint64_t differing_avx2(const unsigned char* a,
                                                               const unsigned char* b, uint64_t n) {
  uint64_t mask = 0;
  uint64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256i e0 = equal4(a, b, i), e1 = equal4(a, b, i + 4), e2 = equal4(a, b, i + 8),
                  e3 = equal4(a, b, i + 12);
    const __m256i all = _mm256_and_si256(_mm256_and_si256(e0, e1), _mm256_and_si256(e2, e3));
    if (_mm256_movemask_epi8(all) == -1) continue;
    const uint64_t same = bits4(e0) | bits4(e1) << 4 | bits4(e2) << 8 | bits4(e3) << 12;
    mask |= (~same & 0xffff) << i;
  }
  for (; i + 4 <= n; i += 4) mask |= (~bits4(equal4(a, b, i)) & 0xf) << i;
  for (; i < n; ++i) mask |= static_cast<uint64_t>(word_at(a, i) != word_at(b, i)) << i;
  return mask;
}
#else
inline bool have_avx2() { return false; }
inline uint64_t differing_avx2(const unsigned char*, const unsigned char*, uint64_t) { return 0; }
#endif

}  // namespace word_diff_internal

// Words a[0..n) against b[0..n): calls changed(i) for each word that differs, in order.
template <typename F>
void diff_words(const unsigned char* a, const unsigned char* b, uint64_t n, F changed) {
  using namespace word_diff_internal;
  if (have_avx2()) {
    for (uint64_t w = 0; w < n; w += 64) {
      for (uint64_t m = differing_avx2(a + 8 * w, b + 8 * w, n - w < 64 ? n - w : 64); m != 0;
           m &= m - 1) {
        changed(w + static_cast<uint64_t>(__builtin_ctzll(m)));
      }
    }
    return;
  }
  // Blocks that are equal (most of them after an op) are skipped with memcmp, which is
  // vectorised; in a block that differs, lines of 16 words likewise, before single words.
  constexpr uint64_t kBlock = 64, kLine = 16;               // words
  if (n > kBlock && std::memcmp(a, b, 8 * n) == 0) return;  // the bins: one call, not four
  for (uint64_t w = 0; w < n; w += kBlock) {
    const uint64_t end = w + kBlock <= n ? w + kBlock : n;
    if (std::memcmp(a + 8 * w, b + 8 * w, 8 * (end - w)) == 0) continue;
    for (uint64_t v = w; v < end; v += kLine) {
      const uint64_t line_end = v + kLine <= end ? v + kLine : end;
      if (std::memcmp(a + 8 * v, b + 8 * v, 8 * (line_end - v)) == 0) continue;
      for (uint64_t k = v; k < line_end; ++k) {
        if (word_at(a, k) != word_at(b, k)) changed(k);
      }
    }
  }
}

}  // namespace heaptwin::check

#endif  // HEAPTWIN_ORACLE_CHECK_WORD_DIFF_H_
