// The brk heap as a map from offset to chunk: every byte from the heap base up to `top` belongs to
// exactly one chunk record, and top is an (offset, size) pair after them. Neighbours are found by
// looking in the map, never by reading memory.
#ifndef HEAPTWIN_ORACLE_MODEL_HEAP_MAP_H_
#define HEAPTWIN_ORACLE_MODEL_HEAP_MAP_H_

#include <cstdint>
#include <map>
#include <optional>

namespace heaptwin::model {

// Where a chunk is. Tcache and fastbin chunks count as in use for coalescing (glibc leaves their
// PREV_INUSE bits alone); only kBinned chunks (unsorted, small, large bins) merge with neighbours.
enum class ChunkState { kInUse, kTcache, kFast, kBinned };

struct Chunk {
  uint64_t size = 0;
  ChunkState state = ChunkState::kInUse;
  int bin = 0;  // kBinned: 1 unsorted, 2..126 a small or large bin
};

class HeapMap {
 public:
  bool started() const { return started_; }
  uint64_t top() const { return top_; }
  uint64_t top_size() const { return top_size_; }
  uint64_t end() const { return top_ + top_size_; }  // the program break, as an offset

  // The first extension of the break: the heap is [0, size), all of it top.
  void start(uint64_t size);
  void grow_top(uint64_t by) { top_size_ += by; }
  void shrink_top(uint64_t by) { top_size_ -= by; }

  const Chunk& at(uint64_t off) const { return chunks_.at(off); }
  Chunk& at(uint64_t off) { return chunks_.at(off); }
  bool contains(uint64_t off) const { return chunks_.count(off) != 0; }
  const std::map<uint64_t, Chunk>& chunks() const { return chunks_; }

  // The chunk just below `off`, if any (nothing below the first chunk).
  std::optional<uint64_t> prev_of(uint64_t off) const;
  uint64_t next_of(uint64_t off) const { return off + chunks_.at(off).size; }

  // Carves an in-use chunk of `nb` off the low end of top.
  uint64_t take_from_top(uint64_t nb);
  // Gives chunk `off` (the last chunk below top) back to top.
  void merge_into_top(uint64_t off);
  // Splits chunk `off` at `nb`: the low part keeps the state, the high part is a new in-use chunk
  // whose offset is returned.
  uint64_t split(uint64_t off, uint64_t nb);
  // Joins chunk `hi` (which must directly follow `lo`) into `lo`.
  void join(uint64_t lo, uint64_t hi);

 private:
  bool started_ = false;
  uint64_t top_ = 0, top_size_ = 0;
  std::map<uint64_t, Chunk> chunks_;
};

}  // namespace heaptwin::model

#endif  // HEAPTWIN_ORACLE_MODEL_HEAP_MAP_H_
