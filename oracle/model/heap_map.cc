#include "oracle/model/heap_map.h"

namespace heaptwin::model {

void HeapMap::clear() {
  started_ = false;
  top_ = top_size_ = 0;
  last_ = kNone;
  chunks_.clear();
}

void HeapMap::start(uint64_t size) {
  started_ = true;
  top_ = 0;
  top_size_ = size;
}

std::optional<uint64_t> HeapMap::prev_of(uint64_t off) const {
  const uint64_t below = off == top_ ? last_ : const_cast<HeapMap*>(this)->record(off).below;
  if (below == kNone) return std::nullopt;
  return below;
}

void HeapMap::set_below(uint64_t off, uint64_t below) {
  if (off == top_) {
    last_ = below;
  } else {
    record(off).below = below;
  }
}

uint64_t HeapMap::take_from_top(uint64_t nb) {
  const uint64_t off = top_;
  chunks_.insert_or_assign(off, Record{Chunk{nb, ChunkState::kInUse, 0}, last_});
  top_ += nb;
  top_size_ -= nb;
  last_ = off;
  return off;
}

void HeapMap::merge_into_top(uint64_t off) {
  const Record r = record(off);
  if (off + r.chunk.size != top_) {
    throw Unmodelled{"model bug: merging a chunk not adjacent to top"};
  }
  top_size_ += r.chunk.size;
  top_ = off;
  last_ = r.below;
  chunks_.erase(off);
}

uint64_t HeapMap::split(uint64_t off, uint64_t nb) {
  Chunk& c = at(off);
  const uint64_t end = off + c.size;
  const uint64_t rest = c.size - nb;
  c.size = nb;
  chunks_.insert_or_assign(off + nb, Record{Chunk{rest, ChunkState::kInUse, 0}, off});
  set_below(end, off + nb);
  return off + nb;
}

void HeapMap::join(uint64_t lo, uint64_t hi) {
  const uint64_t hi_size = at(hi).size;
  Chunk& c = at(lo);
  if (lo + c.size != hi) throw Unmodelled{"model bug: joining chunks that are not neighbours"};
  c.size += hi_size;
  chunks_.erase(hi);
  set_below(hi + hi_size, lo);
}

}  // namespace heaptwin::model
