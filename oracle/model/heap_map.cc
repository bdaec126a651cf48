#include "oracle/model/heap_map.h"

#include "oracle/model/unmodelled.h"

namespace heaptwin::model {

void HeapMap::start(uint64_t size) {
  started_ = true;
  top_ = 0;
  top_size_ = size;
}

std::optional<uint64_t> HeapMap::prev_of(uint64_t off) const {
  auto it = chunks_.lower_bound(off);
  if (it == chunks_.begin()) return std::nullopt;
  --it;
  return it->first;
}

uint64_t HeapMap::take_from_top(uint64_t nb) {
  uint64_t off = top_;
  chunks_[off] = Chunk{nb, ChunkState::kInUse, 0};
  top_ += nb;
  top_size_ -= nb;
  return off;
}

void HeapMap::merge_into_top(uint64_t off) {
  const Chunk& c = chunks_.at(off);
  if (off + c.size != top_) throw Unmodelled{"model bug: merging a chunk not adjacent to top"};
  top_size_ += c.size;
  top_ = off;
  chunks_.erase(off);
}

uint64_t HeapMap::split(uint64_t off, uint64_t nb) {
  Chunk& c = chunks_.at(off);
  uint64_t rest = c.size - nb;
  c.size = nb;
  chunks_[off + nb] = Chunk{rest, ChunkState::kInUse, 0};
  return off + nb;
}

void HeapMap::join(uint64_t lo, uint64_t hi) {
  Chunk& c = chunks_.at(lo);
  if (lo + c.size != hi) throw Unmodelled{"model bug: joining chunks that are not neighbours"};
  c.size += chunks_.at(hi).size;
  chunks_.erase(hi);
}

}  // namespace heaptwin::model
