// The incremental check of the lists an op changed. A list is followed from its head through
// what changed only: from a chunk the list already held, the old list runs on unchanged up to the
// next member whose link the op rewrote, so the walk jumps there (the members' labels say which
// that is: list_labels.cc). Stretches the walk does not enter were taken out; chunks it meets that
// the list did not hold were put in. Loops show as a stretch entered twice. Then the list's rules,
// on what changed (list_rules.cc).
#include "oracle/check/incremental_op.h"

namespace heaptwin::check {

uint64_t OpCheck::next_now(const ListRef& l, uint64_t chunk) const {
  const uint64_t v = word(chunk + 0x10);
  switch (l.kind) {
    case BinKind::kRegular: return v;
    case BinKind::kFast: return layout_.safe_linking ? reveal_ptr(chunk + 0x10, v) : v;
    case BinKind::kTcache: {
      const uint64_t e = layout_.safe_linking ? reveal_ptr(chunk + 0x10, v) : v;
      return e == 0 ? 0 : e - 0x10;
    }
    default: return 0;
  }
}

uint64_t OpCheck::tcache_link(const ListRef& l, uint64_t from) const {
  if (from == 0)
    return load<uint64_t>(tc_, layout_.tcache_entries + 8 * static_cast<uint64_t>(l.index));
  const uint64_t v = word(from + 0x10);
  return layout_.safe_linking ? reveal_ptr(from + 0x10, v) : v;
}

uint64_t OpCheck::changed_fields(const ListRef& l, const Node& n) const {
  uint64_t c[6];
  if (!read_words(n.addr, c, 6)) return kNextChanged;  // unreadable: let the walk report it
  Node now = n;
  fill_node(l, layout_, c, &now);
  uint64_t flags = 0;
  if (now.next != n.next) flags |= kNextChanged;
  // A tcache next of 0x10 fills in as 0, the end: it changed (to a bad pointer) all the same.
  if (l.kind == BinKind::kTcache && tcache_link(l, n.addr) != (n.next == 0 ? 0 : n.next + 0x10))
    flags |= kNextChanged;
  if (now.prev != n.prev) flags |= kBkChanged;
  if (now.size != n.size) flags |= kSizeChanged;
  if (now.fd_nextsize != n.fd_nextsize || now.bk_nextsize != n.bk_nextsize) flags |= kNsChanged;
  if (now.key != n.key) flags |= kKeyChanged;
  // A small chunk in the unsorted bin has no nextsize links, but a size change can make it large.
  if (l.kind == BinKind::kRegular && l.index == 1 && (c[4] != 0 || c[5] != 0)) flags |= kNsChanged;
  return flags;
}

// Binned chunks whose words the op wrote: a written word is the size (chunk + 8), a link
// (chunk + 0x10, 0x18) or a nextsize link (chunk + 0x20, 0x28) of at most three chunks.
void OpCheck::find_changed_members() {
  const Array<uint64_t>& addrs = s_.addrs_;  // sorted, no repeats
  s_.members_.clear();
  s_.member_info_.clear();
  // The addresses are sorted, so a candidate c was looked at before exactly when the last
  // 16-byte line looked at (prev) lies at or above it (and then within c + 0x20).
  uint64_t prev = 0;
  for (uint64_t i = 0; i < addrs.size(); ++i) {
    const uint64_t b = addrs[i] & ~kAlignMask;
    if (b == prev) continue;
    for (uint64_t back = 0; back <= 0x20; back += 0x10) {
      const uint64_t c = b - back;
      if (c < loc_.heap_base || c <= prev) break;
      const Node* n = find_node(c);
      if (n == nullptr) continue;
      const uint64_t flags = changed_fields(list_ref(layout_, loc_, n->list), *n);
      if (flags != 0) {
        s_.members_.push(c);
        s_.member_info_.push(static_cast<uint64_t>(n->list) << 8 | flags);
        mark_dirty(n->list);
      }
    }
    prev = b;
  }
}

void OpCheck::walk_changed_lists() {
  s_.removed_.clear();
  s_.added_.clear();
  s_.keys_.clear();
  removed_tcache_ = 0;
  key_changed_tcache_ = 0;
  for (int i = 0; i < dirty_count_; ++i) {
    const int id = dirty_ids_[i];
    list_new_count_[id] = s_.list_count_[id];
    relabel_[id] = false;
    if (id >= kBins - 1 && id < kFirstFastList) continue;
    if (id >= kFirstFastList + kFastBins && id < kFirstTcacheList) continue;
    const ListRef l = list_ref(layout_, loc_, id);
    if (l.kind == BinKind::kTcache &&
        reaches_cached_elsewhere(
            l,
            layout_.tcache_count_at(tc_, l.index, load<uint64_t>(mp_, layout_.mp_tcache_count)))) {
      overflow_ = true;  // a full check instead
      return;
    }
    walk_list(l);
  }
}

bool OpCheck::valid_link(const ListRef& l, uint64_t from, uint64_t t) {
  switch (l.kind) {
    case BinKind::kRegular: {
      if ((t & kAlignMask) != 0 || !in_heap(t, 0x30)) {
        Text m = r_.note("bin.bad_pointer", 0, 0, l.bin());
        at(m.add("the bin's list reaches "), t).add(" (from ");
        at(m, from).add("), not an aligned chunk inside the heap.");
        return false;
      }
      uint64_t c[6];
      if (!read_words(t, c, 6)) {
        Text m = r_.note("bin.bad_pointer", 0, 0, l.bin());
        at(m.add("the bin's list reaches unreadable memory at "), t).add(".");
        return false;
      }
      return true;
    }
    case BinKind::kFast: {
      if ((t & kAlignMask) != 0 || !in_heap(t, 0x18)) {
        Text m = r_.note("fastbin.bad_pointer", 0, 0, l.bin());
        m.add(layout_.safe_linking ? "the revealed " : "the ").add("next pointer ");
        if (from != 0) {
          at(m.add("of "), from);
        } else {
          m.add("in the head");
        }
        at(m.add(" is "), t).add(", not an aligned chunk inside the heap.");
        return false;
      }
      uint64_t c[3];
      return read_words(t, c, 3);  // the full check stops there without a finding too
    }
    case BinKind::kTcache: {
      const uint64_t e = t + 0x10;
      // Chunks cached from elsewhere (mmapped, another arena's) only the full check meets.
      if ((e & kAlignMask) == 0 && !in_heap(t, 0x20) && cached_elsewhere(l.index, t)) {
        overflow_ = true;
        return false;
      }
      if ((e & kAlignMask) != 0 || !in_heap(t, 0x20)) {
        Text m = r_.note("tcache.bad_pointer", 0, 0, l.bin());
        m.add(from != 0 && layout_.safe_linking ? "the revealed " : "the ").add("next pointer ");
        if (from != 0) {
          at(m.add("of "), from + 0x10);
        } else {
          m.add("in entries[]");
        }
        at(m.add(" is "), e).add(", not an aligned chunk inside the heap.");
        return false;
      }
      uint64_t c[4];
      return read_words(t, c, 4);
    }
    default: return false;
  }
}

void OpCheck::report_loop(const ListRef& l, uint64_t a) {
  const char* rule = l.kind == BinKind::kRegular ? "bin.cycle"
                     : l.kind == BinKind::kFast  ? "fastbin.cycle"
                                                 : "tcache.cycle";
  Text m = r_.note(rule, a, size_now(a), l.bin());
  at(m.add("the list comes back to "), a).add(": it loops.");
}

// The walk's records in s_.walk_, kRecordWords each: the chunk, the chunk before it in the list
// now (the head: l.head, 0 for fastbins and tcache), kEntry (a member the list held, where the
// walk entered an unchanged stretch) or kNew (a chunk the list did not hold), its label, and for an
// entry the label of the member that ends its stretch.
void OpCheck::walk_list(const ListRef& l) {
  Array<uint64_t>& d = s_.work_;
  Array<uint64_t>& rec = s_.walk_;
  d.clear();
  rec.clear();
  // D: the members whose link the op rewrote, by label. Its k members cut the old list into k + 1
  // stretches: stretch j ends at D[j] (the last one at the list's end).
  for (uint64_t i = 0; i < s_.members_.size(); ++i) {
    if (member_list(i) != l.id || !(member_flags(i) & kNextChanged)) continue;
    const uint64_t c = s_.members_[i];
    d.push(static_cast<uint64_t>(find_node(c)->label));
    d.push(c);
  }
  const uint64_t k = d.size() / 2;
  sort_pairs_by_signed_first(d.begin(), k);
  // Per stretch: entered?, the entry's label, the entry.
  const uint64_t runs = d.size();
  for (uint64_t j = 0; j <= k; ++j) {
    d.push(0);
    d.push(0);
    d.push(0);
  }
  auto d_label = [&](uint64_t j) { return static_cast<int64_t>(d[2 * j]); };
  auto d_addr = [&](uint64_t j) { return d[2 * j + 1]; };
  auto run = [&](uint64_t j) { return &d[runs + 3 * j]; };

  walk_info_.begin(k + 8);
  mismatch_ = false;
  const uint64_t end = l.head;  // what the last chunk's link holds
  const uint64_t max_steps = (loc_.heap_end - loc_.heap_base) / kMinSize + 1;
  uint64_t prev = l.head;
  uint64_t t = head_next_of(l, layout_, av_, tc_);
  uint64_t last = l.head;
  uint64_t steps = 0;
  uint64_t new_nodes = 0;
  uint64_t last_run = 0;
  bool broken = false;
  bool in_order = true;
  for (;;) {
    if (t == end) {
      // A tcache link of 0x10 names chunk 0, which reads as the end: a bad pointer, as the full
      // check says (valid_link reports it).
      if (l.kind == BinKind::kTcache && tcache_link(l, prev) != 0) {
        valid_link(l, prev, t);
        broken = true;
        break;
      }
      last = prev;
      break;
    }
    if (!valid_link(l, prev, t)) {
      broken = true;
      break;
    }
    const Node* n = find_node(t);
    if (n != nullptr && n->list == l.id && !walk_info_.get(t)) {
      // A member: the walk enters stretch j here and follows it unchanged to D[j].
      uint64_t lo = 0, hi = k;
      while (lo < hi) {
        const uint64_t mid = (lo + hi) / 2;
        if (d_label(mid) < n->label) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      const uint64_t j = lo;
      uint64_t* r = run(j);
      check_bk(l, t, prev);  // before a loop is reported: the full check meets it first
      if (r[0] != 0) {
        // Entered twice: the first chunk met twice is this one, or the earlier entry.
        report_loop(l, static_cast<int64_t>(r[1]) <= n->label ? t : r[2]);
        broken = true;
        break;
      }
      r[0] = 1;
      r[1] = static_cast<uint64_t>(n->label);
      r[2] = t;
      if (j + 1 < last_run) in_order = false;  // stretches out of their old order
      last_run = j + 1;
      walk_info_.put(t, rec.size());
      const int64_t end_label = j < k ? d_label(j) : INT64_MAX;
      rec.push(t);
      rec.push(prev);
      rec.push(kEntry);
      rec.push(static_cast<uint64_t>(n->label));
      rec.push(static_cast<uint64_t>(end_label));
      if (j == k) {  // the stretch runs to the list's end, which the old head's bk names
        if (l.kind == BinKind::kRegular)
          last = load<uint64_t>(s_.arena_, layout_.bins + (l.index - 1) * 0x10 + 8);
        break;
      }
      prev = d_addr(j);
      t = next_now(l, prev);
      continue;
    }
    check_bk(l, t, prev);
    if (walk_info_.get(t) || ++steps > max_steps) {
      report_loop(l, t);
      broken = true;
      break;
    }
    walk_info_.put(t, rec.size());
    rec.push(t);
    rec.push(prev);
    rec.push(kNew);
    rec.push(0);
    rec.push(0);
    ++new_nodes;
    prev = t;
    t = next_now(l, t);
  }
  if (walk_info_.failed() || rec.size() >= rec.capacity()) {
    overflow_ = true;
    return;
  }
  // A list that breaks (a bad link, a loop) still holds what the walk met before, as for the
  // full check; what it did not meet left the list.

  // The stretches the walk did not enter, and the start of those it entered late, were taken out.
  removed_begin_ = s_.removed_.size();
  const uint64_t old_count = s_.list_count_[l.id];
  uint64_t removed = 0;
  uint64_t x = head_next_of(l, layout_, s_.arena_, s_.tcache_);
  for (uint64_t j = 0; j <= k; ++j) {
    if (j > 0) x = find_node(d_addr(j - 1))->next;
    const uint64_t* r = run(j);
    const uint64_t stop = r[0] != 0 ? r[2] : (j < k ? d_addr(j) : end);
    uint64_t guard = 0;
    while (x != stop && x != end && guard++ <= old_count) {
      const Node* n = find_node(x);
      if (n == nullptr || n->list != l.id) break;
      take_out(l, x);
      ++removed;
      x = n->next;
    }
    if (r[0] == 0 && j < k) {
      take_out(l, d_addr(j));
      ++removed;
    }
  }
  list_new_count_[l.id] = old_count - removed + new_nodes;
  if (!broken) {
    if (!in_order) relabel_[l.id] = true;
    assign_labels(l);
    if (relabel_[l.id]) relabel(l);
  }
  list_rules(l, last, broken);
  if (l.kind == BinKind::kRegular && l.index >= 64) large_bin_rules(l, last, broken);
  for (uint64_t i = 0; i < rec.size(); i += kRecordWords) {
    if (rec[i + 2] != kNew) continue;
    s_.added_.push(rec[i]);
    s_.added_.push(static_cast<uint64_t>(l.id));
    s_.added_.push(rec[i + 3]);
  }
}

void OpCheck::take_out(const ListRef& l, uint64_t chunk) {
  s_.removed_.push(chunk);
  s_.removed_.push(static_cast<uint64_t>(l.id));
  walk_info_.put(chunk, kRemovedMark);
  if (l.kind == BinKind::kTcache) ++removed_tcache_;
}

}  // namespace heaptwin::check
