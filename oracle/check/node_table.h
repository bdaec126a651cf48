// The chunks the bins hold, as the incremental check last saw them: for each binned chunk, which
// list holds it, its place in that list (a label that grows along the list) and the words that
// link it. An open-addressing hash table keyed by the chunk's address, so membership ("which bin
// holds this chunk?") is one lookup, and a list's changes are found from the chunks an op wrote
// instead of by walking the list.
#ifndef HEAPTWIN_ORACLE_CHECK_NODE_TABLE_H_
#define HEAPTWIN_ORACLE_CHECK_NODE_TABLE_H_

#include <cstdint>

#include "oracle/check/region.h"

namespace heaptwin::check {

// Lists: regular bin i is list i (1..126), fastbin i is 128 + i, tcache bin i is 144 + i.
inline constexpr int kFirstFastList = 128;
inline constexpr int kFirstTcacheList = 144;
inline constexpr int kLists = kFirstTcacheList + 76;  // TCACHE_MAX_BINS from 2.42

struct Node {
  uint64_t addr;  // the chunk (the key)
  uint64_t next;  // the next chunk of its list (fd; for fastbins and tcache revealed, as a chunk
                  // address), the bin head (regular lists) or 0 (others) after the last
  uint64_t prev;  // regular lists: bk
  uint64_t fd_nextsize, bk_nextsize;  // large bins
  uint64_t key;                       // tcache: the entry's key
  uint64_t size;                      // the size field without flags
  int64_t label;                      // grows along the list
  uint32_t gen;                       // the table's generation when written (older: an empty slot)
  uint16_t list;                      // 1..kLists-1
};

class NodeTable {
 public:
  bool init(Region* region, uint64_t max_nodes);
  // Empties the table in O(1) (a new generation).
  void reset();
  // Inline: several lookups per chunk an op touches.
  Node* find(uint64_t addr) {
    uint64_t i = slot_of(addr);
    for (;;) {
      Node& n = slots_[i];
      if (!live(n)) return nullptr;
      if (n.addr == addr) return &n;
      i = (i + 1) & (capacity_ - 1);
    }
  }
  // The node for addr, added (fields zero but addr) when missing; nullptr when the table is full.
  Node* insert(uint64_t addr);
  void erase(uint64_t addr);
  uint64_t size() const { return size_; }

 private:
  uint64_t slot_of(uint64_t addr) const { return ((addr >> 4) * 0x9e3779b97f4a7c15ull) >> shift_; }
  bool live(const Node& n) const { return n.gen == gen_; }
  bool grow();

  Region* region_ = nullptr;
  Node* slots_ = nullptr;
  uint64_t capacity_ = 0;  // a power of two
  int shift_ = 64;
  uint64_t size_ = 0;
  uint64_t max_nodes_ = 0;
  uint32_t gen_ = 1;
};

}  // namespace heaptwin::check

#endif  // HEAPTWIN_ORACLE_CHECK_NODE_TABLE_H_
