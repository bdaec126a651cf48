// The order labels of the incremental check's list members (node_table.h: Node::label):
// numbers that grow along each list, so that the walk (list_walk.cc) knows which stretch of the
// old list a member begins, and the nextsize rules (large_bin_links.cc) which of two chunks comes
// first. Chunks a list gained get labels between their neighbours'; a list whose gaps ran out is
// labelled anew.
#include "oracle/check/incremental_op.h"

namespace heaptwin::check {

// Labels for the chunks the walk met new, between the labels of what surrounds them: after the
// head they count down from the first member, before the end up from the last, between two
// members they share the gap (closer to the later member, where glibc's large-bin inserts of an
// existing size keep landing). A gap too small means the whole list is relabelled.
void OpCheck::assign_labels(const ListRef& l) {
  Array<uint64_t>& rec = s_.walk_;
  const int64_t kMin = INT64_MIN, kMax = INT64_MAX;
  int64_t lo = kMin;
  uint64_t chain = 0;  // index of the first record of the pending run of new chunks
  uint64_t m = 0;
  auto place = [&](int64_t hi) {
    if (m == 0) return;
    const __int128 gap = static_cast<__int128>(hi) - lo;
    for (uint64_t i = 0; i < m; ++i) {
      __int128 v;
      if (lo == kMin && hi == kMax) {
        v = static_cast<__int128>(i + 1) * kLabelGap;
      } else if (lo == kMin) {
        v = static_cast<__int128>(hi) - static_cast<__int128>(m - i) * kLabelGap;
      } else if (hi == kMax) {
        v = static_cast<__int128>(lo) + static_cast<__int128>(i + 1) * kLabelGap;
      } else {
        __int128 step = gap / static_cast<__int128>(m + 1);
        if (step > (static_cast<__int128>(1) << 20)) step = static_cast<__int128>(1) << 20;
        v = static_cast<__int128>(hi) - static_cast<__int128>(m - i) * step;
      }
      if (v <= lo || v >= hi || v <= kMin + 1 || v >= kMax - 1) relabel_[l.id] = true;
      rec[chain + kRecordWords * i + 3] = static_cast<uint64_t>(static_cast<int64_t>(v));
    }
    m = 0;
  };
  for (uint64_t i = 0; i < rec.size(); i += kRecordWords) {
    if (rec[i + 2] == kNew) {
      if (m == 0) chain = i;
      ++m;
      continue;
    }
    const int64_t label = static_cast<int64_t>(rec[i + 3]);
    if (label <= lo) relabel_[l.id] = true;
    place(label);
    lo = static_cast<int64_t>(rec[i + 4]);
  }
  place(kMax);
}

// Labels 1, 2, 3... times the gap along the list as it is now (the walk found it sound).
void OpCheck::relabel(const ListRef& l) {
  ++s_.stats_.relabels;
  Array<uint64_t>& rec = s_.walk_;
  uint64_t t = head_next_of(l, layout_, av_, tc_);
  int64_t label = 0;
  for (uint64_t guard = 0; t != l.head && guard <= list_new_count_[l.id]; ++guard) {
    label += static_cast<int64_t>(kLabelGap);
    uint64_t i = 0;
    const bool recorded = walk_info_.get(t, &i) && i != kRemovedMark;
    if (recorded) rec[i + 3] = static_cast<uint64_t>(label);
    if (!recorded || rec[i + 2] != kNew) {
      if (Node* n = find_node(t)) n->label = label;
    }
    t = next_now(l, t);
  }
  relabel_[l.id] = false;
}

int64_t OpCheck::label_of(uint64_t chunk) {
  uint64_t i;
  if (walk_info_.get(chunk, &i) && i != kRemovedMark) return static_cast<int64_t>(s_.walk_[i + 3]);
  const Node* n = find_node(chunk);
  return n != nullptr ? n->label : 0;
}

}  // namespace heaptwin::check
