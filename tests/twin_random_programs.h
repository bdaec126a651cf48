// Random malloc/free Programs for the twin-vs-glibc differential: sizes from every class (tcache,
// fastbin, small, large, above the mmap threshold), often repeated within a Program so bins fill,
// consolidate and sort; frees of live slots only (no corruption). Deterministic in its seed.
#ifndef HEAPTWIN_TESTS_TWIN_RANDOM_PROGRAMS_H_
#define HEAPTWIN_TESTS_TWIN_RANDOM_PROGRAMS_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "program/op.h"

namespace heaptwin::testing {

inline uint64_t random_request_size(std::mt19937_64& rng) {
  auto in = [&](uint64_t lo, uint64_t hi) { return lo + rng() % (hi - lo + 1); };
  switch (rng() % 20) {
    case 0:
    case 1:
    case 2:
    case 3:
    case 4:
    case 5: return in(0, 0x80);  // fastbin/tcache
    case 6:
    case 7:
    case 8:
    case 9:
    case 10: return in(0x81, 0x408);  // tcache, small
    case 11:
    case 12:
    case 13: return in(0x409, 0x1000);  // small/large
    case 14:
    case 15: return in(0x1000, 0x10000);   // large
    case 16: return in(0x10000, 0x30000);  // near the thresholds
    case 17: return in(0x1f000, 0x21000);  // around mmap_threshold
    case 18:
      return in(0x30000, 0x200000);  // mmapped (or not, after
                                     // the dynamic threshold rises)
    default: return in(0, 0x40);
  }
}

inline Program random_malloc_free_program(uint64_t seed, int ops, int slots = 24) {
  std::mt19937_64 rng(seed * 0x9e3779b97f4a7c15ull + 1);
  Program program;
  std::vector<SlotId> ids;
  for (int i = 0; i < slots; ++i) ids.push_back(program.intern("s" + std::to_string(i)));
  std::vector<bool> live(program.slot_count(), false);
  // A few sizes this Program favours, so same-size chunks pile up in one bin.
  std::vector<uint64_t> palette;
  for (int i = 0; i < 6; ++i) palette.push_back(random_request_size(rng));
  const unsigned free_percent = 30 + rng() % 30;
  for (int i = 0; i < ops; ++i) {
    Op op;
    std::vector<SlotId> live_ids;
    for (SlotId s : ids)
      if (live[s]) live_ids.push_back(s);
    if (!live_ids.empty() && rng() % 100 < free_percent) {
      op.kind = OpKind::kFree;
      op.src = live_ids[rng() % live_ids.size()];
      live[op.src] = false;
    } else if (rng() % 50 == 0) {
      op.kind = OpKind::kFree;  // free null
      op.src = kNullSlot;
    } else {
      op.kind = OpKind::kMalloc;
      // Prefer a free slot; reusing a live one leaks it (as a program may).
      std::vector<SlotId> free_ids;
      for (SlotId s : ids)
        if (!live[s]) free_ids.push_back(s);
      op.dst = !free_ids.empty() && rng() % 8 != 0 ? free_ids[rng() % free_ids.size()]
                                                   : ids[rng() % ids.size()];
      op.a = rng() % 4 != 0 ? palette[rng() % palette.size()] : random_request_size(rng);
      live[op.dst] = true;
    }
    program.ops.push_back(op);
  }
  return program;
}

// `program` with reads added: after a third of its mallocs and frees, a read8 of that op's slot
// at a word around the chunk header (prev_size, size, fd, bk, fd_nextsize, bk_nextsize), into
// one of four slots of its own that no other op uses. What glibc leaves in memory (a freed
// chunk's links, what free and malloc write, sizes) is then compared too.
inline Program with_header_reads(const Program& program, uint64_t seed) {
  std::mt19937_64 rng(seed * 0x2545f4914f6cdd1dull + 7);
  static constexpr int64_t kOffsets[] = {-0x10, -8, 0, 8, 0x10, 0x18};
  Program out;
  out.slot_names = program.slot_names;
  SlotId reads[4];
  for (int i = 0; i < 4; ++i) reads[i] = out.intern("r" + std::to_string(i));
  for (const Op& op : program.ops) {
    out.ops.push_back(op);
    const SlotId slot = op.kind == OpKind::kFree ? op.src : op.allocates() ? op.dst : kNullSlot;
    if (slot == kNullSlot || rng() % 3 != 0) continue;
    Op read;
    read.kind = OpKind::kRead8;
    read.dst = reads[rng() % 4];
    read.src = slot;
    read.offset = kOffsets[rng() % 6];
    out.ops.push_back(read);
  }
  return out;
}

}  // namespace heaptwin::testing

#endif  // HEAPTWIN_TESTS_TWIN_RANDOM_PROGRAMS_H_
