// The incremental check's rules about single chunks and the counters: which list holds each
// chunk after the op (and none twice), every touched chunk against its neighbours and its bin,
// and the binmap, fastbin and tcache counters the op changed.
#include "oracle/check/incremental_op.h"

namespace heaptwin::check {

void OpCheck::counter_rules() {
  // The binmap: a bin the op filled, or whose binmap word changed, has its bit.
  auto binmap_rule = [&](int i) {
    if (i < 2 || i >= kBins - 1) return;
    const uint64_t fd = load<uint64_t>(av_, layout_.bins + (i - 1) * 0x10);
    if (fd == layout_.bin_at(loc_.arena, i)) return;
    const uint32_t word = load<uint32_t>(av_, layout_.binmap + 4 * (i >> 5));
    if (!(word & (1u << (i & 31)))) {
      r_.note("binmap.clear_for_nonempty", 0, 0, BinId{BinKind::kRegular, i})
          .add("the bin is not empty but its binmap bit is clear.");
    }
  };
  for (int b = 0; b < 4 && arena_changed(layout_.binmap, 16); ++b) {
    if (load<uint32_t>(av_, layout_.binmap + 4 * b) ==
        load<uint32_t>(s_.arena_, layout_.binmap + 4 * b))
      continue;
    for (int i = 32 * b; i < 32 * b + 32; ++i) {
      if (!dirty_[i]) binmap_rule(i);
    }
  }
  bool fast_dirty = false, tcache_dirty = false;
  for (int k = 0; k < dirty_count_; ++k) {
    const int id = dirty_ids_[k];
    if (id < kFirstFastList) binmap_rule(id);
    fast_dirty = fast_dirty || (id >= kFirstFastList && id < kFirstTcacheList);
    tcache_dirty = tcache_dirty || id >= kFirstTcacheList;
  }
  // Fastbins against global_max_fast and have_fastchunks.
  const bool max_fast_changed = max_fast_ != s_.max_fast_;
  const bool have_changed =
      layout_.have_fastchunks >= 0 && load<int32_t>(av_, layout_.have_fastchunks) !=
                                          load<int32_t>(s_.arena_, layout_.have_fastchunks);
  if (layout_.fastbins_exist && (max_fast_changed || fast_dirty || have_changed)) {
    bool any = false;
    const int max_fast_bin = fastbin_index(max_fast_);
    for (int i = 0; i < kFastBins; ++i) {
      const uint64_t p = load<uint64_t>(av_, layout_.fastbins + 8 * i);
      any = any || p != 0;
      if (p != 0 && i > max_fast_bin && (max_fast_changed || dirty_[kFirstFastList + i])) {
        r_.note("fastbin.beyond_max_fast", 0, 0, BinId{BinKind::kFast, i})
            .add("the fastbin is not empty but global_max_fast is ")
            .hex(max_fast_)
            .add(".");
      }
    }
    if (any && layout_.have_fastchunks >= 0 && load<int32_t>(av_, layout_.have_fastchunks) == 0) {
      r_.note("fastbin.have_fastchunks")
          .add("a fastbin holds chunks but av->have_fastchunks is false.");
    }
  }
  tcache_entries_after_ = s_.tcache_entries_;
  tcache_key_after_ = s_.tcache_key_;
  if (!layout_.tcache || loc_.tcache == 0) return;
  // The tcache's counts against mp_ and the bins in use.
  const uint64_t tcache_bins = load<uint64_t>(mp_, layout_.mp_tcache_bins);
  const uint64_t tcache_count = load<uint64_t>(mp_, layout_.mp_tcache_count);
  const bool mp_changed = tcache_bins != load<uint64_t>(s_.mp_, layout_.mp_tcache_bins) ||
                          load<uint64_t>(mp_, layout_.mp_tcache_max_bytes) !=
                              load<uint64_t>(s_.mp_, layout_.mp_tcache_max_bytes) ||
                          tcache_count != load<uint64_t>(s_.mp_, layout_.mp_tcache_count);
  if (!mp_changed && !tcache_dirty) return;
  uint64_t entries = s_.tcache_entries_;
  const uint64_t in_use = tcache_bins_in_use(
      tcache_bins, load<uint64_t>(mp_, layout_.mp_tcache_max_bytes), layout_.tcache_bins);
  auto count_rule = [&](int i) {
    const int id = kFirstTcacheList + i;
    if (dirty_[id]) entries = entries + list_new_count_[id] - s_.list_count_[id];
    const uint64_t count = layout_.tcache_count_at(tc_, i, tcache_count);
    const uint64_t e = load<uint64_t>(tc_, layout_.tcache_entries + 8 * i);
    check_tcache_count(r_, i, count, e, in_use, tcache_count);
  };
  if (mp_changed) {
    for (int i = 0; i < layout_.tcache_bins; ++i) count_rule(i);
  } else {
    // Only the bins the op changed (a walk over all 64 or 76 bins per op was 4% of the check),
    // in bin order as before, so findings come in the same order.
    int bins[kLists];
    int n = 0;
    for (int k = 0; k < dirty_count_; ++k) {
      const int i = dirty_ids_[k] - kFirstTcacheList;
      if (i < 0 || i >= layout_.tcache_bins) continue;
      int j = n++;
      for (; j > 0 && bins[j - 1] > i; --j) bins[j] = bins[j - 1];
      bins[j] = i;
    }
    for (int k = 0; k < n; ++k) count_rule(bins[k]);
  }
  // Keys: every entry the op added or whose key it wrote carries the key the others carry.
  const uint64_t gone = removed_tcache_ + key_changed_tcache_;
  const bool others = s_.tcache_entries_ > gone;
  uint64_t key = s_.tcache_key_;
  if (!others && !s_.keys_.empty()) key = word(s_.keys_[0] + 0x18);
  for (uint64_t i = 0; i < s_.keys_.size(); ++i) {
    const uint64_t c = s_.keys_[i];
    const uint64_t k = word(c + 0x18);
    if (k != key) {
      r_.note("tcache.key", c, size_now(c))
          .add("the entry's key ")
          .hex(k)
          .add(" differs from the other entries' ")
          .hex(key)
          .add(".");
    }
  }
  if (!layout_.key_is_random && !s_.keys_.empty() && key != loc_.tcache) {
    Text m = r_.note("tcache.key", s_.keys_[0], size_now(s_.keys_[0]));
    m.add("the entry's key is ").hex(key).add(", not the tcache struct ");
    at(m, loc_.tcache).add(".");
  }
  tcache_entries_after_ = entries;
  tcache_key_after_ = entries != 0 ? key : 0;
}

// Which list holds each chunk after the op; a chunk put into a list while another still holds it
// (or put into two) is in two bins.
void OpCheck::resolve_membership() {
  const Array<uint64_t>& removed = s_.removed_;
  const Array<uint64_t>& added = s_.added_;
  changes_.begin(removed.size() / 2 + added.size() / 3 + 4);
  for (uint64_t i = 0; i < removed.size(); i += 2) {
    if (!changes_.get(removed[i])) changes_.put(removed[i], 0);
  }
  for (uint64_t i = 0; i < added.size(); i += 3) {
    const uint64_t c = added[i], list = added[i + 1];
    const ListRef l = list_ref(layout_, loc_, static_cast<int>(list));
    uint64_t other = 0;
    if (!changes_.get(c, &other)) {
      const Node* n = find_node(c);
      other = n != nullptr ? n->list : 0;
    }
    if (other != 0) {
      Text m = r_.note("chunk.in_two_bins", c, size_now(c), l.bin());
      m.add("the chunk is also in ");
      add_bin_name(&m, list_ref(layout_, loc_, static_cast<int>(other)).bin());
      m.add(".");
    }
    changes_.put(c, list);
    if (!walk_broken_ && (c >= top_ || !s_.map_.test(c))) {
      Text m = r_.note("bin.not_a_chunk", c, size_now(c), l.bin());
      at(m.add("the bin holds "), c).add(", which is not the start of a chunk of the heap.");
    }
  }
  // Members whose chunk the op's headers swallowed.
  for (uint64_t i = 0; i < s_.unstarted_.size(); ++i) {
    const uint64_t c = s_.unstarted_[i];
    const uint64_t list = list_after(c);
    if (list == 0 || walk_broken_) continue;
    Text m = r_.note("bin.not_a_chunk", c, size_now(c),
                     list_ref(layout_, loc_, static_cast<int>(list)).bin());
    at(m.add("the bin holds "), c).add(", which is not the start of a chunk of the heap.");
  }
}

void OpCheck::local_rules() {
  if (walk_broken_) return;
  auto local = [&](uint64_t c) {
    if (local_set_.insert(c)) s_.local_.push(c);
  };
  for (uint64_t i = 0; i < s_.removed_.size(); i += 2) local(s_.removed_[i]);
  for (uint64_t i = 0; i < s_.added_.size(); i += 3) local(s_.added_[i]);
  for (uint64_t i = 0; i < s_.members_.size(); ++i) local(s_.members_[i]);
  for (uint64_t i = 0; i < s_.local_.size() && !r_.full(); ++i) chunk_rules(s_.local_[i]);
}

// One chunk: its header's flags and footer, and whether it is free against which bin holds it.
void OpCheck::chunk_rules(uint64_t c) {
  if (c >= top_ || c < loc_.heap_base || !s_.map_.test(c)) return;  // top, or no chunk (any more)
  uint64_t hdr[2];
  if (!read_words(c, hdr, 2)) return;
  const uint64_t size = hdr[1] & ~kFlagBits;
  if (hdr[1] & kIsMmapped)
    r_.note("chunk.flags", c, size).add("IS_MMAPPED is set on a chunk inside the brk heap.");
  if (hdr[1] & kNonMainArena)
    r_.note("chunk.flags", c, size).add("NON_MAIN_ARENA is set on a chunk of the main heap.");
  const bool prev_inuse = hdr[1] & kPrevInuse;
  if (!prev_inuse) {
    if (c == loc_.heap_base) {
      r_.note("chunk.first_prev_inuse", c, size)
          .add("the first chunk of the heap has PREV_INUSE clear.");
    } else {
      const uint64_t prev = s_.map_.start_at_or_before(c - 0x10);
      const uint64_t prev_size = size_now(prev);
      if (prev != 0 && hdr[0] != prev_size) {
        Text m = r_.note("free.footer", prev, prev_size);
        at(m.add("the free chunk's footer (prev_size of the next chunk, "), c).add(") is ");
        m.hex(hdr[0]).add(", not its size.");
      }
    }
  }
  const uint64_t next = c + size;
  const bool free = next < top_ && !(word(next + 8) & kPrevInuse);  // top: top.prev_inuse
  const uint64_t list = list_after(c);
  const ListRef l = list != 0 ? list_ref(layout_, loc_, static_cast<int>(list))
                              : ListRef{0, BinKind::kNone, 0, 0};
  if (l.kind == BinKind::kRegular) {
    if (!free) {
      r_.note("bin.chunk_in_use", c, size, l.bin())
          .add("the chunk is in a bin but the next chunk's PREV_INUSE says it is in use.");
    }
    if (!prev_inuse && c != loc_.heap_base) {
      Text m = r_.note("free.neighbours", c, size, l.bin());
      at(m.add("the free chunk follows another free chunk ("), s_.map_.start_at_or_before(c - 0x10))
          .add("): they should have been merged.");
    }
  } else if (l.kind != BinKind::kNone) {
    if (free) {
      r_.note(l.kind == BinKind::kFast ? "fastbin.chunk_free" : "tcache.chunk_free", c, size,
              l.bin())
          .add(
              "the chunk is cached but the next chunk's PREV_INUSE is clear (cached chunks stay in "
              "use).");
    }
  } else if (free) {
    r_.note("free.not_in_bin", c, size)
        .add(
            "the chunk is free (the next chunk's PREV_INUSE is clear) but no bin holds it (lost).");
  }
}

}  // namespace heaptwin::check
