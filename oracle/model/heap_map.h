// The brk heap as chunk records by offset: every byte from the heap base up to `top` belongs to
// exactly one chunk record, and top is an (offset, size) pair after them. The chunk above a
// record is the record at offset + size; each record also names the chunk below it, kept up to
// date as chunks are carved, split and joined. Nothing is read from memory.
#ifndef HEAPTWIN_ORACLE_MODEL_HEAP_MAP_H_
#define HEAPTWIN_ORACLE_MODEL_HEAP_MAP_H_

#include <cstdint>
#include <optional>

#include "oracle/model/offset_table.h"
#include "oracle/model/unmodelled.h"

namespace heaptwin::model {

// Where a chunk is. Tcache and fastbin chunks count as in use for coalescing (glibc leaves their
// PREV_INUSE bits alone); only kBinned chunks (unsorted, small, large bins) merge with neighbours.
enum class ChunkState : uint8_t { kInUse, kTcache, kFast, kBinned };

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

  // Back to no heap at all (the memory of the records is kept for the next Program).
  void clear();
  // The first extension of the break: the heap is [0, size), all of it top.
  void start(uint64_t size);
  void grow_top(uint64_t by) { top_size_ += by; }
  void shrink_top(uint64_t by) { top_size_ -= by; }

  // The chunk at `off`. The reference is valid until the next take_from_top, split, join or
  // merge_into_top.
  const Chunk& at(uint64_t off) const { return const_cast<HeapMap*>(this)->at(off); }
  Chunk& at(uint64_t off) { return record(off).chunk; }
  bool contains(uint64_t off) const { return chunks_.find(off) != nullptr; }

  // The chunk just below `off`, if any (nothing below the first chunk).
  std::optional<uint64_t> prev_of(uint64_t off) const;
  uint64_t next_of(uint64_t off) const { return off + at(off).size; }

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
  static constexpr uint64_t kNone = ~uint64_t{0};
  struct Record {
    Chunk chunk;
    uint64_t below = kNone;  // the offset of the chunk just below, kNone for the first chunk
  };
  Record& record(uint64_t off) {
    Record* r = chunks_.find(off);
    if (!r) throw Unmodelled{"model bug: no chunk at that offset"};
    return *r;
  }
  // The chunk starting at `off` now lies just above `below`: tells the record there, or top.
  void set_below(uint64_t off, uint64_t below);

  bool started_ = false;
  uint64_t top_ = 0, top_size_ = 0;
  uint64_t last_ = kNone;  // the chunk just below top
  OffsetTable<Record> chunks_;
};

}  // namespace heaptwin::model

#endif  // HEAPTWIN_ORACLE_MODEL_HEAP_MAP_H_
