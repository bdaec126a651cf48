// Made-up places of one process, as real 2.36 lays them out (its main heap and main_arena), for
// the tests of naming what a read8 read (read_value.h) and finding threads' heaps
// (read_arena_heaps.h).
#ifndef HEAPTWIN_ORACLE_MADE_UP_PLACES_H_
#define HEAPTWIN_ORACLE_MADE_UP_PLACES_H_

#include <cstdint>
#include <string>

#include "oracle/read_value.h"
#include "oracle/trace.h"

namespace heaptwin {

inline constexpr uint64_t kHeap = 0x555555559000;  // the main heap
inline constexpr uint64_t kMainArena = 0x7ffff7e19c80;

// The main heap's first 0x21000 bytes and main_arena; nothing else named.
inline ReadPlaces main_places() {
  ReadPlaces p{};
  p.heap_base = kHeap;
  p.heap_end = kHeap + 0x21000;
  p.arena = kMainArena;
  p.arena_bytes = 0x898;
  return p;
}

// What read8 at `at` prints for the value `raw`.
inline std::string text(const ReadPlaces& p, uint64_t raw, uint64_t at) {
  return to_string(read_value(&p, raw, at));
}

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_MADE_UP_PLACES_H_
