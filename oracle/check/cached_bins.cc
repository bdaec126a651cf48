// The full check of the caches that keep chunks "in use": the fastbins (bad pointers, loops,
// sizes, global_max_fast, have_fastchunks) and the tcache (bins past tcache_bins, counts against
// the limit and the lists, bad pointers, loops, sizes, the key).
#include "oracle/check/full_check_run.h"

namespace heaptwin::check {

void FullCheckRun::check_fastbins() {
  if (!layout_.fastbins_exist) return;  // 2.43+
  const int max_fast_bin = fastbin_index(global_max_fast_);
  bool any = false;
  for (int i = 0; i < kFastBins && !full(); ++i) {
    const BinId name{BinKind::kFast, i};
    const size_t first_record = s_.binned_.size();
    uint64_t p = load<uint64_t>(av_, layout_.fastbins + 8 * i);
    if (p != 0) any = true;
    if (p != 0 && i > max_fast_bin) {
      r_.note("fastbin.beyond_max_fast", 0, 0, name)
          .add("the fastbin is not empty but global_max_fast is ")
          .hex(global_max_fast_)
          .add(".");
    }
    size_t n = 0;
    uint64_t from = 0;
    while (p != 0) {
      if ((p & kAlignMask) != 0 || !in_heap(p, 0x18)) {
        Text t = r_.note("fastbin.bad_pointer", 0, 0, name);
        t.add(layout_.safe_linking ? "the revealed " : "the ").add("next pointer ");
        if (from) {
          at(t.add("of "), from);
        } else {
          t.add("in the head");
        }
        at(t.add(" is "), p).add(", not an aligned chunk inside the heap.");
        break;
      }
      if (++n > max_list_) {
        report_cycle("fastbin.cycle", name, first_record);
        break;
      }
      uint64_t hdr[3];
      if (!mem_.read(p, hdr, sizeof hdr)) break;
      const uint64_t size = hdr[1] & ~kFlagBits;
      if (fastbin_index(size) != i) {
        r_.note("fastbin.wrong_size", p, size, name)
            .add("a chunk of size ")
            .hex(size)
            .add(" in the fastbin for ")
            .hex(static_cast<uint64_t>(i + 2) << 4)
            .add(".");
      }
      if (!s_.binned_.push({p, BinKind::kFast, i})) break;
      from = p;
      p = layout_.safe_linking ? reveal_ptr(p + 0x10, hdr[2]) : hdr[2];
    }
  }
  if (any && layout_.have_fastchunks >= 0 && load<int32_t>(av_, layout_.have_fastchunks) == 0) {
    r_.note("fastbin.have_fastchunks")
        .add("a fastbin holds chunks but av->have_fastchunks is false.");
  }
}

namespace {

// "counts[i] is n": a tcache bin's count, as the tcache rules name it.
Text& add_tcache_count(Text& t, int bin, uint64_t count) {
  return t.add("counts[").dec(static_cast<uint64_t>(bin)).add("] is ").dec(count);
}

// tcache.count_mismatch: tcache bin `bin` counts `count` chunks, its list holds `listed` (the
// incremental list rules write the same words out, list_rules.cc).
void note_tcache_count_mismatch(Reporter& r, int bin, uint64_t count, uint64_t listed) {
  Text t = r.note("tcache.count_mismatch", 0, 0, BinId{BinKind::kTcache, bin});
  add_tcache_count(t, bin, count).add(" but the list holds ").dec(listed).add(".");
}

}  // namespace

void check_tcache_count(Reporter& r, int bin, uint64_t count, uint64_t entry, uint64_t tcache_bins,
                        uint64_t tcache_count) {
  const BinId name{BinKind::kTcache, bin};
  if (static_cast<uint64_t>(bin) >= tcache_bins && (count != 0 || entry != 0)) {
    r.note("tcache.beyond_bins", 0, 0, name)
        .add("the bin is past the bins mp_.tcache_bins and mp_.tcache_max_bytes allow (")
        .dec(tcache_bins)
        .add(" in use) but holds a count or an entry.");
  }
  if (count > tcache_count) {
    Text t = r.note("tcache.count_over_limit", 0, 0, name);
    add_tcache_count(t, bin, count).add(", above mp_.tcache_count ").dec(tcache_count).add(".");
  }
}

void note_tcache_wrong_size(Reporter& r, uint64_t chunk, uint64_t size, BinId bin) {
  Text t = r.note("tcache.wrong_size", chunk, size, bin);
  t.add("a chunk of size ").hex(size).add(" in the tcache bin for ");
  t.hex(tcache_bin_first_size(bin.index));
  if (bin.index >= 64) t.add("..").hex(tcache_bin_last_size(bin.index));  // a large bin
  t.add(".");
}

void FullCheckRun::check_tcache() {
  if (!layout_.tcache || loc_.tcache == 0) return;
  unsigned char tc[kMaxTcacheStruct];
  const uint64_t bytes = layout_.tcache_struct_bytes();
  if (bytes > sizeof tc || !mem_.read(loc_.tcache, tc, bytes)) {
    Text t = r_.note("tcache.unreadable");
    at(t.add("the tcache struct cannot be read at "), loc_.tcache).add(".");
    return;
  }
  bool have_key = false;
  uint64_t key = 0;
  for (int i = 0; i < layout_.tcache_bins && !full(); ++i) {
    const BinId name{BinKind::kTcache, i};
    const size_t first_record = s_.binned_.size();
    const uint64_t count = layout_.tcache_count_at(tc, i, tcache_count_);
    uint64_t e = load<uint64_t>(tc, layout_.tcache_entries + 8 * i);
    check_tcache_count(r_, i, count, e,
                       tcache_bins_in_use(tcache_bins_, tcache_max_bytes_, layout_.tcache_bins),
                       tcache_count_);
    uint64_t n = 0;
    uint64_t from = 0;
    bool broken = false;
    while (e != 0) {
      const uint64_t chunk = e - 0x10;
      // A large bin (2.42+) caches mmapped chunks too, and with threads any bin chunks of their
      // arenas (types.h: cached_from_elsewhere): the check of its list stops there.
      uint64_t elsewhere[4];
      if ((e & kAlignMask) == 0 && !in_heap(chunk, 0x20) &&
          mem_.read(chunk, elsewhere, sizeof elsewhere) &&
          cached_from_elsewhere(loc_, i, elsewhere[1])) {
        broken = true;
        break;
      }
      if ((e & kAlignMask) != 0 || !in_heap(chunk, 0x20)) {
        Text t = r_.note("tcache.bad_pointer", 0, 0, name);
        t.add(from && layout_.safe_linking ? "the revealed " : "the ").add("next pointer ");
        if (from) {
          at(t.add("of "), from);
        } else {
          t.add("in entries[]");
        }
        at(t.add(" is "), e).add(", not an aligned chunk inside the heap.");
        broken = true;
        break;
      }
      if (++n > max_list_) {
        report_cycle("tcache.cycle", name, first_record);
        broken = true;
        break;
      }
      uint64_t c[4];  // prev_size, size, next, key
      if (!mem_.read(chunk, c, sizeof c)) {
        broken = true;
        break;
      }
      const uint64_t size = c[1] & ~kFlagBits;
      if (tcache_bin_for(size, layout_.tcache_bins) != i)
        note_tcache_wrong_size(r_, chunk, size, name);
      if (!have_key) {
        have_key = true;
        key = c[3];
        // Before 2.34 the key is the tcache struct's address; since, a random process-wide value.
        if (!layout_.key_is_random && key != loc_.tcache) {
          Text t = r_.note("tcache.key", chunk, size, name);
          t.add("the entry's key is ").hex(key).add(", not the tcache struct ");
          at(t, loc_.tcache).add(".");
        }
      } else if (c[3] != key) {
        r_.note("tcache.key", chunk, size, name)
            .add("the entry's key ")
            .hex(c[3])
            .add(" differs from the other entries' ")
            .hex(key)
            .add(".");
      }
      if (!s_.binned_.push({chunk, BinKind::kTcache, i})) {
        broken = true;
        break;
      }
      from = e;
      e = layout_.safe_linking ? reveal_ptr(e, c[2]) : c[2];
    }
    if (!broken && n != count) note_tcache_count_mismatch(r_, i, count, n);
  }
}

}  // namespace heaptwin::check
