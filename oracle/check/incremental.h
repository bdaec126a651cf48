// The incremental heap check: after an op, it checks what the op touched (the chunks it wrote,
// their neighbours, the bins and counters it changed) with the same rules, ids and messages as
// the full check (full_check.h), at a cost that does not grow with the heap.
//
// It keeps, across ops, what it needs to answer the whole-heap rules locally: where the chunks
// start (ChunkMap) and, for every binned chunk, its list, its place in the list and its links
// (NodeTable). An op's changes come from two places: the addresses the allocator stored to (the
// write log, allocator/write_log.h) and a comparison of main_arena, mp_, global_max_fast and the
// tcache struct with the copies taken after the previous op. A list's new shape is followed from
// its head only through what changed: unchanged stretches are skipped using the labels, so "every
// free chunk is in exactly one bin", loops and lost chunks are decided in O(changes).
//
// The first check (and any check after the heap moved, the log overflowed, or a violation) is a
// full check that builds this state. Freestanding, like the rest of oracle/check.
#ifndef HEAPTWIN_ORACLE_CHECK_INCREMENTAL_H_
#define HEAPTWIN_ORACLE_CHECK_INCREMENTAL_H_

#include <cstdint>

#include "oracle/check/chunk_map.h"
#include "oracle/check/full_check.h"
#include "oracle/check/node_table.h"
#include "oracle/check/op_sets.h"
#include "oracle/check/region.h"
#include "oracle/check/types.h"

namespace heaptwin::check {

struct IncrementalStats {
  uint64_t incremental = 0;  // checks done incrementally
  uint64_t full = 0;         // full checks (the first, and those forced by a change of place,
                             // a log that overflowed, or full_check())
  uint64_t relabels = 0;     // lists relabelled from scratch
  uint64_t cached_ops = 0;   // of the incremental ones, a tcache or fastbin push or pop checked
                             // directly (cached_op.cc)
};

class IncrementalCheck {
 public:
  // Takes its tables from `region` (reserve ~1.5 GiB of address space: only what the heap needs
  // is touched). Heaps up to max_heap_bytes are checked incrementally; larger ones fully.
  bool init(Region* region, uint64_t max_heap_bytes = uint64_t{16} << 30);

  // Forgets the heap (a new run): the next check is a full one.
  void reset();

  // After an op. `written`: the addresses the op stored to (any order, repeats and addresses
  // outside the heap allowed); `complete`: false when that list is not complete (the log
  // overflowed), and then the check is a full one. Findings go into `out`; the first finding
  // leaves the state unusable, and the next check is a full one again.
  void check_op(const Reader& mem, const Where& where, const Layout& layout,
                const uint64_t* written, uint64_t written_count, bool complete, Findings* out);

  // A full check now, which also rebuilds the state unless `rebuild` is false (the heap's last
  // check: the state would go unused, and building it costs more than the check).
  void full_check(const Reader& mem, const Where& where, const Layout& layout, Findings* out,
                  bool rebuild = true);

  const IncrementalStats& stats() const { return stats_; }

 private:
  friend class OpCheck;

  bool same_place(const Where& w) const;
  void prime(const Reader& mem, const Where& where, const Layout& layout);
  bool prime_list(const Reader& mem, int list);

  // Tables kept across ops.
  FullCheck full_;
  ChunkMap map_;
  NodeTable nodes_;
  ChunkMap node_bits_;  // a bit per 16 bytes of heap: a node starts here (most lookups miss)
  // Per-op working lists, sized for the largest op checked incrementally (kMaxWrites stores).
  Array<uint64_t> addrs_;        // heap lines (16 bytes) written, sorted, no repeats
  Array<uint64_t> touched_;      // chunks whose header or words the op wrote
  Array<uint64_t> local_;        // chunks the local rules look at
  Array<uint64_t> unstarted_;    // chunk starts the op's headers erased
  Array<uint64_t> members_;      // binned chunks whose words the op changed
  Array<uint64_t> member_info_;  // per member: its list << 8 | what changed (member_info())
  Array<uint64_t> work_;         // per list: its changed members by label, then its runs
  Array<uint64_t> walk_;         // per list: the walk's records
  Array<uint64_t> removed_;      // (chunk, list) pairs taken out of a list
  Array<uint64_t> added_;        // (chunk, list, label) triples put into a list
  Array<uint64_t> recheck_;      // large-bin chunks whose nextsize links need checking
  Array<uint64_t> keys_;         // tcache entries whose key needs checking
  Array<uint64_t> sets_[5];      // storage of the op's hash sets (op_sets.h)
  AddrMap maps_[5];              // those sets, emptied in O(1) per op

  // Copies taken after the last check.
  unsigned char arena_[kMallocStateBytes];
  unsigned char mp_[kMallocParBytes];
  uint64_t max_fast_ = 0;
  unsigned char tcache_[kMaxTcacheStruct];
  Where where_;
  Layout layout_;
  uint64_t list_count_[kLists];
  uint64_t tcache_entries_ = 0;  // entries in all tcache bins
  uint64_t tcache_key_ = 0;      // their common key
  uint64_t max_heap_ = 0;
  bool primed_ = false;
  IncrementalStats stats_;
};

}  // namespace heaptwin::check

#endif  // HEAPTWIN_ORACLE_CHECK_INCREMENTAL_H_
