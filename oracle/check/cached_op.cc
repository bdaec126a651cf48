// The incremental check's most common ops, checked directly: a tcache list or a fastbin gains a
// chunk at its head (a free into it) or loses its head (a malloc from it), and nothing else
// changes. Three ops in four of a long Program are such an op (two in three a tcache one). The
// general check (update_chunk_map, the list walk, the membership and local rules, apply) spends
// several thousand instructions on one; here the same rules are decided from the few words
// involved.
//
// The op is taken here only when its shape is exactly that: one list changed (a tcache list of a
// small bin and no other arenas, or a fastbin), main_arena unchanged but for that fastbin's head
// and have_fastchunks, the same heap end, global_max_fast and mp_'s tcache fields, every store in
// the one line of the chunk's link (and key), no other binned chunk in that line, and the
// chunk's link, the count and the labels what a push or a pop leaves. Each rule the general check
// would run on it is then checked: the tcache count (against the list and mp_, check_tcache_count)
// and key, the chunk's size class, a fastbin against global_max_fast and have_fastchunks, that
// the chunk is a chunk start below top and in no other bin, and chunk_rules on it (flags, footer,
// in use). Anything else, or any finding, leaves the op to the general check, which reports it as
// before: findings never come from here.
#include "oracle/check/incremental_op.h"

namespace heaptwin::check {

bool OpCheck::cached_op(const uint64_t* written, uint64_t count) {
  if (dirty_count_ != 1 || dirty_ids_[0] < kFirstFastList) return false;
  const int id = dirty_ids_[0];
  const bool tcache = id >= kFirstTcacheList;
  const ListRef l = list_ref(layout_, loc_, id);
  if (tcache && (l.index >= 64 || loc_.other_arenas)) return false;  // nothing from elsewhere
  if (loc_.heap_end != s_.where_.heap_end || max_fast_ != s_.max_fast_) return false;
  // main_arena: unchanged, but for a fastbin op that bin's head and have_fastchunks.
  for (uint64_t k = 0; k < kArenaMasks; ++k) {
    uint64_t m = arena_diff_[k];
    if (!tcache) {
      const uint64_t head_word = layout_.fastbins / 8 + static_cast<uint64_t>(l.index);
      if (head_word / 64 == k) m &= ~(uint64_t{1} << (head_word % 64));
      if (layout_.have_fastchunks >= 0) {
        const uint64_t have_word = static_cast<uint64_t>(layout_.have_fastchunks) / 8;
        if (have_word / 64 == k) m &= ~(uint64_t{1} << (have_word % 64));
      }
    }
    if (m != 0) return false;
  }
  const uint64_t tcache_bins = load<uint64_t>(mp_, layout_.mp_tcache_bins);
  const uint64_t tcache_count = load<uint64_t>(mp_, layout_.mp_tcache_count);
  const uint64_t max_bytes = load<uint64_t>(mp_, layout_.mp_tcache_max_bytes);
  if (tcache_bins != load<uint64_t>(s_.mp_, layout_.mp_tcache_bins) ||
      tcache_count != load<uint64_t>(s_.mp_, layout_.mp_tcache_count) ||
      max_bytes != load<uint64_t>(s_.mp_, layout_.mp_tcache_max_bytes)) {
    return false;
  }
  // Every store in one 16-byte line of the heap, where no chunk starts and no other binned chunk
  // has words (find_changed_members' other candidates). A fastbin pop stores nothing.
  const uint64_t line = count != 0 ? written[0] & ~kAlignMask : 0;
  for (uint64_t i = 1; i < count; ++i) {
    if ((written[i] & ~kAlignMask) != line) return false;
  }
  if (count != 0) {
    if (!in_heap(line, 0x10) || line < loc_.heap_base + 0x10 || s_.map_.test(line)) return false;
    if (find_node(line) != nullptr || find_node(line - 0x20) != nullptr) return false;
  } else if (tcache) {
    return false;  // a tcache pop stores the key
  }

  const uint64_t old_head = head_next_of(l, layout_, s_.arena_, s_.tcache_);
  const uint64_t new_head = head_next_of(l, layout_, av_, tc_);
  const uint64_t count_now = tcache ? layout_.tcache_count_at(tc_, l.index, tcache_count) : 0;
  const uint64_t listed = s_.list_count_[id];
  const bool push = count != 0 && new_head != 0 && line == new_head + 0x10;
  const uint64_t chunk = push ? new_head : old_head;
  // A link as stored, revealed, for a list whose next chunk is `next` (0: the end). A tcache link
  // points at the chunk's next field: 0x10 is no end.
  auto link_to = [&](uint64_t next) { return tcache && next != 0 ? next + 0x10 : next; };
  uint64_t c[6] = {};
  int64_t label = 0;
  if (push) {
    // The chunk: in no list, a chunk start below top, in the size class of the list, linked to
    // the old head (tcache: with the key the other entries have, the count one more).
    if (find_node(chunk) != nullptr || chunk >= top_ || !s_.map_.test(chunk)) return false;
    if (!in_heap(chunk, 0x30) || !read_words(chunk, c, 6)) return false;
    const uint64_t e = layout_.safe_linking ? reveal_ptr(chunk + 0x10, c[2]) : c[2];
    if (e != link_to(old_head)) return false;
    const uint64_t size = c[1] & ~kFlagBits;
    if (tcache) {
      if (tcache_bin_for(size, layout_.tcache_bins) != l.index) return false;
      if (count_now != listed + 1) return false;
      if (s_.tcache_entries_ > 0 && c[3] != s_.tcache_key_) return false;
      if (!layout_.key_is_random && c[3] != loc_.tcache) return false;
    } else if (fastbin_index(size) != l.index) {
      return false;
    }
    // Its label: before the old head's, as assign_labels gives it (or the list is relabelled:
    // the general check's business).
    label = static_cast<int64_t>(kLabelGap);
    if (old_head != 0) {
      const Node* o = find_node(old_head);
      if (o == nullptr || o->list != id) return false;
      const __int128 v = static_cast<__int128>(o->label) - static_cast<__int128>(kLabelGap);
      if (v <= static_cast<__int128>(INT64_MIN) + 1) return false;
      label = static_cast<int64_t>(v);
    }
  } else {
    // The old head leaves: the list now starts at its next (tcache: the count one less).
    if (old_head == 0 || (count != 0 && line != old_head + 0x10)) return false;
    const Node* o = find_node(old_head);
    if (o == nullptr || o->list != id || new_head != o->next) return false;
    if (tcache && (count_now + 1 != listed || tcache_link(l, 0) != link_to(o->next))) return false;
  }
  // The rules on what remains, as the general check runs them: a tcache count against mp_, a
  // fastbin against global_max_fast and have_fastchunks, and the chunk against its neighbours
  // and the list that holds it now (none after a pop).
  const size_t before = out_->size();
  if (tcache) {
    check_tcache_count(
        r_, l.index, count_now,
        load<uint64_t>(tc_, layout_.tcache_entries + 8 * static_cast<uint64_t>(l.index)),
        tcache_bins_in_use(tcache_bins, max_bytes, layout_.tcache_bins), tcache_count);
  } else {
    if (new_head != 0 && l.index > fastbin_index(max_fast_)) return false;  // beyond_max_fast
    bool any = false;
    for (int i = 0; i < kFastBins; ++i) any = any || load<uint64_t>(av_, layout_.fastbins + 8 * i);
    if (any && layout_.have_fastchunks >= 0 && load<int32_t>(av_, layout_.have_fastchunks) == 0)
      return false;
  }
  changes_.begin(4);
  changes_.put(chunk, push ? static_cast<uint64_t>(id) : 0);
  chunk_rules(chunk);
  if (out_->size() != before || changes_.failed()) {
    out_->truncate(before);
    return false;
  }

  // Clean: the state after it (apply's, for this one chunk).
  tcache_entries_after_ = s_.tcache_entries_;
  tcache_key_after_ = s_.tcache_key_;
  if (push) {
    Node* n = s_.nodes_.insert(chunk);
    if (n == nullptr) {
      s_.primed_ = false;  // the table is full: the next check is a full one
      return true;
    }
    s_.node_bits_.set(chunk);
    n->list = static_cast<uint16_t>(id);
    n->label = label;
    fill_node(l, layout_, c, n);
    s_.list_count_[id] = listed + 1;
    if (tcache) {
      tcache_entries_after_ = s_.tcache_entries_ + 1;
      tcache_key_after_ = c[3];
    }
  } else {
    s_.nodes_.erase(chunk);
    s_.node_bits_.clear(chunk);
    s_.list_count_[id] = listed - 1;
    if (tcache) {
      tcache_entries_after_ = s_.tcache_entries_ - 1;
      tcache_key_after_ = tcache_entries_after_ != 0 ? s_.tcache_key_ : 0;
    }
  }
  copy_state();
  s_.where_ = loc_;
  s_.tcache_entries_ = tcache_entries_after_;
  s_.tcache_key_ = tcache_key_after_;
  ++s_.stats_.cached_ops;
  return true;
}

}  // namespace heaptwin::check
