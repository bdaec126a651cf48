#include "program/slot_names.h"

#include <functional>

namespace heaptwin {

namespace {
constexpr size_t kFirstIndexSize = 16;
}  // namespace

SlotNames::SlotNames() : index_(kFirstIndexSize, kEmptyBucket) { intern("null"); }

size_t SlotNames::hash(std::string_view name) { return std::hash<std::string_view>{}(name); }

size_t SlotNames::bucket_of(std::string_view name) const {
  const size_t mask = index_.size() - 1;
  size_t i = hash(name) & mask;
  // Linear probing; the table is at most half full, so an empty bucket is always reached.
  while (index_[i] != kEmptyBucket && (*this)[index_[i]] != name) i = (i + 1) & mask;
  return i;
}

SlotId SlotNames::intern(std::string_view name) {
  size_t bucket = bucket_of(name);
  if (index_[bucket] != kEmptyBucket) return index_[bucket];
  const auto id = static_cast<SlotId>(ends_.size());
  chars_.append(name.data(), name.size());
  ends_.push_back(chars_.size());
  index_[bucket] = id;
  if (ends_.size() * 2 > index_.size()) grow_index();
  return id;
}

int64_t SlotNames::find(std::string_view name) const {
  uint32_t id = index_[bucket_of(name)];
  return id == kEmptyBucket ? -1 : static_cast<int64_t>(id);
}

void SlotNames::grow_index() {
  std::vector<uint32_t> old = std::move(index_);
  index_.assign(old.size() * 2, kEmptyBucket);
  const size_t mask = index_.size() - 1;
  for (uint32_t id : old) {
    if (id == kEmptyBucket) continue;
    size_t i = hash((*this)[id]) & mask;
    while (index_[i] != kEmptyBucket) i = (i + 1) & mask;
    index_[i] = id;
  }
}

size_t SlotNames::memory_bytes() const {
  return chars_.capacity() + ends_.capacity() * sizeof(uint64_t) +
         index_.capacity() * sizeof(uint32_t);
}

}  // namespace heaptwin
