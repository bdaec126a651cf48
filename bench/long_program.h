// A long random malloc/free Program as .heap text, for timing the twin with and without its checks
// on heaps of realistic size (bench/long_program.cc writes it to a file; the checker rows of
// ./heaptwin bench run it in process). Sizes come from every class (tcache, fastbin, small,
// large, a few above the mmap threshold), some favoured so bins fill, sort and consolidate; the
// Program keeps about `live_target` blocks live (frees a random live one when it has that many,
// mallocs when it has none left to free, random in between).
#ifndef HEAPTWIN_BENCH_LONG_PROGRAM_H_
#define HEAPTWIN_BENCH_LONG_PROGRAM_H_

#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace heaptwin::bench {

// Calls emit(text) with pieces of the script (about 1 MiB each), in order.
template <typename Emit>
void long_program(long ops, long live_target, uint64_t seed, Emit emit) {
  std::mt19937_64 rng(seed);
  auto in = [&](uint64_t lo, uint64_t hi) { return lo + rng() % (hi - lo + 1); };
  auto size = [&]() -> uint64_t {
    switch (rng() % 20) {
      case 0: case 1: case 2: case 3: case 4: case 5: case 6: return in(1, 0x80);
      case 7: case 8: case 9: case 10: case 11: return in(0x81, 0x408);
      case 12: case 13: case 14: return in(0x409, 0x1000);
      case 15: case 16: return in(0x1000, 0x8000);
      case 17: return in(0x8000, 0x20000);
      case 18: return rng() % 16 == 0 ? in(0x20000, 0x40000) : in(0x10, 0x40);
      default: return in(0x18, 0x28);
    }
  };
  std::vector<uint64_t> palette;
  for (int i = 0; i < 12; ++i) palette.push_back(size());
  std::vector<long> live, free_slots;
  for (long s = live_target + 16; s-- > 0;) free_slots.push_back(s);
  std::string out;
  out.reserve(static_cast<size_t>(ops) * 20);
  for (long i = 0; i < ops; ++i) {
    const long n = static_cast<long>(live.size());
    const bool do_free = n > 0 && (free_slots.empty() || n >= live_target ||
                                   (n > live_target / 2 && rng() % 2 == 0) || rng() % 8 == 0);
    if (do_free) {
      const size_t k = rng() % live.size();
      const long s = live[k];
      live[k] = live.back();
      live.pop_back();
      free_slots.push_back(s);
      out += "free s" + std::to_string(s) + "\n";
    } else {
      const long s = free_slots.back();
      free_slots.pop_back();
      live.push_back(s);
      const uint64_t bytes = rng() % 3 != 0 ? palette[rng() % palette.size()] : size();
      out += "s" + std::to_string(s) + " = malloc " + std::to_string(bytes) + "\n";
    }
    if (out.size() > (1u << 20)) {
      emit(out);
      out.clear();
    }
  }
  emit(out);
}

inline std::string long_program_text(long ops, long live_target, uint64_t seed) {
  std::string all;
  long_program(ops, live_target, seed, [&](const std::string& piece) { all += piece; });
  return all;
}

}  // namespace heaptwin::bench

#endif  // HEAPTWIN_BENCH_LONG_PROGRAM_H_
