// The incremental check of a large bin's order and nextsize skip list, where the op changed it:
// sizes at every new adjacency, and the nextsize links of the chunks whose place, group or links
// changed, of the groups' first chunks those links name, and of the ring neighbours of first
// chunks the bin lost. A first chunk's links are checked against the list itself: fd_nextsize
// names the first chunk after its size group (the bin's first chunk after the last group),
// bk_nextsize the first chunk of the group before it (of the last group, from the first).
#include "oracle/check/incremental_op.h"

namespace heaptwin::check {

// Whether x is the first chunk of its size in its list.
bool OpCheck::leader(const ListRef& l, uint64_t x) {
  const uint64_t p = pred_of(x);
  return p == l.head || size_now(p) != size_now(x);
}

// The rules below ask of one chunk whether it is in the list now, what comes before it and its
// label: one look-up for the three (in_list_now, pred_of and label_of each made two).
OpCheck::Place OpCheck::place_of(const ListRef& l, uint64_t c) {
  uint64_t i = 0;
  const bool walked = walk_info_.get(c, &i);
  if (walked && i != kRemovedMark) {
    return {true, s_.walk_[i + 1], static_cast<int64_t>(s_.walk_[i + 3])};
  }
  const Node* n = find_node(c);
  if (n == nullptr) return {false, 0, 0};
  return {!walked && n->list == l.id, n->prev, n->label};
}

bool OpCheck::nextsize_ok(const ListRef& l, uint64_t x, uint64_t first, uint64_t last) {
  uint64_t w[6];
  if (!read_words(x, w, 6)) return false;
  const uint64_t size = w[1] & ~kFlagBits, fd_ns = w[4], bk_ns = w[5];
  const Place px = place_of(l, x);
  // leader() of a chunk whose place is p and whose size is `c_size`.
  auto leads = [&](const Place& p, uint64_t c_size) {
    return p.pred == l.head || size_now(p.pred) != c_size;
  };
  if (!leads(px, size)) {
    if (fd_ns == 0 && bk_ns == 0) return true;
    Text m = r_.note("largebin.nextsize", x, size, l.bin());
    m.add("a chunk that is not the first of its size has fd_nextsize ");
    at(m, fd_ns).add(" and bk_nextsize ");
    at(m, bk_ns).add(" (both should be NULL).");
    return false;
  }
  const uint64_t last_size = size_now(last);
  bool ok_fd, ok_bk;
  if (fd_ns == first) {
    ok_fd = last_size == size;
  } else {
    const Place pf = place_of(l, fd_ns);
    ok_fd = pf.in_list && leads(pf, size_now(fd_ns)) && pf.label > px.label &&
            size_now(pf.pred) == size;
  }
  const Place pb = place_of(l, bk_ns);
  const bool bk_leads = pb.in_list && leads(pb, size_now(bk_ns));
  if (x == first) {
    ok_bk = bk_leads && size_now(bk_ns) == last_size;
  } else {
    ok_bk = bk_leads && pb.label < px.label && size_now(bk_ns) == size_now(px.pred);
  }
  if (ok_fd && ok_bk) return true;
  Text m = r_.note("largebin.nextsize", x, size, l.bin());
  m.add("the first chunk of size ").hex(size).add(" has fd_nextsize ");
  at(m, fd_ns).add(" and bk_nextsize ");
  at(m, bk_ns).add(
      ", which do not lead to the first chunks of the next smaller and the next larger size.");
  return false;
}

void OpCheck::large_bin_rules(const ListRef& l, uint64_t last, bool broken) {
  const Array<uint64_t>& rec = s_.walk_;
  bool unsorted = false;
  auto order = [&](uint64_t pred, uint64_t c) {
    if (pred == l.head || c == l.head) return;
    const uint64_t ps = size_now(pred), cs = size_now(c);
    if (cs <= ps) return;
    unsorted = true;
    r_.note("largebin.unsorted", c, cs, l.bin())
        .add("the large bin is not sorted by size (descending from head->fd): ")
        .hex(cs)
        .add(" follows ")
        .hex(ps)
        .add(".");
  };
  for (uint64_t i = 0; i < rec.size(); i += kRecordWords) order(rec[i + 1], rec[i]);
  for (uint64_t i = 0; i < s_.members_.size(); ++i) {
    const uint64_t c = s_.members_[i];
    if (member_list(i) != l.id || !(member_flags(i) & kSizeChanged) || !in_list_now(l, c)) continue;
    order(pred_of(c), c);
    order(c, word(c + 0x10));
  }
  // As the full check: the skip list of an unsorted or broken bin means nothing.
  if (unsorted || broken) return;

  const uint64_t first = head_next_of(l, layout_, av_, tc_);
  if (first == l.head) return;
  Array<uint64_t>& recheck = s_.recheck_;
  recheck.clear();
  AddrMap& seen = recheck_set_;
  seen.begin(rec.size() / kRecordWords + s_.members_.size() + 4);
  auto want = [&](uint64_t c) {
    if (c != 0 && c != l.head && seen.insert(c)) recheck.push(c);
  };
  for (uint64_t i = 0; i < rec.size(); i += kRecordWords) want(rec[i]);
  for (uint64_t i = 0; i < s_.members_.size(); ++i) {
    if (member_list(i) == l.id) want(s_.members_[i]);
  }
  for (uint64_t i = removed_begin_; i < s_.removed_.size(); i += 2) {
    const Node* n = find_node(s_.removed_[i]);
    if (n != nullptr && (n->fd_nextsize != 0 || n->bk_nextsize != 0)) {
      want(n->fd_nextsize);
      want(n->bk_nextsize);
    }
  }
  // The chunks to check, then (once) the first chunks their links name.
  const uint64_t direct = recheck.size();
  for (uint64_t i = 0; i < recheck.size(); ++i) {
    const uint64_t x = recheck[i];
    if (!in_list_now(l, x)) continue;
    const bool ok = nextsize_ok(l, x, first, last);
    if (ok && i < direct && leader(l, x)) {
      want(word(x + 0x20));
      want(word(x + 0x28));
    }
  }
}

}  // namespace heaptwin::check
