// tcache_perthread_struct as each release lays it out (malloc.c): how wide its counts are and
// what they count, where entries[] starts, and how big the struct is. The Allocator reads and
// writes the running thread's struct through these.
#ifndef HEAPTWIN_ALLOCATOR_TCACHE_STRUCT_H_
#define HEAPTWIN_ALLOCATOR_TCACHE_STRUCT_H_

#include <cstdint>

#include "allocator/chunk.h"
#include "allocator/profile.h"

namespace heaptwin::alloc {

// In this order, malloc tells the forms before 2.42 from the others in one comparison.
enum class TcacheForm : uint8_t {
  kCharCounts,  // signed char counts[64], entries[] at 0x40 (0x240 bytes)
  kWideCounts,  // 2.30: uint16_t counts[64], entries[] at 0x80 (0x280 bytes)
  kSlotsLeft,   // 2.42: uint16_t num_slots[76] counting free places, entries[] at 0x98 (0x2f8)
  kNone,        // before 2.26: no tcache at all
};

// The profile's form: the one place the form is decided.
inline TcacheForm tcache_form_of(const GlibcProfile& profile) {
  if (!profile.tcache) return TcacheForm::kNone;
  if (profile.tcache_large_bins) return TcacheForm::kSlotsLeft;
  return profile.tcache_wide_counts ? TcacheForm::kWideCounts : TcacheForm::kCharCounts;
}

inline uint64_t tcache_entries_offset_of(TcacheForm form) {
  switch (form) {
    case TcacheForm::kSlotsLeft: return 0x98;
    case TcacheForm::kWideCounts: return 0x80;
    default: return 0x40;
  }
}

inline uint64_t tcache_struct_size_of(TcacheForm form) {
  switch (form) {
    case TcacheForm::kSlotsLeft: return 0x2f8;
    case TcacheForm::kWideCounts: return 0x280;
    default: return 0x240;
  }
}

// counts[idx] of the struct at `tcache` as glibc compares it with a size_t: a char count of -1
// is huge, not small. (kSlotsLeft: the free places left.)
inline uint64_t tcache_count_in(Addr tcache, TcacheForm form, uint64_t idx) {
  if (form != TcacheForm::kCharCounts) return reinterpret_cast<const uint16_t*>(tcache)[idx];
  return static_cast<uint64_t>(static_cast<int64_t>(reinterpret_cast<const int8_t*>(tcache)[idx]));
}

// One more (delta 1) or one fewer (-1) chunk in bin idx, in the form's terms: num_slots counts
// the other way, and a char count wraps as glibc's does.
inline void add_tcache_count_in(Addr tcache, TcacheForm form, uint64_t idx, int delta) {
  if (form == TcacheForm::kWideCounts) {  // the common form first
    uint16_t& c = reinterpret_cast<uint16_t*>(tcache)[idx];
    c = static_cast<uint16_t>(c + delta);
  } else if (form == TcacheForm::kSlotsLeft) {
    uint16_t& c = reinterpret_cast<uint16_t*>(tcache)[idx];
    c = static_cast<uint16_t>(c - delta);
  } else {
    uint8_t& c = reinterpret_cast<uint8_t*>(tcache)[idx];
    c = static_cast<uint8_t>(c + delta);
  }
}

}  // namespace heaptwin::alloc

#endif  // HEAPTWIN_ALLOCATOR_TCACHE_STRUCT_H_
