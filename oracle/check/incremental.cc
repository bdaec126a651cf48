// The incremental check's driver: when a check can be incremental, the first (full) check that
// builds the state, and what changed in main_arena, mp_, global_max_fast and the tcache struct.
#include "oracle/check/incremental.h"

#include <algorithm>
#include <cstring>

#include "oracle/check/incremental_op.h"
#include "oracle/check/word_diff.h"

namespace heaptwin::check {

namespace {
constexpr uint64_t kMaxWrites = uint64_t{1} << 16;  // an op that wrote more: a full check
}  // namespace

bool IncrementalCheck::init(Region* region, uint64_t max_heap_bytes) {
  max_heap_ = max_heap_bytes;
  const uint64_t w = kMaxWrites;
  bool ok = full_.init(region) && map_.init(region, max_heap_bytes) &&
            nodes_.init(region, uint64_t{1} << 24) && node_bits_.init(region, max_heap_bytes) &&
            addrs_.init(region, w + 2) && touched_.init(region, 4 * w) &&
            local_.init(region, 16 * w) && unstarted_.init(region, 4 * w) &&
            members_.init(region, 4 * w) && member_info_.init(region, 4 * w) &&
            work_.init(region, 16 * w) && walk_.init(region, 32 * w) &&
            removed_.init(region, 16 * w) && added_.init(region, 16 * w) &&
            recheck_.init(region, 16 * w) && keys_.init(region, 4 * w);
  for (int i = 0; i < 5; ++i) {
    ok = ok && sets_[i].init(region, 64 * w);
    if (ok) maps_[i].init(&sets_[i]);
  }
  return ok;
}

void IncrementalCheck::reset() { primed_ = false; }

bool IncrementalCheck::same_place(const Where& w) const {
  return w.heap_base == where_.heap_base && w.arena == where_.arena && w.mp == where_.mp &&
         w.global_max_fast == where_.global_max_fast && w.tcache == where_.tcache;
}

void IncrementalCheck::check_op(const Reader& mem, const Where& where, const Layout& layout,
                                const uint64_t* written, uint64_t written_count, bool complete,
                                Findings* out) {
  if (!primed_ || !complete || written_count > kMaxWrites || !same_place(where)) {
    full_check(mem, where, layout, out);
    return;
  }
  const size_t before = out->size();
  OpCheck op(this, mem, where, layout, out);
  const OpCheck::Result r = op.run(written, written_count);
  if (r == OpCheck::Result::kClean) {
    ++stats_.incremental;
    return;
  }
  if (r == OpCheck::Result::kFull) {
    out->truncate(before);  // keep what the caller had
    full_check(mem, where, layout, out);
    return;
  }
  ++stats_.incremental;
  primed_ = false;  // a violation: the state no longer mirrors a sound heap
}

void IncrementalCheck::full_check(const Reader& mem, const Where& where, const Layout& layout,
                                  Findings* out, bool rebuild) {
  ++stats_.full;
  primed_ = false;
  const size_t before = out->size();
  full_.run(mem, where, layout, out);
  if (out->size() != before || !full_.checked() || !rebuild) return;
  if (!map_.covers(where.heap_base, where.heap_end)) return;  // too large a heap: full checks only
  prime(mem, where, layout);
}

// After a clean full check: the chunk map from its walk, every list into the node table, and the
// copies of the arena and the tcache struct.
void IncrementalCheck::prime(const Reader& mem, const Where& where, const Layout& layout) {
  where_ = where;
  if (!mem.read(where.arena, arena_, sizeof arena_) || !mem.read(where.mp, mp_, sizeof mp_) ||
      !mem.u64(where.global_max_fast, &max_fast_)) {
    return;
  }
  max_fast_ = layout.max_fast_of(max_fast_);
  std::memset(tcache_, 0, sizeof tcache_);
  if (layout.tcache && where.tcache != 0 &&
      !mem.read(where.tcache, tcache_, layout.tcache_struct_bytes()))
    return;
  map_.reset(where.heap_base);
  const Array<Walked>& chunks = full_.chunks();
  for (size_t i = 0; i < chunks.size(); ++i) map_.set(chunks[i].addr);
  map_.set(full_.top());
  nodes_.reset();
  node_bits_.reset(where.heap_base);
  tcache_entries_ = 0;
  tcache_key_ = 0;
  layout_ = layout;
  for (int list = 1; list < kLists; ++list) {
    list_count_[list] = 0;
    if (!prime_list(mem, list)) return;
  }
  primed_ = true;
}

bool IncrementalCheck::prime_list(const Reader& mem, int list) {
  if (list >= kBins - 1 && list < kFirstFastList) return true;
  if (list >= kFirstFastList + kFastBins && list < kFirstTcacheList) return true;
  if (list >= kFirstFastList && list < kFirstTcacheList && !layout_.fastbins_exist) return true;
  if (list >= kFirstTcacheList + layout_.tcache_bins) return true;
  if (list >= kFirstTcacheList && (!layout_.tcache || where_.tcache == 0)) return true;
  const ListRef l = OpCheck::list_ref(layout_, where_, list);
  uint64_t t = OpCheck::head_next_of(l, layout_, arena_, tcache_);
  const uint64_t end = l.head;
  int64_t label = 0;
  uint64_t n = 0;
  while (t != end) {
    Node* node = nodes_.insert(t);
    if (node == nullptr || !map_.test_any(t)) return false;
    node_bits_.set(t);
    uint64_t c[6];
    if (!mem.read(t, c, sizeof c)) return false;
    node->list = static_cast<uint16_t>(list);
    label += static_cast<int64_t>(kLabelGap);
    node->label = label;
    OpCheck::fill_node(l, layout_, c, node);
    if (l.kind == BinKind::kTcache) {
      tcache_key_ = c[3];
      ++tcache_entries_;
    }
    ++n;
    t = node->next;
  }
  list_count_[list] = n;
  return true;
}

// ---- OpCheck: reading the arena, comparing with the copies -------------------------------------

OpCheck::OpCheck(IncrementalCheck* self, const Reader& mem, const Where& where,
                 const Layout& layout, Findings* out)
    : s_(*self),
      mem_(mem),
      loc_(where),
      layout_(layout),
      out_(out),
      r_(where, out),
      touched_set_(self->maps_[0]),
      local_set_(self->maps_[1]),
      walk_info_(self->maps_[2]),
      changes_(self->maps_[3]),
      recheck_set_(self->maps_[4]) {}

// The bytes at addr: the memory itself when the Reader allows, else a copy in buf.
static const unsigned char* view(const Reader& mem, uint64_t addr, uint64_t n, unsigned char* buf) {
  if (const unsigned char* p = mem.direct(addr, n)) return p;
  return mem.read(addr, buf, n) ? buf : nullptr;
}

// main_arena, mp_ and global_max_fast lie in libc's data a few KiB apart: when the reader gives
// memory directly, one look-up for the three (each was a virtual call and a range check).
static constexpr uint64_t kLibcSpan = uint64_t{1} << 16;

bool OpCheck::read_state() {
  heap_ = mem_.direct(loc_.heap_base, loc_.heap_end - loc_.heap_base);
  const uint64_t lo = std::min({loc_.arena, loc_.mp, loc_.global_max_fast});
  const uint64_t hi = std::max(
      {loc_.arena + kMallocStateBytes, loc_.mp + kMallocParBytes, loc_.global_max_fast + 8});
  const unsigned char* libc = hi > lo && hi - lo <= kLibcSpan ? mem_.direct(lo, hi - lo) : nullptr;
  if (libc != nullptr) {
    av_ = libc + (loc_.arena - lo);
    mp_ = libc + (loc_.mp - lo);
    max_fast_ = load<uint64_t>(libc, loc_.global_max_fast - lo);
  } else {
    av_ = view(mem_, loc_.arena, kMallocStateBytes, av_buf_);
    mp_ = view(mem_, loc_.mp, kMallocParBytes, mp_buf_);
    if (av_ == nullptr || mp_ == nullptr || !mem_.u64(loc_.global_max_fast, &max_fast_))
      return false;
  }
  max_fast_ = layout_.max_fast_of(max_fast_);
  tc_ = tc_buf_;
  const bool tcache = layout_.tcache && loc_.tcache != 0;
  if (tcache) {
    const uint64_t bytes = layout_.tcache_struct_bytes();
    tc_ = heap_ != nullptr && in_heap(loc_.tcache, bytes) ? heap_ + (loc_.tcache - loc_.heap_base)
                                                          : view(mem_, loc_.tcache, bytes, tc_buf_);
    if (tc_ == nullptr) return false;
  } else {
    std::memset(tc_buf_, 0, sizeof tc_buf_);
  }
  top_ = load<uint64_t>(av_, layout_.top);
  old_top_ = load<uint64_t>(s_.arena_, layout_.top);
  // Which words changed (apply copies those back), and so which list heads.
  std::memset(dirty_, 0, sizeof dirty_);
  dirty_count_ = 0;
  diff_mask(av_, s_.arena_, kArenaWords, arena_diff_);
  const uint64_t fast_lo = layout_.fastbins_exist ? layout_.fastbins / 8 : kArenaWords;
  const uint64_t bins_lo = layout_.bins / 8;
  for (uint64_t k = 0; k < kArenaMasks; ++k) {
    for (uint64_t m = arena_diff_[k]; m != 0; m &= m - 1) {
      const uint64_t w = 64 * k + static_cast<uint64_t>(__builtin_ctzll(m));
      if (w - bins_lo < 2 * (kBins - 1)) {
        mark_dirty(static_cast<int>(1 + (w - bins_lo) / 2));
      } else if (w - fast_lo < kFastBins) {
        mark_dirty(kFirstFastList + static_cast<int>(w - fast_lo));
      }
    }
  }
  if (tcache) {
    const uint64_t words = layout_.tcache_struct_bytes() / 8;
    diff_mask(tc_, s_.tcache_, words, tcache_diff_);
    // The counts (2 bytes each, 1 before 2.30: several to a word), then the entries.
    const uint64_t count_words = layout_.tcache_entries / 8;
    const int width = 8 * layout_.tcache_count_bytes;
    const uint64_t lane = (uint64_t{1} << width) - 1;
    const uint64_t bins = static_cast<uint64_t>(layout_.tcache_bins);
    for (uint64_t k = 0; k < (words + 63) / 64; ++k) {
      for (uint64_t m = tcache_diff_[k]; m != 0; m &= m - 1) {
        const uint64_t w = 64 * k + static_cast<uint64_t>(__builtin_ctzll(m));
        if (w >= count_words) {
          mark_dirty(kFirstTcacheList + static_cast<int>(w - count_words));
          continue;
        }
        const uint64_t x = load<uint64_t>(tc_, 8 * w) ^ load<uint64_t>(s_.tcache_, 8 * w);
        for (int j = 0; j < 64 / width; ++j) {
          const uint64_t i = w * static_cast<uint64_t>(64 / width) + static_cast<uint64_t>(j);
          if ((x >> (j * width) & lane) != 0 && i < bins) {
            mark_dirty(kFirstTcacheList + static_cast<int>(i));
          }
        }
      }
    }
  }
  return true;
}

}  // namespace heaptwin::check
