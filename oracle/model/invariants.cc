#include "oracle/model/invariants.h"

#include <cinttypes>
#include <cstdio>

namespace heaptwin::model {

namespace {
std::string hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}
}  // namespace

std::string LiveBlocks::add_heap(uint64_t user, uint64_t usable, uint64_t request,
                                 uint64_t alignment, uint64_t heap_end) {
  const std::string at = "block at " + hex(user);
  if (user % alignment != 0) return at + " is not " + hex(alignment) + "-aligned";
  if (usable < request) return at + " offers " + hex(usable) + " bytes for a request of " + hex(request);
  if (user < 0x10 || user + usable > heap_end) return at + " (+" + hex(usable) + ") leaves the heap [0, " + hex(heap_end) + ")";
  const uint64_t end = user + usable;
  auto next = heap_.lower_bound(user);
  if (next != heap_.end() && next->first < end)
    return at + " (+" + hex(usable) + ") overlaps the live block at " + hex(next->first);
  if (next != heap_.begin()) {
    auto prev = std::prev(next);
    if (prev->second > user) return at + " overlaps the live block at " + hex(prev->first);
  }
  heap_[user] = end;
  return "";
}

std::string LiveBlocks::add_mapped(uint64_t id, uint64_t page_offset, uint64_t usable,
                                   uint64_t request, uint64_t alignment) {
  if (page_offset % alignment != 0) return "mapped block is not " + hex(alignment) + "-aligned";
  if (usable < request) return "mapped block offers " + hex(usable) + " bytes for a request of " + hex(request);
  if (mapped_.count(id)) return "mapped block handed out twice";
  mapped_[id] = usable;
  return "";
}

std::string LiveBlocks::remove_heap(uint64_t user) {
  if (heap_.erase(user) == 0) return "freeing " + hex(user) + ", which is not live";
  return "";
}

std::string LiveBlocks::remove_mapped(uint64_t id) {
  if (mapped_.erase(id) == 0) return "unmapping a block that is not live";
  return "";
}

uint64_t LiveBlocks::heap_end_of(uint64_t user) const {
  auto it = heap_.find(user);
  return it == heap_.end() ? 0 : it->second;
}

}  // namespace heaptwin::model
