// After a clean op: the incremental check's state becomes the heap's (the node table, the lists'
// lengths, the copies of main_arena, mp_, global_max_fast and the tcache struct). The chunk map
// is already up to date.
#include "oracle/check/incremental_op.h"

#include <cstring>

#include "oracle/check/word_diff.h"

namespace heaptwin::check {

void OpCheck::apply() {
  NodeTable& nodes = s_.nodes_;
  const Array<uint64_t>& removed = s_.removed_;
  const Array<uint64_t>& added = s_.added_;
  for (uint64_t i = 0; i < removed.size(); i += 2) {
    uint64_t list = 0;
    changes_.get(removed[i], &list);
    if (list == 0) {
      nodes.erase(removed[i]);
      s_.node_bits_.clear(removed[i]);
    }
  }
  for (uint64_t i = 0; i < added.size(); i += 3) {
    Node* n = nodes.insert(added[i]);
    uint64_t c[6];
    if (n == nullptr || !read_words(added[i], c, 6) || !s_.map_.test_any(added[i])) {
      s_.primed_ = false;  // the table is full: the next check is a full one
      return;
    }
    const ListRef l = list_ref(layout_, loc_, static_cast<int>(added[i + 1]));
    s_.node_bits_.set(added[i]);
    n->list = static_cast<uint16_t>(l.id);
    n->label = static_cast<int64_t>(added[i + 2]);
    fill_node(l, layout_, c, n);
  }
  // Members that stayed where they were: their words now.
  for (uint64_t i = 0; i < s_.members_.size(); ++i) {
    Node* n = find_node(s_.members_[i]);
    uint64_t c[6];
    if (n == nullptr || !read_words(n->addr, c, 6)) continue;
    fill_node(list_ref(layout_, loc_, n->list), layout_, c, n);
  }
  for (int i = 0; i < dirty_count_; ++i)
    s_.list_count_[dirty_ids_[i]] = list_new_count_[dirty_ids_[i]];
  copy_state();
  s_.max_fast_ = max_fast_;
  s_.where_ = loc_;
  s_.tcache_entries_ = tcache_entries_after_;
  s_.tcache_key_ = tcache_key_after_;
}

// The copies of main_arena, mp_ and the tcache struct become what they are now: of main_arena and
// the tcache struct only the words read_state found changed (copying the whole of them, or the
// parts outside the bins, was 3% of a check).
void OpCheck::copy_state() {
  auto copy = [](const uint64_t* masks, uint64_t count, unsigned char* to,
                 const unsigned char* from) {
    for (uint64_t k = 0; k < count; ++k) {
      for (uint64_t m = masks[k]; m != 0; m &= m - 1) {
        const uint64_t w = 64 * k + static_cast<uint64_t>(__builtin_ctzll(m));
        std::memcpy(to + 8 * w, from + 8 * w, 8);
      }
    }
  };
  copy(arena_diff_, kArenaMasks, s_.arena_, av_);
  std::memcpy(s_.mp_, mp_, kMallocParBytes);
  if (layout_.tcache && loc_.tcache != 0) {
    copy(tcache_diff_, (layout_.tcache_struct_bytes() / 8 + 63) / 64, s_.tcache_, tc_);
  } else {
    std::memcpy(s_.tcache_, tc_, layout_.tcache_struct_bytes());
  }
}

OpCheck::Result OpCheck::run(const uint64_t* written, uint64_t count) {
  if (!read_state()) return Result::kFull;
  const size_t before = out_->size();
  {
    FullCheckRun top(&s_.full_, mem_, loc_, layout_, out_);
    if (!top.top_rules(av_, max_fast_, load<uint64_t>(mp_, layout_.mp_sbrk_base), heap_)) {
      return out_->size() != before ? Result::kFound : Result::kFull;
    }
  }
  if (!s_.map_.covers(loc_.heap_base, loc_.heap_end)) return Result::kFull;
  if (out_->size() == before && cached_op(written, count)) return Result::kClean;
  update_chunk_map(written, count);
  find_changed_members();
  walk_changed_lists();
  if (overflow_) return Result::kFull;
  counter_rules();
  resolve_membership();
  local_rules();
  if (touched_set_.failed() || local_set_.failed() || changes_.failed() ||
      s_.removed_.size() + 2 > s_.removed_.capacity() ||
      s_.added_.size() + 3 > s_.added_.capacity()) {
    return Result::kFull;
  }
  if (out_->size() != before) return Result::kFound;
  apply();
  return Result::kClean;
}

}  // namespace heaptwin::check
