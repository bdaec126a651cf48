// The rules of a list the incremental check walked (list_walk.cc), on what the op changed: the
// sizes of the chunks it gained or resized, p->fd->bk == p, the head's bk, and the tcache count.
// The nextsize skip list's rules are large_bin_links.cc's.
#include "oracle/check/incremental_op.h"

namespace heaptwin::check {

// p->fd->bk == p for a chunk c of regular list l whose predecessor is pred: the first mismatch
// of a list only, as the full check (a loop would repeat it).
void OpCheck::check_bk(const ListRef& l, uint64_t c, uint64_t pred) {
  if (mismatch_ || l.kind != BinKind::kRegular) return;
  const uint64_t bk = word(c + 0x18);
  if (bk == pred) return;
  mismatch_ = true;
  Text m = r_.note("bin.fd_bk_mismatch", c, size_now(c), l.bin());
  if (pred == l.head) {
    m.add("the bin head");
  } else {
    at(m, pred);
  }
  at(m.add("->fd is "), c).add(" but its bk is ");
  at(m, bk).add(".");
}

void OpCheck::list_rules(const ListRef& l, uint64_t last, bool broken) {
  Array<uint64_t>& rec = s_.walk_;
  // Sizes, for the chunks the list gained and the members whose size changed.
  auto size_rules = [&](uint64_t c) {
    uint64_t w[6];
    if (!read_words(c, w, 6)) return;
    const uint64_t size = w[1] & ~kFlagBits;
    switch (l.kind) {
      case BinKind::kRegular:
        if (l.index >= 2 && bin_index_for_size(size) != l.index) {
          Text m = r_.note("bin.wrong_bin", c, size, l.bin());
          m.add("a chunk of size ").hex(size).add(" belongs in ");
          add_bin_name(&m, BinId{BinKind::kRegular, bin_index_for_size(size)});
          m.add(".");
        }
        if (l.index == 1 && size >= kMinLargeSize && (w[4] != 0 || w[5] != 0)) {
          r_.note("unsorted.nextsize_set", c, size, l.bin())
              .add(
                  "a large chunk in the unsorted bin has fd_nextsize/bk_nextsize "
                  "set (glibc clears them before it links a chunk there).");
        }
        break;
      case BinKind::kFast:
        if (fastbin_index(size) != l.index) {
          r_.note("fastbin.wrong_size", c, size, l.bin())
              .add("a chunk of size ")
              .hex(size)
              .add(" in the fastbin for ")
              .hex(static_cast<uint64_t>(l.index + 2) << 4)
              .add(".");
        }
        break;
      case BinKind::kTcache:
        if (tcache_bin_for(size, layout_.tcache_bins) != l.index)
          note_tcache_wrong_size(r_, c, size, l.bin());
        s_.keys_.push(c);
        break;
      default: break;
    }
  };
  for (uint64_t i = 0; i < rec.size(); i += kRecordWords) {
    if (rec[i + 2] == kNew) size_rules(rec[i]);
  }
  for (uint64_t i = 0; i < s_.members_.size(); ++i) {
    const uint64_t c = s_.members_[i];
    const uint64_t f = member_flags(i);
    if (member_list(i) != l.id || !in_list_now(l, c)) continue;
    if (f & (kSizeChanged | kNsChanged)) {
      size_rules(c);
    } else if ((f & kKeyChanged) && l.kind == BinKind::kTcache) {
      s_.keys_.push(c);
    }
    if ((f & kKeyChanged) && l.kind == BinKind::kTcache) ++key_changed_tcache_;
  }

  if (broken) return;  // as the full check: no end to compare the head and the count with
  if (l.kind == BinKind::kRegular) {
    // p->fd->bk == p where the chunk before a chunk changed (checked during the walk) or its bk
    // was rewritten, and the head's bk is the last chunk.
    for (uint64_t i = 0; i < s_.members_.size(); ++i) {
      const uint64_t c = s_.members_[i];
      if (member_list(i) == l.id && (member_flags(i) & kBkChanged) && in_list_now(l, c) &&
          !walk_info_.get(c)) {
        check_bk(l, c, find_node(c)->prev);
      }
    }
    const uint64_t head_bk = load<uint64_t>(av_, layout_.bins + (l.index - 1) * 0x10 + 8);
    if (!mismatch_ && head_bk != last) {
      Text m = r_.note("bin.fd_bk_mismatch", last == l.head ? 0 : last, 0, l.bin());
      at(m.add("the last chunk of the bin is "), last).add(" but the head's bk is ");
      at(m, head_bk).add(".");
    }
  }
  if (l.kind == BinKind::kTcache) {
    const uint64_t count =
        layout_.tcache_count_at(tc_, l.index, load<uint64_t>(mp_, layout_.mp_tcache_count));
    // cached_bins.cc's note_tcache_count_mismatch, written out: a shared function called here
    // cost these per-op rules 0.6% more instructions (callgrind: the whole function's registers
    // change).
    if (list_new_count_[l.id] != count) {
      r_.note("tcache.count_mismatch", 0, 0, l.bin())
          .add("counts[")
          .dec(static_cast<uint64_t>(l.index))
          .add("] is ")
          .dec(count)
          .add(" but the list holds ")
          .dec(list_new_count_[l.id])
          .add(".");
    }
  }
}

// A large tcache bin (2.42+) may cache mmapped chunks, and with threads any bin chunks of their
// arenas, outside the heap, which the incremental state does not keep: whether the list,
// followed from its head for at most `count` entries, meets one (then the op is checked in full,
// which stops the list there).
bool OpCheck::reaches_cached_elsewhere(const ListRef& l, uint64_t count) const {
  if (l.index < 64 && !loc_.other_arenas) return false;
  uint64_t e = load<uint64_t>(tc_, layout_.tcache_entries + 8 * static_cast<uint64_t>(l.index));
  for (uint64_t i = 0; i <= count && e != 0 && (e & kAlignMask) == 0; ++i) {
    const uint64_t chunk = e - 0x10;
    if (!in_heap(chunk, 0x20)) return cached_elsewhere(l.index, chunk);
    e = layout_.safe_linking ? reveal_ptr(e, word(e)) : word(e);
  }
  return false;
}

}  // namespace heaptwin::check
