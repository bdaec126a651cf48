#include "oracle/heap_view.h"
#include "allocator/layout.h"
#include "program/hex.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace heaptwin {

namespace {

constexpr uint64_t kSizeBits = 0x7;
constexpr uint64_t kMallocStateBytes = 0x898;
constexpr uint64_t kMallocParBytes =
    0x88;  // the largest layout to 2.41; older ones read a little extra

// The walk reads a MemoryReader through this view: one copy per read, into a buffer that holds
// the largest (main_arena).
struct ReaderView {
  const MemoryReader& mem;
  unsigned char buffer[0x1000];

  static const void* view(void* ctx, uint64_t addr, uint64_t n) {
    auto* self = static_cast<ReaderView*>(ctx);
    if (n > sizeof self->buffer || !self->mem.read(addr, self->buffer, n)) return nullptr;
    return self->buffer;
  }
};

ArenaWhere where_of(const HeapLocation& loc) {
  ArenaWhere w{loc.heap_base, loc.heap_end, loc.arena, loc.mp, loc.global_max_fast, loc.tcache};
  w.threads = loc.threads;
  w.thread_tcaches = loc.thread_tcaches.data();
  return w;
}

ChunkRef ref_of(const ArenaEvent& e) {
  return ChunkRef{e.offset,
                  e.size,
                  e.wild != 0,
                  static_cast<SizeBase>(e.size_base),
                  static_cast<LinkForm>(e.code),
                  static_cast<uint16_t>(ARENA_CHUNK_ARENA(e.index)),
                  static_cast<uint16_t>(ARENA_CHUNK_HEAP_INDEX(e.index))};
}

// Builds the ArenaSnapshot from the walk's events.
class SnapshotBuilder {
 public:
  static void on_event(void* ctx, const ArenaEvent* e) {
    static_cast<SnapshotBuilder*>(ctx)->take(*e);
  }
  ArenaSnapshot snapshot;

 private:
  void take(const ArenaEvent& e) {
    char text[160];
    ArenaSnapshot& state = *state_;
    if (thread_ && take_thread(e)) return;
    switch (e.kind) {
      case ARENA_EV_INVALID:
        arena_invalid_text(&e, text, sizeof text);
        state = ArenaSnapshot();
        state.valid = false;
        state.invalid_reason = text;
        break;
      case ARENA_EV_ARENA: {
        // Another arena: what follows is its state.
        OtherArena& other = snapshot.others.emplace_back();
        other.number = e.index;
        other.heaps = e.value;
        other.heap_size = static_cast<uint64_t>(e.offset);
        other.mprotect_pages = e.code;
        other.attached_threads = e.size;
        other.state.valid = true;
        state_ = &other.state;
        open_ = nullptr;
        break;
      }
      case ARENA_EV_THREAD:  // another thread's tcache: what follows is its
        thread_ = &snapshot.thread_tcaches.emplace_back();
        thread_->thread = e.index;
        open_ = nullptr;
        break;
      case ARENA_EV_TCACHE_PRESENT: state.tcache_present = true; break;
      case ARENA_EV_TCACHE_COUNT:
        state.tcache_counts[e.index] = static_cast<uint16_t>(e.value);
        break;
      case ARENA_EV_LIST: open_ = list_for(e.code, e.index); break;
      case ARENA_EV_CHUNK:
        if (open_) open_->chunks.push_back(ref_of(e));
        break;
      case ARENA_EV_BROKEN:
        arena_broken_text(&e, text, sizeof text);
        if (open_) open_->broken = text;
        break;
      case ARENA_EV_LIST_END: open_ = nullptr; break;
      case ARENA_EV_TOP: state.top = ref_of(e); break;
      case ARENA_EV_LAST_REMAINDER:
        state.last_remainder_null = false;
        state.last_remainder = ref_of(e);
        break;
      case ARENA_EV_FIELDS:
        for (uint32_t code = 1; code <= ARENA_FIELD_COUNT; ++code)
          set_field(code, e.values[code - 1]);
        break;
      default: break;
    }
  }

  // An event of another thread's tcache; false for those every list has (CHUNK, BROKEN, ...).
  bool take_thread(const ArenaEvent& e) {
    char text[160];
    switch (e.kind) {
      case ARENA_EV_INVALID:
        arena_invalid_text(&e, text, sizeof text);
        thread_->invalid_reason = text;
        return true;
      case ARENA_EV_TCACHE_PRESENT: thread_->present = true; return true;
      case ARENA_EV_TCACHE_COUNT:
        if (e.index < kTcacheBins) thread_->counts[e.index] = static_cast<uint16_t>(e.value);
        return true;
      case ARENA_EV_LIST:
        open_ = e.code == ARENA_LIST_TCACHE && e.index < kTcacheBins ? &thread_->lists[e.index]
                                                                     : nullptr;
        return true;
      default: return false;
    }
  }

  BinList* list_for(uint32_t code, uint32_t index) {
    ArenaSnapshot& s = *state_;
    switch (code) {
      case ARENA_LIST_TCACHE: return index < kTcacheBins ? &s.tcache[index] : nullptr;
      case ARENA_LIST_FASTBIN: return index < kFastBins ? &s.fastbins[index] : nullptr;
      case ARENA_LIST_BIN: return index < kBins ? &s.bins[index] : nullptr;
      case ARENA_LIST_NEXTSIZE: return index < kBins ? &s.nextsize[index] : nullptr;
      default: return nullptr;
    }
  }

  void set_field(uint32_t code, uint64_t v) {
    ArenaSnapshot& s = *state_;
    MallocParSnapshot& p = s.mp;
    switch (code) {
      case ARENA_FIELD_BINMAP0:
      case ARENA_FIELD_BINMAP1:
      case ARENA_FIELD_BINMAP2:
      case ARENA_FIELD_BINMAP3:
        s.binmap[code - ARENA_FIELD_BINMAP0] = static_cast<uint32_t>(v);
        break;
      case ARENA_FIELD_FLAGS: s.flags = static_cast<int32_t>(v); break;
      case ARENA_FIELD_HAVE_FASTCHUNKS: s.have_fastchunks = static_cast<int32_t>(v); break;
      case ARENA_FIELD_SYSTEM_MEM: s.system_mem = v; break;
      case ARENA_FIELD_MAX_SYSTEM_MEM: s.max_system_mem = v; break;
      case ARENA_FIELD_GLOBAL_MAX_FAST: s.global_max_fast = v; break;
      case ARENA_FIELD_MP_TRIM_THRESHOLD: p.trim_threshold = v; break;
      case ARENA_FIELD_MP_TOP_PAD: p.top_pad = v; break;
      case ARENA_FIELD_MP_MMAP_THRESHOLD: p.mmap_threshold = v; break;
      case ARENA_FIELD_MP_ARENA_TEST: p.arena_test = v; break;
      case ARENA_FIELD_MP_ARENA_MAX: p.arena_max = v; break;
      case ARENA_FIELD_MP_N_MMAPS: p.n_mmaps = static_cast<int32_t>(v); break;
      case ARENA_FIELD_MP_N_MMAPS_MAX: p.n_mmaps_max = static_cast<int32_t>(v); break;
      case ARENA_FIELD_MP_MAX_N_MMAPS: p.max_n_mmaps = static_cast<int32_t>(v); break;
      case ARENA_FIELD_MP_NO_DYN_THRESHOLD: p.no_dyn_threshold = static_cast<int32_t>(v); break;
      case ARENA_FIELD_MP_MMAPPED_MEM: p.mmapped_mem = v; break;
      case ARENA_FIELD_MP_MAX_MMAPPED_MEM: p.max_mmapped_mem = v; break;
      case ARENA_FIELD_MP_TCACHE_BINS: p.tcache_bins = v; break;
      case ARENA_FIELD_MP_TCACHE_MAX_BYTES: p.tcache_max_bytes = v; break;
      case ARENA_FIELD_MP_TCACHE_COUNT: p.tcache_count = v; break;
      case ARENA_FIELD_MP_TCACHE_UNSORTED_LIMIT: p.tcache_unsorted_limit = v; break;
      default: break;
    }
  }

  BinList* open_ = nullptr;
  ArenaSnapshot* state_ = &snapshot;  // main_arena's, or the other arena being walked
  ThreadTcache* thread_ = nullptr;    // the other thread's tcache being walked (they come last)
};

// A snapshot told back as the walk would report it, into a digest.
class SnapshotReplay {
 public:
  uint64_t digest(const ArenaSnapshot& s) {
    d_.hash = ARENA_DIGEST_SEED;
    state(s);
    for (const OtherArena& o : s.others) {
      ArenaEvent e{};
      e.kind = ARENA_EV_ARENA;
      e.index = o.number;
      e.value = o.heaps;
      e.offset = static_cast<int64_t>(o.heap_size);
      e.code = static_cast<uint32_t>(o.mprotect_pages);
      e.size = o.attached_threads;
      arena_digest_event(&d_, &e);
      state(o.state);
    }
    for (const ThreadTcache& t : s.thread_tcaches) {
      event(ARENA_EV_THREAD, 0, t.thread);
      if (!t.invalid_reason.empty()) {
        arena_digest_text(&d_, ARENA_EV_INVALID, t.invalid_reason.data(), t.invalid_reason.size());
      } else if (t.present) {
        tcache(t.counts, t.lists);
      }
    }
    return d_.hash;
  }

 private:
  void state(const ArenaSnapshot& s) {
    if (!s.valid) {
      arena_digest_text(&d_, ARENA_EV_INVALID, s.invalid_reason.data(), s.invalid_reason.size());
      return;
    }
    if (s.tcache_present) tcache(s.tcache_counts, s.tcache);
    for (int i = 0; i < kFastBins; ++i) list(ARENA_LIST_FASTBIN, i, s.fastbins[i]);
    for (int i = 0; i < kBins; ++i) {
      list(ARENA_LIST_BIN, i, s.bins[i]);
      list(ARENA_LIST_NEXTSIZE, i, s.nextsize[i]);
    }
    // top is absent while no heap exists (offset 0, size 0: where no top ever is).
    if (s.top != ChunkRef{}) ref(ARENA_EV_TOP, s.top);
    if (!s.last_remainder_null) ref(ARENA_EV_LAST_REMAINDER, s.last_remainder);
    const MallocParSnapshot& p = s.mp;
    const std::pair<uint32_t, uint64_t> fields[] = {
        {ARENA_FIELD_BINMAP0, s.binmap[0]},
        {ARENA_FIELD_BINMAP1, s.binmap[1]},
        {ARENA_FIELD_BINMAP2, s.binmap[2]},
        {ARENA_FIELD_BINMAP3, s.binmap[3]},
        {ARENA_FIELD_FLAGS, static_cast<uint32_t>(s.flags)},
        {ARENA_FIELD_HAVE_FASTCHUNKS, static_cast<uint32_t>(s.have_fastchunks)},
        {ARENA_FIELD_SYSTEM_MEM, s.system_mem},
        {ARENA_FIELD_MAX_SYSTEM_MEM, s.max_system_mem},
        {ARENA_FIELD_GLOBAL_MAX_FAST, s.global_max_fast},
        {ARENA_FIELD_MP_TRIM_THRESHOLD, p.trim_threshold},
        {ARENA_FIELD_MP_TOP_PAD, p.top_pad},
        {ARENA_FIELD_MP_MMAP_THRESHOLD, p.mmap_threshold},
        {ARENA_FIELD_MP_ARENA_TEST, p.arena_test},
        {ARENA_FIELD_MP_ARENA_MAX, p.arena_max},
        {ARENA_FIELD_MP_N_MMAPS, static_cast<uint64_t>(int64_t{p.n_mmaps})},
        {ARENA_FIELD_MP_N_MMAPS_MAX, static_cast<uint64_t>(int64_t{p.n_mmaps_max})},
        {ARENA_FIELD_MP_MAX_N_MMAPS, static_cast<uint64_t>(int64_t{p.max_n_mmaps})},
        {ARENA_FIELD_MP_NO_DYN_THRESHOLD, static_cast<uint64_t>(int64_t{p.no_dyn_threshold})},
        {ARENA_FIELD_MP_MMAPPED_MEM, p.mmapped_mem},
        {ARENA_FIELD_MP_MAX_MMAPPED_MEM, p.max_mmapped_mem},
        {ARENA_FIELD_MP_TCACHE_BINS, p.tcache_bins},
        {ARENA_FIELD_MP_TCACHE_MAX_BYTES, p.tcache_max_bytes},
        {ARENA_FIELD_MP_TCACHE_COUNT, p.tcache_count},
        {ARENA_FIELD_MP_TCACHE_UNSORTED_LIMIT, p.tcache_unsorted_limit},
    };
    static_assert(sizeof fields / sizeof fields[0] == ARENA_FIELD_COUNT, "every field, once");
    uint64_t values[ARENA_FIELD_COUNT] = {};
    for (const auto& [code, value] : fields) values[code - 1] = value;
    ArenaEvent e{};
    e.kind = ARENA_EV_FIELDS;
    e.values = values;
    arena_digest_event(&d_, &e);
  }

  void tcache(const std::array<uint16_t, kTcacheBins>& counts,
              const std::array<BinList, kTcacheBins>& lists) {
    event(ARENA_EV_TCACHE_PRESENT);
    for (int i = 0; i < kTcacheBins; ++i) {
      if (counts[i] != 0) event(ARENA_EV_TCACHE_COUNT, 0, i, counts[i]);
    }
    for (int i = 0; i < kTcacheBins; ++i) list(ARENA_LIST_TCACHE, i, lists[i]);
  }
  void event(uint32_t kind, uint32_t code = 0, uint32_t index = 0, uint64_t value = 0) {
    ArenaEvent e{};
    e.kind = kind;
    e.code = code;
    e.index = index;
    e.value = value;
    arena_digest_event(&d_, &e);
  }
  void ref(uint32_t kind, const ChunkRef& r) {
    ArenaEvent e{};
    e.kind = kind;
    e.offset = r.offset;
    e.size = r.size;
    e.wild = r.wild;
    e.size_base = static_cast<uint32_t>(r.size_base);
    e.code = static_cast<uint32_t>(r.link_form);
    e.index = ARENA_CHUNK_HEAP(r.arena, r.heap);
    arena_digest_event(&d_, &e);
  }
  void list(uint32_t code, int index, const BinList& l) {
    if (l.empty()) return;
    event(ARENA_EV_LIST, code, static_cast<uint32_t>(index));
    for (const ChunkRef& c : l.chunks) ref(ARENA_EV_CHUNK, c);
    if (!l.broken.empty())
      arena_digest_text(&d_, ARENA_EV_BROKEN, l.broken.data(), l.broken.size());
    event(ARENA_EV_LIST_END);
  }

  ArenaDigest d_{ARENA_DIGEST_SEED};
};

}  // namespace

ArenaLayout to_arena_layout(const GlibcLayout& g) {
  int major = 0, minor = 0;
  std::sscanf(g.version.c_str(), "%d.%d", &major, &minor);
  ArenaLayout l{};
  l.minor = static_cast<uint32_t>(minor);
  l.safe_linking = g.safe_linking;
  l.has_tcache = g.tcache;
  l.tcache_count_bytes = static_cast<uint8_t>(g.tcache_count_bytes);
  l.tcache_entries = static_cast<uint32_t>(g.tcache_entries);
  l.flags = static_cast<uint32_t>(g.flags);
  l.have_fastchunks = static_cast<int32_t>(g.have_fastchunks);
  l.fastbins = static_cast<uint32_t>(g.fastbins);
  l.top = static_cast<uint32_t>(g.top);
  l.last_remainder = static_cast<uint32_t>(g.last_remainder);
  l.bins = static_cast<uint32_t>(g.bins);
  l.binmap = static_cast<uint32_t>(g.binmap);
  l.system_mem = static_cast<uint32_t>(g.system_mem);
  l.max_system_mem = static_cast<uint32_t>(g.max_system_mem);
  l.arena_bytes = g.fastbins_exist ? kMallocStateBytes : 0x840;  // 2.43: 2112 bytes
  l.mp_trim_threshold = static_cast<uint32_t>(g.mp_trim_threshold);
  l.mp_top_pad = static_cast<uint32_t>(g.mp_top_pad);
  l.mp_mmap_threshold = static_cast<uint32_t>(g.mp_mmap_threshold);
  l.mp_arena_test = static_cast<uint32_t>(g.mp_arena_test);
  l.mp_arena_max = static_cast<uint32_t>(g.mp_arena_max);
  l.mp_n_mmaps = static_cast<uint32_t>(g.mp_n_mmaps);
  l.mp_n_mmaps_max = static_cast<uint32_t>(g.mp_n_mmaps_max);
  l.mp_max_n_mmaps = static_cast<uint32_t>(g.mp_max_n_mmaps);
  l.mp_no_dyn_threshold = static_cast<uint32_t>(g.mp_no_dyn_threshold);
  l.mp_mmapped_mem = static_cast<uint32_t>(g.mp_mmapped_mem);
  l.mp_max_mmapped_mem = static_cast<uint32_t>(g.mp_max_mmapped_mem);
  l.mp_sbrk_base = static_cast<uint32_t>(g.mp_sbrk_base);
  l.mp_tcache_bins = static_cast<uint32_t>(g.mp_tcache_bins);
  l.mp_tcache_max_bytes = static_cast<uint32_t>(g.mp_tcache_max_bytes);
  l.mp_tcache_count = static_cast<uint32_t>(g.mp_tcache_count);
  l.mp_tcache_unsorted_limit = static_cast<uint32_t>(g.mp_tcache_unsorted_limit);
  l.mp_bytes = !g.fastbins_exist && g.tcache_unsorted_limit ? 0x90 : kMallocParBytes;  // 2.43: 144
  l.has_fastbins = g.fastbins_exist;
  l.tcache_num_slots = g.tcache_num_slots;
  l.has_tcache_unsorted_limit = g.tcache_unsorted_limit;
  l.tcache_bins = static_cast<uint32_t>(g.tcache_bins);
  return l;
}

uint64_t digest_of(const ArenaSnapshot& snapshot) { return SnapshotReplay().digest(snapshot); }

uint64_t arena_digest(const MemoryReader& mem, const HeapLocation& loc, const GlibcLayout& layout) {
  const ArenaLayout l = to_arena_layout(layout);
  const ArenaWhere where = where_of(loc);
  ReaderView view{mem, {}};
  return ::arena_digest(&l, &where, &ReaderView::view, &view);
}

std::optional<GlibcLayout> glibc_layout(const std::string& version) {
  int major = 0, minor = 0;
  if (std::sscanf(version.c_str(), "%d.%d", &major, &minor) != 2 || major != 2) return std::nullopt;
  // 2.26: not described; 2.42: no twin or package here.
  if (minor < 23 || minor == 26 || minor == 42 || minor > 44) return std::nullopt;
  GlibcLayout l;
  l.version = version;
  l.safe_linking = minor >= 32;
  // gdb "info address SYMBOL" in each libc's debug file: Debian's 2.31-13+deb11u11, the host's
  // 2.36, 2.41, 2.43-7 and 2.44-3; the source builds of ../shared/glibc-builds (2.27, 2.35) and
  // of 2.23. Symbols a release lacks (gdb: "No symbol") sit where 2.36 has them relative to
  // perturb_byte: tcache_key - 0x24, __malloc_initialized - 0x14, global_max_fast + 4.
  auto near_perturb = [](uint64_t mp, uint64_t arena, uint64_t perturb, uint64_t gmf) {
    return GlibcLayout::LibcSymbols{mp, arena, perturb - 0x24, perturb - 0x14, perturb, gmf};
  };
  switch (minor) {
    case 23: l.libc = near_perturb(0x198160, 0x198b20, 0x19a904, 0x19a908); break;
    case 27: l.libc = near_perturb(0x1aa260, 0x1aac20, 0x1ad79c, 0x1ad7b0); break;
    case 31: l.libc = near_perturb(0x1ce280, 0x1ceb80, 0x1d11d4, 0x1d11e8); break;
    case 35: l.libc = {0x1ea340, 0x1eac60, 0x1f14b8, 0x1f14c8, 0x1f14dc, 0x1f14e0}; break;
    case 41: l.libc = {0x1e5180, 0x1e5ac0, 0x1ec218, 0x1ec228, 0x1ec23c, 0x1ec240}; break;
    case 43: l.libc = {0x1e7180, 0x1e7ac0, 0x1ee1c0, 0x1ee1d0, 0x1ee1e4, 0x1ee1e8}; break;
    case 44: l.libc = {0x1f0180, 0x1f0ac0, 0x1f71c0, 0x1f71d0, 0x1f71e4, 0x1f71e8}; break;
    default: break;  // 2.36
  }
  if (minor >= 43) {
    // Debian's 2.43-7 and 2.44-3, read from their libc6-dbg DWARF (gdb ptype /o) and from
    // malloc.c (2.43 "malloc: Remove fastbin infrastructure"; 2.42 "malloc: add tcache support
    // for large chunk caching", "malloc: Count tcache entries downwards"): malloc_state is
    // mutex, flags, top, last_remainder, bins, ... (2112 bytes: the unsorted head at +0x8);
    // malloc_par gains thp_mode (enum, +0x28) before thp_pagesize; tcache_perthread_struct
    // is uint16_t num_slots[76], entries[76] (760 bytes, its chunk 0x300).
    l.fastbins_exist = false;
    l.have_fastchunks = -1;
    l.fastbins = 0;
    l.top = 0x8;
    l.last_remainder = 0x10;
    l.bins = 0x18;
    l.binmap = 0x808;
    l.system_mem = 0x830;
    l.max_system_mem = 0x838;
    l.tcache_unsorted_limit = minor < 44;  // 2.44: gone from malloc_par (136 bytes)
    l.tcache_bins = 76;
    l.tcache_num_slots = true;
    l.tcache_entries = 0x98;
    l.tcache_chunk_size = 0x300;
  }
  if (minor >= 37 && minor < 43) l.global_max_fast_bytes = 1;
  // malloc_par from its one home, which the twin lays its own out by (allocator/layout.h). A
  // field the release lacks (the tcache's before 2.26) is never read: offset 0.
  const alloc::MallocParLayout mp = alloc::MallocParLayout::of(minor);
  auto at = [](int16_t offset) { return offset < 0 ? uint64_t{0} : static_cast<uint64_t>(offset); };
  l.mp_trim_threshold = at(mp.trim_threshold);
  l.mp_top_pad = at(mp.top_pad);
  l.mp_mmap_threshold = at(mp.mmap_threshold);
  l.mp_arena_test = at(mp.arena_test);
  l.mp_arena_max = at(mp.arena_max);
  l.mp_n_mmaps = at(mp.n_mmaps);
  l.mp_n_mmaps_max = at(mp.n_mmaps_max);
  l.mp_max_n_mmaps = at(mp.max_n_mmaps);
  l.mp_no_dyn_threshold = at(mp.no_dyn_threshold);
  l.mp_mmapped_mem = at(mp.mmapped_mem);
  l.mp_max_mmapped_mem = at(mp.max_mmapped_mem);
  l.mp_sbrk_base = at(mp.sbrk_base);
  l.mp_tcache_bins = at(mp.tcache_bins);
  l.mp_tcache_max_bytes = at(mp.tcache_max_bytes);
  l.mp_tcache_count = at(mp.tcache_count);
  l.mp_tcache_unsorted_limit = at(mp.tcache_unsorted_limit);
  if (minor < 30) {
    // tcache_perthread_struct before "Small tcache improvements": char counts[64], entries at
    // 0x40, the struct's chunk 0x250.
    l.tcache_count_bytes = 1;
    l.tcache_entries = 0x40;
    l.tcache_chunk_size = 0x250;
  }
  if (minor < 26) {
    // Before tcache (2.26) and have_fastchunks (2.27): malloc_state's fields from fastbinsY on
    // sit 8 bytes lower, and malloc_par ends with max_total_mem and sbrk_base (glibc 2.23's
    // malloc.c).
    l.tcache = false;
    l.have_fastchunks = -1;
    l.fastbins = 0x8;
    l.top = 0x58;
    l.last_remainder = 0x60;
    l.bins = 0x68;
    l.binmap = 0x858;
    l.system_mem = 0x880;
    l.max_system_mem = 0x888;
  }
  return l;
}

ArenaSnapshot read_arena(const MemoryReader& mem, const HeapLocation& loc,
                         const GlibcLayout& layout) {
  const ArenaLayout l = to_arena_layout(layout);
  const ArenaWhere where = where_of(loc);
  ReaderView view{mem, {}};
  SnapshotBuilder builder;
  builder.snapshot.valid = true;
  arena_walk(&l, &where, &ReaderView::view, &view, &SnapshotBuilder::on_event, &builder);
  return std::move(builder.snapshot);
}

std::vector<HeapChunk> walk_chunks(const MemoryReader& mem, const HeapLocation& loc,
                                   const GlibcLayout& layout, std::string* broken) {
  std::vector<HeapChunk> chunks;
  broken->clear();
  uint64_t top = 0;
  if (!mem.read_u64(loc.arena + layout.top, &top)) {
    *broken = "main_arena unreadable";
    return chunks;
  }
  uint64_t p = loc.heap_base;
  while (p + 0x10 <= loc.heap_end) {
    uint64_t size = 0;
    if (!mem.read_u64(p + 8, &size)) {
      *broken = "unreadable size at heap+" + hex(p - loc.heap_base);
      break;
    }
    HeapChunk c;
    c.offset = static_cast<int64_t>(p - loc.heap_base);
    c.size = size & ~kSizeBits;
    c.flags = size & kSizeBits;
    c.is_top = p == top;
    if (!c.is_top && (c.size < 0x20 || (c.size & 0xf) != 0 || c.size > loc.heap_end - p)) {
      *broken = "bad size " + hex(size) + " at heap+" + hex(p - loc.heap_base);
      break;
    }
    chunks.push_back(c);
    if (c.is_top) break;
    p += c.size;
  }
  if (broken->empty() && (chunks.empty() || !chunks.back().is_top) && top != 0 &&
      loc.heap_end > loc.heap_base) {
    *broken = "walk did not reach top";
  }
  return chunks;
}

}  // namespace heaptwin
