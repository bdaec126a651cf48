#include "oracle/model/invariants.h"
#include "program/hex.h"

#include <cinttypes>
#include <cstdio>

namespace heaptwin::model {

namespace {
// The messages, built only when a rule is broken.
std::string at(uint64_t user) { return "block at " + hex(user); }
}  // namespace

void LiveBlocks::clear() {
  heap_.clear();
  mapped_.clear();
}

std::string LiveBlocks::add_heap(uint64_t user, uint64_t usable, uint64_t request,
                                 uint64_t alignment, uint64_t heap_end) {
  if (user % alignment != 0) return at(user) + " is not " + hex(alignment) + "-aligned";
  if (usable < request) {
    return at(user) + " offers " + hex(usable) + " bytes for a request of " + hex(request);
  }
  if (user < 0x10 || user + usable > heap_end) {
    return at(user) + " (+" + hex(usable) + ") leaves the heap [0, " + hex(heap_end) + ")";
  }
  const uint64_t end = user + usable;
  const auto near = heap_.around(user);
  if (near.at_or_above && near.at_or_above->key < end) {
    return at(user) + " (+" + hex(usable) + ") overlaps the live block at " +
           hex(near.at_or_above->key);
  }
  if (near.below && near.below->value > user) {
    return at(user) + " overlaps the live block at " + hex(near.below->key);
  }
  if (near.at_or_above && near.at_or_above->key == user) {
    heap_.insert_or_assign(user, end);  // (an empty block where one was)
  } else {
    heap_.insert_at(near, user, end);
  }
  return {};
}

std::string LiveBlocks::add_mapped(uint64_t id, uint64_t page_offset, uint64_t usable,
                                   uint64_t request, uint64_t alignment) {
  if (page_offset % alignment != 0) return "mapped block is not " + hex(alignment) + "-aligned";
  if (usable < request)
    return "mapped block offers " + hex(usable) + " bytes for a request of " + hex(request);
  if (mapped_.find(id)) return "mapped block handed out twice";
  mapped_.insert_or_assign(id, usable);
  return {};
}

std::string LiveBlocks::remove_heap(uint64_t user) {
  if (!heap_.erase(user)) return "freeing " + hex(user) + ", which is not live";
  return {};
}

std::string LiveBlocks::remove_mapped(uint64_t id) {
  if (!mapped_.erase(id)) return "unmapping a block that is not live";
  return {};
}

uint64_t LiveBlocks::heap_end_of(uint64_t user) const {
  const uint64_t* end = heap_.find(user);
  return end ? *end : 0;
}

}  // namespace heaptwin::model
