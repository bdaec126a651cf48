// A long Program of small blocks coming and going, for the glibc side's long-Program test and
// its throughput measure: Programs of any length over thousands of slots.
#ifndef HEAPTWIN_ORACLE_GLIBC_CHURN_PROGRAM_H_
#define HEAPTWIN_ORACLE_GLIBC_CHURN_PROGRAM_H_

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "program/op.h"

namespace heaptwin {

// `ops` ops over `slots` slots: each op frees a random slot when it holds a block, else
// allocates 1..0x200 bytes into it, so about half the slots hold a block at any time.
inline Program churn_program(size_t ops, size_t slots, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Program p;
  for (size_t i = 0; i < slots; ++i) p.intern("s" + std::to_string(i));
  std::vector<bool> held(slots + 1, false);
  p.ops.reserve(ops);
  for (size_t i = 0; i < ops; ++i) {
    SlotId s = static_cast<SlotId>(1 + rng() % slots);
    Op op;
    if (held[s]) {
      op.kind = OpKind::kFree;
      op.src = s;
    } else {
      op.kind = OpKind::kMalloc;
      op.dst = s;
      op.a = 1 + rng() % 0x200;
    }
    held[s] = !held[s];
    p.ops.push_back(op);
  }
  return p;
}

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_GLIBC_CHURN_PROGRAM_H_
