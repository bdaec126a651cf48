#include "bench/workloads.h"

#include <random>

namespace heaptwin::bench {

namespace {

// Random allocations and frees over `slots`, sizes from `pick`, about `live` blocks at a time;
// ends by freeing what is left.
template <typename Pick>
Workload make(const std::string& name, uint32_t slots, uint32_t live, size_t length, uint64_t seed,
              Pick pick) {
  Workload w{name, slots, {}};
  std::mt19937_64 rng(seed);
  std::vector<bool> used(slots, false);
  uint32_t in_use = 0;
  while (w.ops.size() < length) {
    uint32_t s = static_cast<uint32_t>(rng() % slots);
    bool want_free = in_use >= live || (in_use > 0 && rng() % 2 == 0);
    if (used[s] && want_free) {
      w.ops.push_back({true, s, 0});
      used[s] = false;
      --in_use;
    } else if (!used[s] && !want_free) {
      w.ops.push_back({false, s, pick(rng)});
      used[s] = true;
      ++in_use;
    }
  }
  for (uint32_t s = 0; s < slots; ++s) {
    if (used[s]) w.ops.push_back({true, s, 0});
  }
  return w;
}

// Bursts: allocate a batch of one small size, free it all (overflowing tcache into fastbins).
Workload fastbin_bursts(size_t length, uint64_t seed) {
  Workload w{"fastbin-heavy", 32, {}};
  std::mt19937_64 rng(seed);
  while (w.ops.size() < length) {
    uint64_t size = 0x10 + (rng() % 7) * 0x10;
    uint32_t n = 10 + static_cast<uint32_t>(rng() % 20);
    for (uint32_t s = 0; s < n; ++s) w.ops.push_back({false, s, size});
    for (uint32_t s = 0; s < n; ++s) w.ops.push_back({true, s, 0});
  }
  return w;
}

}  // namespace

std::vector<Workload> standard_workloads() {
  constexpr size_t kLength = 20000;
  return {
      make("tcache-heavy", 64, 16, kLength, 1,
           [](std::mt19937_64& r) { return 0x8 + (r() % 0x3f8); }),
      fastbin_bursts(kLength, 2),
      make("large-bin churn", 256, 128, kLength, 3,
           [](std::mt19937_64& r) { return 0x400 + (r() % 0xfc00); }),
      make("mixed (incl. mmap)", 256, 64, kLength, 4,
           [](std::mt19937_64& r) {
             uint64_t k = r() % 100;
             if (k < 60) return 0x8 + r() % 0x400;
             if (k < 95) return 0x400 + r() % 0x8000;
             return 0x20000 + r() % 0x40000;
           }),
  };
}

}  // namespace heaptwin::bench
