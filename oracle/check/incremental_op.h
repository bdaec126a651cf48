// One incremental check (incremental.h): the state of one op's check and its parts, each in the
// file named for its concept. Private to oracle/check.
#ifndef HEAPTWIN_ORACLE_CHECK_INCREMENTAL_OP_H_
#define HEAPTWIN_ORACLE_CHECK_INCREMENTAL_OP_H_

#include <cstdint>
#include <cstring>

#include "oracle/check/full_check_run.h"
#include "oracle/check/incremental.h"
#include "oracle/check/op_sets.h"

namespace heaptwin::check {

// Where a list sits: its head's words in main_arena or the tcache struct, and how its links
// are read.
struct ListRef {
  int id;  // 1..kLists-1 (node_table.h)
  BinKind kind;
  int index;      // regular 1..126, fast 0..9, tcache 0..63
  uint64_t head;  // regular: bin_at(i), the value its last chunk's fd holds; others: 0
  BinId bin() const { return BinId{kind, index}; }
};

// What changed in a member, from its words now against its node (flags).
inline constexpr uint64_t kNextChanged = 1, kBkChanged = 2, kSizeChanged = 4, kNsChanged = 8,
                          kKeyChanged = 16;
// A walk record: chunk, the chunk before it now, kEntry or kNew, its label, end label (entries).
inline constexpr uint64_t kRecordWords = 5;
inline constexpr uint64_t kEntry = 1, kNew = 2;
inline constexpr uint64_t kRemovedMark = ~uint64_t{0};  // walk_info_: taken out of the list
// Labels along a list freshly labelled (list_labels.cc): 1, 2, 3... times this.
inline constexpr uint64_t kLabelGap = uint64_t{1} << 32;

class OpCheck {
 public:
  enum class Result { kClean, kFound, kFull };

  OpCheck(IncrementalCheck* self, const Reader& mem, const Where& where, const Layout& layout,
          Findings* out);
  // kClean: no violation, and the state is updated; kFound: findings in out; kFull: this op
  // cannot be checked incrementally (the caller runs a full check).
  Result run(const uint64_t* written, uint64_t count);

  // Shared with IncrementalCheck::prime.
  static ListRef list_ref(const Layout& layout, const Where& where, int id);
  // The first chunk of list l by the head words in av (main_arena) and tc (the tcache struct);
  // the head itself (regular) or 0 when empty.
  static uint64_t head_next_of(const ListRef& l, const Layout& layout, const unsigned char* av,
                               const unsigned char* tc);
  // n's fields from the chunk's first six words.
  static void fill_node(const ListRef& l, const Layout& layout, const uint64_t* c, Node* n);

 private:
  // ---- incremental.cc: main_arena, mp_ and the tcache struct against the copies -------------
  bool read_state();
  // ---- chunk_map_update.cc: the chunk map from the headers the op wrote ----------------------
  bool update_chunk_map(const uint64_t* written, uint64_t count);
  void touch(uint64_t chunk);
  // ---- list_walk.cc: each list the op changed, followed through its changes ------------------
  void find_changed_members();
  uint64_t changed_fields(const ListRef& l, const Node& n) const;
  // Member i's list and what changed in it (kNextChanged...), kept beside it: no lookups.
  int member_list(uint64_t i) const { return static_cast<int>(s_.member_info_[i] >> 8); }
  uint64_t member_flags(uint64_t i) const { return s_.member_info_[i] & 0xff; }
  void walk_changed_lists();
  void walk_list(const ListRef& l);
  void take_out(const ListRef& l, uint64_t chunk);
  bool valid_link(const ListRef& l, uint64_t from, uint64_t t);
  uint64_t next_now(const ListRef& l, uint64_t chunk) const;
  // A tcache list's link as stored, revealed: entries[] (from == 0) or from's next.
  uint64_t tcache_link(const ListRef& l, uint64_t from) const;
  void report_loop(const ListRef& l, uint64_t at);
  uint64_t pred_of(uint64_t chunk);
  bool in_list_now(const ListRef& l, uint64_t chunk);
  // ---- list_labels.cc: the members' order labels ---------------------------------------------
  void assign_labels(const ListRef& l);
  void relabel(const ListRef& l);
  int64_t label_of(uint64_t chunk);
  // ---- list_rules.cc: a walked list's rules on what changed ----------------------------------
  void list_rules(const ListRef& l, uint64_t last, bool broken);
  void check_bk(const ListRef& l, uint64_t c, uint64_t pred);
  // ---- large_bin_links.cc: order and the nextsize skip list, locally -------------------------
  void large_bin_rules(const ListRef& l, uint64_t last, bool broken);
  bool leader(const ListRef& l, uint64_t x);
  struct Place {
    bool in_list;   // in_list_now
    uint64_t pred;  // pred_of
    int64_t label;  // label_of
  };
  Place place_of(const ListRef& l, uint64_t c);
  bool nextsize_ok(const ListRef& l, uint64_t x, uint64_t first, uint64_t last);
  // ---- local_rules.cc: chunks against their neighbours and their bins; counters --------------
  void counter_rules();
  void resolve_membership();
  uint64_t list_after(uint64_t chunk);
  void local_rules();
  void chunk_rules(uint64_t c);
  // ---- cached_op.cc: the common ops, a tcache or fastbin push or pop, checked directly -------
  // True when the op was that, clean, and the state is updated; false (nothing changed, nothing
  // reported) leaves the op to the general check.
  bool cached_op(const uint64_t* written, uint64_t count);
  // ---- apply.cc: the state after a clean op ---------------------------------------------------
  void apply();
  void copy_state();

  // Heap words: straight from memory when the Reader gives the heap directly (in-process: the
  // twin, the drop-in library), else through it.
  bool read_words(uint64_t chunk, uint64_t* w, int n) const {
    const uint64_t bytes = 8 * static_cast<uint64_t>(n);
    if (heap_ != nullptr && in_heap(chunk, bytes)) {
      std::memcpy(w, heap_ + (chunk - loc_.heap_base), bytes);
      return true;
    }
    return mem_.read(chunk, w, bytes);
  }
  uint64_t word(uint64_t a) const {
    uint64_t v = 0;
    if (heap_ != nullptr && in_heap(a, 8)) {
      std::memcpy(&v, heap_ + (a - loc_.heap_base), 8);
    } else {
      mem_.read(a, &v, 8);
    }
    return v;
  }
  uint64_t size_now(uint64_t c) const { return word(c + 8) & ~kFlagBits; }
  bool reaches_cached_elsewhere(const ListRef& l, uint64_t count) const;
  // Whether chunk c outside the heap, in tcache bin `index`, is a readable chunk the check stops
  // at (types.h: cached_from_elsewhere).
  bool cached_elsewhere(int index, uint64_t c) const {
    uint64_t w[4];
    return mem_.read(c, w, sizeof w) && cached_from_elsewhere(loc_, index, w[1]);
  }
  // The node of chunk c, or nullptr: the bit first, the table only on a hit.
  Node* find_node(uint64_t c) const {
    return s_.node_bits_.test_any(c) ? s_.nodes_.find(c) : nullptr;
  }
  bool in_heap(uint64_t addr, uint64_t bytes) const {
    return addr >= loc_.heap_base && addr < loc_.heap_end && loc_.heap_end - addr >= bytes;
  }
  Text& at(Text& t, uint64_t a) const { return r_.at(t, a); }

  IncrementalCheck& s_;
  const Reader& mem_;
  const Where& loc_;
  const Layout& layout_;
  Findings* out_;
  Reporter r_;

  // main_arena, mp_ and the tcache struct now: the memory itself when the Reader gives it
  // directly (in-process), else copies in the buffers below.
  const unsigned char* heap_ = nullptr;  // the heap's bytes, when the Reader gives them directly
  const unsigned char* av_ = nullptr;
  const unsigned char* mp_ = nullptr;
  const unsigned char* tc_ = nullptr;
  uint64_t max_fast_ = 0;
  unsigned char av_buf_[kMallocStateBytes];
  unsigned char mp_buf_[kMallocParBytes];
  unsigned char tc_buf_[kMaxTcacheStruct];
  // Which words of main_arena and of the tcache struct differ from the copies (read_state): bit
  // w % 64 of [w / 64] for word w. apply copies these back.
  static constexpr uint64_t kArenaWords = kMallocStateBytes / 8;
  static_assert(kMallocStateBytes % 8 == 0 && kMaxTcacheStruct % 8 == 0, "whole words");
  static constexpr uint64_t kArenaMasks = (kArenaWords + 63) / 64;
  uint64_t arena_diff_[kArenaMasks];
  uint64_t tcache_diff_[(kMaxTcacheStruct / 8 + 63) / 64];
  // Whether read_state found any word of main_arena's bytes [off, off + n) changed.
  bool arena_changed(uint64_t off, uint64_t n) const {
    for (uint64_t w = off / 8; w < (off + n + 7) / 8 && w < kArenaWords; ++w) {
      if (arena_diff_[w / 64] >> (w % 64) & 1) return true;
    }
    return false;
  }
  uint64_t top_ = 0, old_top_ = 0;
  bool walk_broken_ = false;  // the chunk map could not be followed: skip what needs it
  bool overflow_ = false;     // a working list ran out of room: a full check instead

  AddrMap& touched_set_;  // chunks in touched_
  AddrMap& local_set_;    // chunks in local_
  AddrMap& walk_info_;    // per list: chunk -> its walk record, or kRemovedMark
  AddrMap& changes_;      // chunk -> list after the op (0: none), for chunks whose list changed
  AddrMap& recheck_set_;  // large-bin chunks already queued for a nextsize check
  uint64_t removed_begin_ = 0;
  bool mismatch_ = false;  // the current list's fd/bk mismatch is reported  // where the current
                           // list's entries start in s_.removed_
  // The lists the op changed: a flag per list and their ids, so per-op work follows the changes.
  void mark_dirty(int id) {
    if (!dirty_[id]) {
      dirty_[id] = true;
      dirty_ids_[dirty_count_++] = static_cast<uint16_t>(id);
    }
  }
  bool dirty_[kLists];
  uint16_t dirty_ids_[kLists];
  int dirty_count_ = 0;
  uint64_t list_new_count_[kLists];  // valid for dirty lists
  bool relabel_[kLists];             // valid for dirty lists
  uint64_t removed_tcache_ = 0;      // tcache entries taken out
  uint64_t key_changed_tcache_ = 0;  // entries that stayed but whose key changed
  uint64_t tcache_entries_after_ = 0;
  uint64_t tcache_key_after_ = 0;
};

// Inline: called for every chunk and list an op touches, from every file of the check.
inline uint64_t OpCheck::list_after(uint64_t chunk) {
  uint64_t list = 0;
  if (changes_.get(chunk, &list)) return list;
  const Node* n = find_node(chunk);
  return n != nullptr ? n->list : 0;
}

// The chunk before `chunk` in its (regular) list now: the walk's record, else the old bk (a
// member the walk did not record kept its place).
inline uint64_t OpCheck::pred_of(uint64_t chunk) {
  uint64_t i;
  if (walk_info_.get(chunk, &i) && i != kRemovedMark) return s_.walk_[i + 1];
  const Node* n = find_node(chunk);
  return n != nullptr ? n->prev : 0;
}

// Whether `chunk` is in list l after the op (for chunks the walk of l looked at, or members).
inline bool OpCheck::in_list_now(const ListRef& l, uint64_t chunk) {
  uint64_t i;
  if (walk_info_.get(chunk, &i)) return i != kRemovedMark;
  const Node* n = find_node(chunk);
  return n != nullptr && n->list == l.id;
}

inline ListRef OpCheck::list_ref(const Layout& layout, const Where& where, int id) {
  ListRef l;
  l.id = id;
  if (id < kFirstFastList) {
    l.kind = BinKind::kRegular;
    l.index = id;
    l.head = layout.bin_at(where.arena, id);
  } else if (id < kFirstTcacheList) {
    l.kind = BinKind::kFast;
    l.index = id - kFirstFastList;
    l.head = 0;
  } else {
    l.kind = BinKind::kTcache;
    l.index = id - kFirstTcacheList;
    l.head = 0;
  }
  return l;
}

inline uint64_t OpCheck::head_next_of(const ListRef& l, const Layout& layout,
                                      const unsigned char* av, const unsigned char* tc) {
  switch (l.kind) {
    case BinKind::kRegular: return load<uint64_t>(av, layout.bins + (l.index - 1) * 0x10);
    case BinKind::kFast: return load<uint64_t>(av, layout.fastbins + 8 * l.index);
    case BinKind::kTcache: {
      const uint64_t e = load<uint64_t>(tc, layout.tcache_entries + 8 * l.index);
      return e == 0 ? 0 : e - 0x10;
    }
    default: return 0;
  }
}

// c: the chunk's first six words (prev_size, size, fd, bk, fd_nextsize, bk_nextsize).
inline void OpCheck::fill_node(const ListRef& l, const Layout& layout, const uint64_t* c, Node* n) {
  n->size = c[1] & ~kFlagBits;
  n->prev = n->fd_nextsize = n->bk_nextsize = n->key = 0;
  switch (l.kind) {
    case BinKind::kRegular:
      n->next = c[2];
      n->prev = c[3];
      if (l.index >= 64) {
        n->fd_nextsize = c[4];
        n->bk_nextsize = c[5];
      }
      break;
    case BinKind::kFast:
      n->next = layout.safe_linking ? reveal_ptr(n->addr + 0x10, c[2]) : c[2];
      break;
    case BinKind::kTcache: {
      const uint64_t e = layout.safe_linking ? reveal_ptr(n->addr + 0x10, c[2]) : c[2];
      n->next = e == 0 ? 0 : e - 0x10;
      n->key = c[3];
      break;
    }
    default: break;
  }
}

}  // namespace heaptwin::check

#endif  // HEAPTWIN_ORACLE_CHECK_INCREMENTAL_OP_H_
