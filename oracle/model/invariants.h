// The invariant layer: what must hold of any malloc, whatever its policy. Live blocks are kept
// as an interval map; every new block must be aligned, lie inside the heap (or be a mapping of
// its own), overlap no live block, and offer at least the bytes requested. It reads nothing of
// the allocator: only the pointers, sizes and heap extent it is told.
#ifndef HEAPTWIN_ORACLE_MODEL_INVARIANTS_H_
#define HEAPTWIN_ORACLE_MODEL_INVARIANTS_H_

#include <cstdint>
#include <string>

#include "oracle/offset_map.h"

namespace heaptwin::model {

class LiveBlocks {
 public:
  // No block live (the memory is kept for the next Program).
  void clear();
  // A heap block [user, user + usable) handed out for `request` bytes at `alignment`, while the
  // heap spans [0, heap_end). Returns the violated rule, or "" (and records the block).
  std::string add_heap(uint64_t user, uint64_t usable, uint64_t request, uint64_t alignment,
                       uint64_t heap_end);
  // A mapped block: `page_offset` is the user pointer within its page.
  std::string add_mapped(uint64_t id, uint64_t page_offset, uint64_t usable, uint64_t request,
                         uint64_t alignment);
  // Forgets a block. Returns "" or the rule violated (the block was not live).
  std::string remove_heap(uint64_t user);
  std::string remove_mapped(uint64_t id);
  bool heap_live(uint64_t user) const { return heap_.find(user) != nullptr; }
  bool mapped_live(uint64_t id) const { return mapped_.find(id) != nullptr; }
  // The usable end of the live heap block starting at `user` (0 when none).
  uint64_t heap_end_of(uint64_t user) const;
  size_t size() const { return heap_.size() + mapped_.size(); }

 private:
  OffsetMap<uint64_t> heap_;    // user offset -> end
  OffsetMap<uint64_t> mapped_;  // id -> usable
};

}  // namespace heaptwin::model

#endif  // HEAPTWIN_ORACLE_MODEL_INVARIANTS_H_
