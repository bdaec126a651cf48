// The names of a Program's slots, stored compactly and found by name in O(1).
//
// A recorded trace of a real program (heaptwin exec --trace) has as many slots as it had
// pointers live at once: a million is ordinary, and the parser looks a name up on every line.
// So the names sit end to end in one buffer (no std::string per slot: a 7-character name costs 7
// bytes plus an 8-byte end offset), and an open-addressing table of slot ids (4 bytes a bucket,
// at most half full) maps a name to its id.
#ifndef HEAPTWIN_PROGRAM_SLOT_NAMES_H_
#define HEAPTWIN_PROGRAM_SLOT_NAMES_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace heaptwin {

// A slot's number in its Program. 32 bits: the .heap format sets no limit of its own, and no
// Program that fits in memory reaches 2^32 - 1 slots (the parser says so if one does).
using SlotId = uint32_t;
inline constexpr SlotId kNullSlot = 0;
// The most slots a Program can number (SlotId's range); the only slot limit left.
inline constexpr size_t kMaxSlots = std::numeric_limits<SlotId>::max();

class SlotNames {
 public:
  SlotNames();  // holds slot 0, "null"

  size_t size() const { return ends_.size(); }
  // The name of slot `id` (< size()). Valid until the next intern().
  std::string_view operator[](SlotId id) const {
    size_t begin = id == 0 ? 0 : ends_[id - 1];
    return std::string_view(chars_.data() + begin, ends_[id] - begin);
  }
  // The id of `name`, adding it (as slot size()) if new. Callers check size() < kMaxSlots first.
  SlotId intern(std::string_view name);
  // The id of `name`, or -1.
  int64_t find(std::string_view name) const;

  // Same names in the same order.
  bool operator==(const SlotNames& o) const { return ends_ == o.ends_ && chars_ == o.chars_; }
  bool operator!=(const SlotNames& o) const { return !(*this == o); }

  // Bytes held (names, offsets, index): what a Program's slots cost in memory.
  size_t memory_bytes() const;

 private:
  static constexpr uint32_t kEmptyBucket = std::numeric_limits<uint32_t>::max();
  static size_t hash(std::string_view name);
  // The bucket holding `name`, or the empty bucket where it would go.
  size_t bucket_of(std::string_view name) const;
  void grow_index();

  std::string chars_;            // every name, end to end
  std::vector<uint64_t> ends_;   // slot i's name is chars_[ends_[i-1], ends_[i]) (ends_[-1] = 0)
  std::vector<uint32_t> index_;  // slot ids by hash of their name; size a power of two
};

}  // namespace heaptwin

#endif  // HEAPTWIN_PROGRAM_SLOT_NAMES_H_
