#include "allocator/tcache_struct.h"

namespace heaptwin::alloc {

TcacheForm tcache_form_of(const GlibcProfile& profile) {
  if (!profile.tcache) return TcacheForm::kNone;
  if (profile.tcache_large_bins) return TcacheForm::kSlotsLeft;
  return profile.tcache_wide_counts ? TcacheForm::kWideCounts : TcacheForm::kCharCounts;
}

uint64_t tcache_entries_offset_of(TcacheForm form) {
  switch (form) {
    case TcacheForm::kSlotsLeft: return 0x98;
    case TcacheForm::kWideCounts: return 0x80;
    default: return 0x40;
  }
}

uint64_t tcache_struct_size_of(TcacheForm form) {
  switch (form) {
    case TcacheForm::kSlotsLeft: return 0x2f8;
    case TcacheForm::kWideCounts: return 0x280;
    default: return 0x240;
  }
}

}  // namespace heaptwin::alloc
