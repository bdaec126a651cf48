#include "oracle/heap_check.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <unordered_set>

namespace heaptwin {

namespace {

constexpr uint64_t kPrevInuse = 0x1;
constexpr uint64_t kIsMmapped = 0x2;
constexpr uint64_t kNonMainArena = 0x4;
constexpr uint64_t kFlagBits = 0x7;
constexpr uint64_t kMinSize = 0x20;
constexpr uint64_t kAlignMask = 0xf;
constexpr uint64_t kMinLargeSize = 0x400;
constexpr uint64_t kMaxFastChunk = 0xb0;  // request2size(MAX_FAST_SIZE = 80 * 8 / 4)
constexpr uint64_t kNonContiguous = 0x2;  // malloc_state.flags NONCONTIGUOUS_BIT
constexpr uint64_t kMallocStateBytes = 0x898;
constexpr size_t kMaxChunks = 1 << 20;

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

template <typename T>
T load(const unsigned char* base, uint64_t offset) {
  T v;
  std::memcpy(&v, base + offset, sizeof v);
  return v;
}

// glibc's fastbin_index and csize2tidx, as signed ints (fastbin_index(0x10) is -1).
int fastbin_index(uint64_t size) { return static_cast<int>(size >> 4) - 2; }
int tcache_index(uint64_t size) { return size < 0x11 ? -1 : static_cast<int>((size - 0x11) >> 4); }

enum class BinKind : uint8_t { kNone, kRegular, kFast, kTcache };

// A bin, named (a string) only when a violation needs it: naming all 200 bins on every check
// would cost more than the check.
struct BinId {
  BinKind kind = BinKind::kNone;
  int index = 0;
};

// A chunk some bin holds, met walking that bin.
struct Binned {
  uint64_t addr;
  BinKind kind;
  int index;
};

// One chunk met walking the heap by size fields.
struct Walked {
  uint64_t addr;
  uint64_t size;  // without flags
  uint64_t flags;
};

// The checker's working lists, kept from one check to the next: it runs after every op, and
// allocating them anew each time cost more than the walks (above all under ASan).
struct Scratch {
  std::vector<Walked> chunks, list;
  std::vector<Binned> binned;
  std::vector<std::pair<uint64_t, uint64_t>> nextsize;
  std::vector<int> holder;
  std::vector<char> in_regular;
};
thread_local Scratch t_scratch;

class Checker {
 public:
  Checker(const MemoryReader& mem, const HeapLocation& loc, const GlibcLayout& layout,
          const CheckOptions& options, std::vector<Violation>* out)
      : mem_(mem), loc_(loc), layout_(layout), options_(options), out_(out) {
    full_ = out_->size() >= options_.max_violations;
    chunks_.clear();
    binned_.clear();
  }

  void run() {
    if (!read_arena()) return;
    // A break that could not grow made glibc continue the main arena in mmapped memory
    // (sysmalloc's MORECORE failure: NONCONTIGUOUS_BIT). Its chunks then span regions this
    // checker does not know: it checks nothing rather than report the gaps as corruption.
    if (flags_ & kNonContiguous) return;
    if (top_ == 0 || top_ == layout_.bin_at(loc_.arena, 1)) return;  // no heap yet
    if (!check_top()) return;
    walk_heap();
    check_regular_bins();
    check_fastbins();
    check_tcache();
    check_binned_chunks();
  }

 private:
  // Kept in a member: the loops test it every turn and the compiler cannot cache out_->size().
  bool full() const { return full_; }

  void add(const char* rule, std::string message, uint64_t chunk = 0, uint64_t size = 0,
           BinId bin = {}) {
    if (full()) return;
    Violation v;
    v.rule = rule;
    v.message = std::move(message);
    if (chunk != 0) {
      v.chunk = static_cast<int64_t>(chunk - loc_.heap_base);
      v.chunk_size = size;
    }
    v.bin = bin_name(bin);
    out_->push_back(std::move(v));
    full_ = out_->size() >= options_.max_violations;
  }

  // "heap+0x2a0" inside the heap, else the raw address.
  std::string at(uint64_t addr) const {
    if (addr >= loc_.heap_base && addr <= loc_.heap_end) return "heap+" + hex(addr - loc_.heap_base);
    return hex(addr);
  }

  bool in_heap(uint64_t addr, uint64_t bytes) const {
    return addr >= loc_.heap_base && addr < loc_.heap_end && loc_.heap_end - addr >= bytes;
  }
  bool u64(uint64_t addr, uint64_t* v) const { return mem_.read_u64(addr, v); }

  uint64_t chunk_size_at(uint64_t chunk) const {
    uint64_t size = 0;
    u64(chunk + 8, &size);
    return size & ~kFlagBits;
  }

  // ---- the arena -------------------------------------------------------------------------------

  bool read_arena() {
    if (!mem_.read(loc_.arena, av_, sizeof av_)) {
      add("arena.unreadable", "main_arena cannot be read at " + hex(loc_.arena) + ".");
      return false;
    }
    if (!u64(loc_.global_max_fast, &global_max_fast_) || !u64(loc_.mp + layout_.mp_sbrk_base, &sbrk_base_)) {
      add("arena.unreadable", "mp_ or global_max_fast cannot be read.");
      return false;
    }
    if (layout_.tcache) {
      u64(loc_.mp + layout_.mp_tcache_bins, &tcache_bins_);
      u64(loc_.mp + layout_.mp_tcache_count, &tcache_count_);
    }
    top_ = load<uint64_t>(av_, layout_.top);
    flags_ = static_cast<uint32_t>(load<int32_t>(av_, layout_.flags));
    system_mem_ = load<uint64_t>(av_, layout_.system_mem);
    // A list can hold at most one entry per MINSIZE of heap; more means it loops.
    max_list_ = (loc_.heap_end - loc_.heap_base) / kMinSize + 1;
    return true;
  }

  // do_check_chunk(top) and do_check_malloc_state's sbrk_base + system_mem == end of top.
  bool check_top() {
    uint64_t size_field = 0;
    if (!in_heap(top_, 0x10) || (top_ & kAlignMask) != 0 || !u64(top_ + 8, &size_field)) {
      add("top.outside_heap", "av->top " + at(top_) + " is not an aligned chunk inside the heap [" +
                                  hex(loc_.heap_base) + ", " + hex(loc_.heap_end) + ").");
      return false;
    }
    top_size_ = size_field & ~kFlagBits;
    const uint64_t end = top_ + top_size_;
    if (top_size_ < kMinSize) {
      add("top.size", "top's size " + hex(top_size_) + " is below MINSIZE.", top_, top_size_);
    }
    if (!(size_field & kPrevInuse)) {
      add("top.prev_inuse", "top's PREV_INUSE is clear: the chunk before top must be in use "
                            "(a free one is merged into top).", top_, top_size_);
    }
    if (size_field & (kIsMmapped | kNonMainArena)) {
      add("chunk.flags", "top's size field has IS_MMAPPED or NON_MAIN_ARENA set (" +
                             hex(size_field) + ").", top_, top_size_);
    }
    if (end < top_ || end > loc_.heap_end) {
      add("top.past_heap_end", "top ends at " + at(end) + ", past the program break " +
                                   at(loc_.heap_end) + ".", top_, top_size_);
    } else if (end != loc_.heap_end && !(flags_ & kNonContiguous)) {
      add("top.not_at_heap_end", "top ends at " + at(end) + " but the program break is at " +
                                     at(loc_.heap_end) + ".", top_, top_size_);
    }
    if (!(flags_ & kNonContiguous) && sbrk_base_ + system_mem_ != end) {
      add("arena.system_mem", "mp_.sbrk_base + av->system_mem = " + at(sbrk_base_ + system_mem_) +
                                  " is not the end of top " + at(end) + ".", top_, top_size_);
    }
    if ((global_max_fast_ & ~uint64_t{1}) > kMaxFastChunk) {
      add("arena.max_fast", "global_max_fast " + hex(global_max_fast_) + " is above " +
                                hex(kMaxFastChunk) + ".");
    }
    return true;
  }

  // ---- the chunks, by size fields from the heap start to top -----------------------------------

  void walk_heap() {
    uint64_t p = loc_.heap_base;
    walk_complete_ = false;
    while (p != top_) {
      unsigned char hdr[16];
      if (p > top_ || !in_heap(p, 0x10) || !mem_.read(p, hdr, sizeof hdr)) {
        add("chunk.unreadable", "walking the heap by size fields reaches " + at(p) +
                                    ", which cannot be read, before top at " + at(top_) + ".");
        return;
      }
      const uint64_t size_field = load<uint64_t>(hdr, 8);
      const uint64_t size = size_field & ~kFlagBits;
      if (size < kMinSize || (size & kAlignMask) != 0 || size > top_ - p) {
        add("chunk.bad_size", "chunk size field " + hex(size_field) + " is " +
                                  (size < kMinSize ? "below MINSIZE" :
                                   (size & kAlignMask) ? "not a multiple of 16" : "running into top") +
                                  "; the heap walk stops here.", p, size);
        return;
      }
      if (size_field & kIsMmapped) {
        add("chunk.flags", "IS_MMAPPED is set on a chunk inside the brk heap.", p, size);
      }
      if (size_field & kNonMainArena) {
        add("chunk.flags", "NON_MAIN_ARENA is set on a chunk of the main heap.", p, size);
      }
      if (!(size_field & kPrevInuse)) {
        if (chunks_.empty()) {
          add("chunk.first_prev_inuse", "the first chunk of the heap has PREV_INUSE clear.", p, size);
        } else {
          // The previous chunk is free: its footer (our prev_size) must be its size
          // (do_check_inuse_chunk: next_chunk(prev_chunk(p)) == p; do_check_free_chunk's footer).
          const Walked& prev = chunks_.back();
          const uint64_t prev_size = load<uint64_t>(hdr, 0);
          if (prev_size != prev.size) {
            add("free.footer", "the free chunk's footer (prev_size of the next chunk, " + at(p) +
                                   ") is " + hex(prev_size) + ", not its size.", prev.addr, prev.size);
          }
        }
      }
      if (chunks_.size() >= kMaxChunks) return;
      chunks_.push_back({p, size, size_field & kFlagBits});
      p += size;
    }
    walk_complete_ = true;
  }

  // Index in chunks_ of the chunk at addr, or -1.
  long find_chunk(uint64_t addr) const {
    auto it = std::lower_bound(chunks_.begin(), chunks_.end(), addr,
                               [](const Walked& w, uint64_t a) { return w.addr < a; });
    if (it == chunks_.end() || it->addr != addr) return -1;
    return it - chunks_.begin();
  }
  // PREV_INUSE of the chunk after chunks_[i] (top's for the last one).
  bool next_prev_inuse(size_t i) const {
    if (i + 1 < chunks_.size()) return chunks_[i + 1].flags & kPrevInuse;
    return true;  // top: checked by top.prev_inuse
  }

  // ---- unsorted, small and large bins ----------------------------------------------------------

  void check_regular_bins() {
    for (int i = 1; i < kBins - 1 && !full(); ++i) {
      const uint64_t head = layout_.bin_at(loc_.arena, i);
      const uint64_t fd = load<uint64_t>(av_, layout_.bins + (i - 1) * 0x10);
      const uint64_t bk = load<uint64_t>(av_, layout_.bins + (i - 1) * 0x10 + 8);
      const bool empty = fd == head;
      if (i >= 2 && !empty) {
        const uint32_t word = load<uint32_t>(av_, layout_.binmap + 4 * (i >> 5));
        if (!(word & (1u << (i & 31)))) {
          add("binmap.clear_for_nonempty", "the bin is not empty but its binmap bit is clear.", 0,
              0, BinId{BinKind::kRegular, i});
        }
      }
      if (empty && bk == head) continue;
      walk_regular_bin(i, head, fd, bk);
    }
  }

  void walk_regular_bin(int i, uint64_t head, uint64_t fd, uint64_t head_bk) {
    const BinId name{BinKind::kRegular, i};
    const size_t first_record = binned_.size();
    std::vector<Walked>& list = t_scratch.list;  // the bin's chunks from head->fd, with their
    std::vector<std::pair<uint64_t, uint64_t>>& nextsize = t_scratch.nextsize;  // nextsize pointers
    list.clear();
    nextsize.clear();
    uint64_t prev = head;
    uint64_t p = fd;
    bool intact = true;
    bool mismatch_reported = false;
    uint64_t last_size = 0;  // of the previous chunk in the list
    size_t length = 0;
    while (p != head) {
      if ((p & kAlignMask) != 0 || !in_heap(p, 0x30)) {
        add("bin.bad_pointer", "the bin's list reaches " + at(p) + " (from " + at(prev) +
                                   "), not an aligned chunk inside the heap.", 0, 0, name);
        intact = false;
        break;
      }
      if (++length > max_list_) {
        report_cycle("bin.cycle", name, first_record);
        intact = false;
        break;
      }
      unsigned char c[0x30];
      if (!mem_.read(p, c, sizeof c)) {
        add("bin.bad_pointer", "the bin's list reaches unreadable memory at " + at(p) + ".", 0, 0, name);
        intact = false;
        break;
      }
      const uint64_t size = load<uint64_t>(c, 8) & ~kFlagBits;
      const uint64_t p_fd = load<uint64_t>(c, 0x10), p_bk = load<uint64_t>(c, 0x18);
      if (p_bk != prev && !mismatch_reported) {
        mismatch_reported = true;  // one per bin: a loop would repeat it
        add("bin.fd_bk_mismatch", (prev == head ? std::string("the bin head") : at(prev)) +
                                      "->fd is " + at(p) + " but its bk is " + at(p_bk) + ".",
            p, size, name);
      }
      if (i >= 2 && bin_index_for_size(size) != i) {
        add("bin.wrong_bin", "a chunk of size " + hex(size) + " belongs in " +
                                 regular_bin_name(bin_index_for_size(size)) + ".", p, size, name);
      }
      if (i >= 64 && !list.empty() && size > last_size) {
        add("largebin.unsorted", "the large bin is not sorted by size (descending from head->fd): " +
                                     hex(size) + " follows " + hex(last_size) + ".", p, size, name);
        intact = false;
      }
      if (i >= 64) nextsize.emplace_back(load<uint64_t>(c, 0x20), load<uint64_t>(c, 0x28));
      if (i == 1 && size >= kMinLargeSize && (load<uint64_t>(c, 0x20) || load<uint64_t>(c, 0x28))) {
        add("unsorted.nextsize_set", "a large chunk in the unsorted bin has fd_nextsize/bk_nextsize "
                                     "set (glibc clears them before it links a chunk there).",
            p, size, name);
      }
      binned_.push_back({p, BinKind::kRegular, i});
      if (i >= 64) list.push_back({p, size, 0});  // for the order and nextsize checks
      last_size = size;
      prev = p;
      p = p_fd;
    }
    if (intact && head_bk != prev && !mismatch_reported) {
      add("bin.fd_bk_mismatch", "the last chunk of the bin is " + at(prev) + " but the head's bk is " +
                                    at(head_bk) + ".", prev == head ? 0 : prev, 0, name);
    }
    if (intact && i >= 64) check_nextsize(name, list, nextsize);
  }

  // The fd_nextsize/bk_nextsize ring links exactly the first chunk of each size, largest to
  // smallest and around; every other chunk has both NULL (glibc links a chunk of an existing size
  // second, leaving the NULLs the unsorted bin gave it).
  void check_nextsize(BinId name, const std::vector<Walked>& list,
                      const std::vector<std::pair<uint64_t, uint64_t>>& nextsize) {
    std::vector<size_t> firsts;
    for (size_t j = 0; j < list.size(); ++j) {
      if (j == 0 || list[j].size != list[j - 1].size) firsts.push_back(j);
    }
    size_t run = 0;
    for (size_t j = 0; j < list.size() && !full(); ++j) {
      const Walked& c = list[j];
      if (run < firsts.size() && firsts[run] == j) {
        const uint64_t want_fd = list[firsts[(run + 1) % firsts.size()]].addr;
        const uint64_t want_bk = list[firsts[(run + firsts.size() - 1) % firsts.size()]].addr;
        if (nextsize[j].first != want_fd || nextsize[j].second != want_bk) {
          add("largebin.nextsize", "the first chunk of size " + hex(c.size) + " has fd_nextsize " +
                                       at(nextsize[j].first) + " and bk_nextsize " +
                                       at(nextsize[j].second) + "; the next smaller size starts at " +
                                       at(want_fd) + " and the next larger at " + at(want_bk) + ".",
              c.addr, c.size, name);
        }
        ++run;
      } else if (nextsize[j].first != 0 || nextsize[j].second != 0) {
        add("largebin.nextsize", "a chunk that is not the first of its size has fd_nextsize " +
                                     at(nextsize[j].first) + " and bk_nextsize " +
                                     at(nextsize[j].second) + " (both should be NULL).",
            c.addr, c.size, name);
      }
    }
  }

  // A list went round more than max_list_ times: name the first chunk it meets twice.
  void report_cycle(const char* rule, BinId name, size_t first_record) {
    std::unordered_set<uint64_t> seen;
    size_t keep = binned_.size();
    for (size_t k = first_record; k < binned_.size(); ++k) {
      if (!seen.insert(binned_[k].addr).second) {
        const uint64_t a = binned_[k].addr;
        add(rule, "the list comes back to " + at(a) + ": it loops.", a, chunk_size_at(a), name);
        keep = k;
        break;
      }
    }
    binned_.resize(keep);  // each chunk of the loop counted once
  }

  // ---- fastbins --------------------------------------------------------------------------------

  void check_fastbins() {
    const int max_fast_bin = fastbin_index(global_max_fast_);
    bool any = false;
    for (int i = 0; i < kFastBins && !full(); ++i) {
      const BinId name{BinKind::kFast, i};
      const size_t first_record = binned_.size();
      uint64_t p = load<uint64_t>(av_, layout_.fastbins + 8 * i);
      if (p != 0) any = true;
      if (p != 0 && i > max_fast_bin) {
        add("fastbin.beyond_max_fast", "the fastbin is not empty but global_max_fast is " +
                                           hex(global_max_fast_) + ".", 0, 0, name);
      }
      size_t n = 0;
      uint64_t from = 0;
      while (p != 0) {
        if ((p & kAlignMask) != 0 || !in_heap(p, 0x18)) {
          add("fastbin.bad_pointer", std::string(layout_.safe_linking ? "the revealed " : "the ") +
                                         "next pointer " + (from ? "of " + at(from) : "in the head") +
                                         " is " + at(p) + ", not an aligned chunk inside the heap.",
              0, 0, name);
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
          add("fastbin.wrong_size", "a chunk of size " + hex(size) + " in the fastbin for " +
                                        hex(static_cast<uint64_t>(i + 2) << 4) + ".", p, size, name);
        }
        binned_.push_back({p, BinKind::kFast, i});
        from = p;
        p = layout_.safe_linking ? reveal_ptr(p + 0x10, hdr[2]) : hdr[2];
      }
    }
    if (any && layout_.have_fastchunks >= 0 && load<int32_t>(av_, layout_.have_fastchunks) == 0) {
      add("fastbin.have_fastchunks", "a fastbin holds chunks but av->have_fastchunks is false.");
    }
  }

  // ---- tcache ----------------------------------------------------------------------------------

  void check_tcache() {
    if (!layout_.tcache || loc_.tcache == 0) return;
    unsigned char tc[0x80 + 8 * kTcacheBins];
    const uint64_t bytes = layout_.tcache_entries + 8 * kTcacheBins;
    if (bytes > sizeof tc || !mem_.read(loc_.tcache, tc, bytes)) {
      add("tcache.unreadable", "the tcache struct cannot be read at " + at(loc_.tcache) + ".");
      return;
    }
    bool have_key = false;
    uint64_t key = 0;
    for (int i = 0; i < kTcacheBins && !full(); ++i) {
      const BinId name{BinKind::kTcache, i};
      const size_t first_record = binned_.size();
      const uint64_t count = layout_.tcache_count_bytes == 2 ? load<uint16_t>(tc, 2 * i)
                                                             : load<uint8_t>(tc, i);
      uint64_t e = load<uint64_t>(tc, layout_.tcache_entries + 8 * i);
      if (static_cast<uint64_t>(i) >= tcache_bins_ && (count != 0 || e != 0)) {
        add("tcache.beyond_bins", "the bin is past mp_.tcache_bins (" + std::to_string(tcache_bins_) +
                                      ") but holds a count or an entry.", 0, 0, name);
      }
      if (count > tcache_count_) {
        add("tcache.count_over_limit", "counts[" + std::to_string(i) + "] is " +
                                           std::to_string(count) + ", above mp_.tcache_count " +
                                           std::to_string(tcache_count_) + ".", 0, 0, name);
      }
      uint64_t n = 0;
      uint64_t from = 0;
      bool broken = false;
      while (e != 0) {
        const uint64_t chunk = e - 0x10;
        if ((e & kAlignMask) != 0 || !in_heap(chunk, 0x20)) {
          add("tcache.bad_pointer", std::string(from && layout_.safe_linking ? "the revealed " : "the ") +
                                        "next pointer " + (from ? "of " + at(from) : "in entries[]") +
                                        " is " + at(e) + ", not an aligned chunk inside the heap.",
              0, 0, name);
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
        if (tcache_index(size) != i) {
          add("tcache.wrong_size", "a chunk of size " + hex(size) + " in the tcache bin for " +
                                       hex(static_cast<uint64_t>(i) * 0x10 + 0x20) + ".",
              chunk, size, name);
        }
        if (!have_key) {
          have_key = true;
          key = c[3];
          // Before 2.34 the key is the tcache struct's address; since, a random process-wide value.
          if (!key_is_random() && key != loc_.tcache) {
            add("tcache.key", "the entry's key is " + hex(key) + ", not the tcache struct " +
                                  at(loc_.tcache) + ".", chunk, size, name);
          }
        } else if (c[3] != key) {
          add("tcache.key", "the entry's key " + hex(c[3]) + " differs from the other entries' " +
                                hex(key) + ".", chunk, size, name);
        }
        binned_.push_back({chunk, BinKind::kTcache, i});
        from = e;
        e = layout_.safe_linking ? reveal_ptr(e, c[2]) : c[2];
      }
      if (!broken && n != count) {
        add("tcache.count_mismatch", "counts[" + std::to_string(i) + "] is " + std::to_string(count) +
                                         " but the list holds " + std::to_string(n) + ".", 0, 0, name);
      }
    }
  }

  bool key_is_random() const {
    int major = 0, minor = 0;
    return std::sscanf(layout_.version.c_str(), "%d.%d", &major, &minor) != 2 || minor >= 34;
  }

  // ---- chunks against bins ---------------------------------------------------------------------

  void check_binned_chunks() {
    // holder[i]: the first record in binned_ (bin order: regular, fast, tcache) of chunks_[i].
    std::vector<int>& holder = t_scratch.holder;
    std::vector<char>& in_regular = t_scratch.in_regular;
    holder.assign(chunks_.size(), -1);
    in_regular.assign(chunks_.size(), 0);
    for (size_t k = 0; k < binned_.size() && !full(); ++k) {
      const Binned& b = binned_[k];
      const BinId name{b.kind, b.index};
      const long idx = find_chunk(b.addr);
      if (idx < 0) {
        if (walk_complete_ || b.addr < chunks_end()) {
          add("bin.not_a_chunk", "the bin holds " + at(b.addr) +
                                     ", which is not the start of a chunk of the heap.",
              b.addr, chunk_size_at(b.addr), name);
        }
        continue;
      }
      if (holder[idx] >= 0) {
        const Binned& first = binned_[holder[idx]];
        add("chunk.in_two_bins", "the chunk is also in " + bin_name({first.kind, first.index}) + ".",
            b.addr, chunks_[idx].size, name);
        continue;
      }
      holder[idx] = static_cast<int>(k);
      const Walked& c = chunks_[idx];
      const bool free_by_header = !next_prev_inuse(idx);
      if (b.kind == BinKind::kRegular) {
        in_regular[idx] = 1;
        if (!free_by_header) {
          add("bin.chunk_in_use", "the chunk is in a bin but the next chunk's PREV_INUSE says it is "
                                  "in use.", c.addr, c.size, name);
        }
        if (!(c.flags & kPrevInuse) && idx > 0) {
          add("free.neighbours", "the free chunk follows another free chunk (" +
                                     at(chunks_[idx - 1].addr) + "): they should have been merged.",
              c.addr, c.size, name);
        }
      } else if (free_by_header) {
        add(b.kind == BinKind::kFast ? "fastbin.chunk_free" : "tcache.chunk_free",
            "the chunk is cached but the next chunk's PREV_INUSE is clear (cached chunks stay in use).",
            c.addr, c.size, name);
        in_regular[idx] = 1;  // already reported: not also "free.not_in_bin"
      }
    }
    for (size_t i = 0; i < chunks_.size() && !full(); ++i) {
      if (!next_prev_inuse(i) && !in_regular[i]) {
        add("free.not_in_bin", std::string("the chunk is free (the next chunk's PREV_INUSE is clear) "
                                           "but no bin holds it") +
                                   (holder[i] >= 0 ? "." : " (lost)."), chunks_[i].addr, chunks_[i].size);
      }
    }
  }

  uint64_t chunks_end() const { return chunks_.empty() ? loc_.heap_base : chunks_.back().addr + chunks_.back().size; }

  static std::string bin_name(BinId b) {
    switch (b.kind) {
      case BinKind::kNone: return "";
      case BinKind::kRegular: return regular_bin_name(b.index);
      case BinKind::kFast: return fastbin_name(b.index);
      case BinKind::kTcache: return tcache_bin_name(b.index);
    }
    return "";
  }

  const MemoryReader& mem_;
  const HeapLocation& loc_;
  const GlibcLayout& layout_;
  const CheckOptions& options_;
  std::vector<Violation>* out_;

  unsigned char av_[kMallocStateBytes];
  uint64_t top_ = 0, top_size_ = 0, system_mem_ = 0, sbrk_base_ = 0, global_max_fast_ = 0;
  uint64_t tcache_bins_ = kTcacheBins, tcache_count_ = 7;
  uint32_t flags_ = 0;
  uint64_t max_list_ = 0;
  std::vector<Walked>& chunks_ = t_scratch.chunks;
  bool walk_complete_ = false;
  bool full_ = false;
  std::vector<Binned>& binned_ = t_scratch.binned;
};

// The smallest size of each large bin, computed once from bin_index_for_size.
const std::vector<uint64_t>& large_bin_starts() {
  static const std::vector<uint64_t> starts = [] {
    std::vector<uint64_t> s(kBins, 0);
    for (uint64_t size = 0x1000000; size >= kMinLargeSize; size -= 0x10) {
      s[bin_index_for_size(size)] = size;
    }
    return s;
  }();
  return starts;
}

}  // namespace

int bin_index_for_size(uint64_t sz) {
  if (sz < kMinLargeSize) return static_cast<int>(sz >> 4);
  if ((sz >> 6) <= 48) return static_cast<int>(48 + (sz >> 6));
  if ((sz >> 9) <= 20) return static_cast<int>(91 + (sz >> 9));
  if ((sz >> 12) <= 10) return static_cast<int>(110 + (sz >> 12));
  if ((sz >> 15) <= 4) return static_cast<int>(119 + (sz >> 15));
  if ((sz >> 18) <= 2) return static_cast<int>(124 + (sz >> 18));
  return 126;
}

std::string regular_bin_name(int i) {
  if (i == 1) return "unsortedbin";
  if (i >= 2 && i < 64) return "smallbins[" + hex(static_cast<uint64_t>(i) << 4) + "]";
  if (i >= 64 && i < kBins - 1) {
    const auto& starts = large_bin_starts();
    if (i == kBins - 2) return "largebins[" + hex(starts[i]) + "+]";
    return "largebins[" + hex(starts[i]) + "-" + hex(starts[i + 1] - 0x10) + "]";
  }
  return "bins[" + std::to_string(i) + "]";
}

std::string fastbin_name(int i) { return "fastbins[" + hex(static_cast<uint64_t>(i + 2) << 4) + "]"; }
std::string tcache_bin_name(int i) { return "tcachebins[" + hex(static_cast<uint64_t>(i) * 0x10 + 0x20) + "]"; }

std::string to_string(const Violation& v) {
  std::string s;
  if (v.op_index >= 0) s += "op " + std::to_string(v.op_index) + ": ";
  s += v.rule;
  if (v.chunk >= 0) {
    s += " at chunk heap+" + hex(static_cast<uint64_t>(v.chunk));
    if (v.chunk_size) s += " (size " + hex(v.chunk_size) + ")";
  }
  if (!v.bin.empty()) s += " in " + v.bin;
  s += ": " + v.message;
  return s;
}

std::vector<Violation> check_heap(const MemoryReader& mem, const HeapLocation& loc,
                                  const GlibcLayout& layout, const CheckOptions& options) {
  std::vector<Violation> out;
  Checker(mem, loc, layout, options, &out).run();
  return out;
}

const std::vector<CheckRule>& check_rules() {
  static const std::vector<CheckRule> rules = {
      {"arena.unreadable", "main_arena, mp_ or global_max_fast cannot be read"},
      {"top.outside_heap", "av->top is an aligned chunk inside the heap"},
      {"top.size", "top is at least MINSIZE (do_check_chunk)"},
      {"top.prev_inuse", "top's PREV_INUSE is set (do_check_chunk)"},
      {"chunk.flags", "no chunk of the brk heap has IS_MMAPPED or NON_MAIN_ARENA set"},
      {"top.past_heap_end", "top ends at or before the program break"},
      {"top.not_at_heap_end", "top ends exactly at the program break (contiguous main arena)"},
      {"arena.system_mem", "mp_.sbrk_base + system_mem is the end of top (do_check_malloc_state)"},
      {"arena.max_fast", "global_max_fast <= request2size(MAX_FAST_SIZE) (do_check_malloc_state)"},
      {"chunk.unreadable", "walking the heap by size fields reads every chunk up to top"},
      {"chunk.bad_size", "every chunk is >= MINSIZE, 16-aligned and ends at or before top"},
      {"chunk.first_prev_inuse", "the heap's first chunk has PREV_INUSE set"},
      {"free.footer", "a free chunk's size equals the next chunk's prev_size"},
      {"binmap.clear_for_nonempty", "a non-empty bin has its binmap bit set (a set bit on an empty bin is allowed)"},
      {"bin.bad_pointer", "a bin list only reaches aligned chunks inside the heap"},
      {"bin.cycle", "a bin list returns to its head"},
      {"bin.fd_bk_mismatch", "for every link of a bin, p->fd->bk == p (and the head's bk is the last chunk)"},
      {"bin.wrong_bin", "a small or large bin holds only sizes whose bin_index is that bin"},
      {"largebin.unsorted", "a large bin is sorted by size, largest at head->fd"},
      {"unsorted.nextsize_set", "a large chunk in the unsorted bin has NULL fd_nextsize/bk_nextsize"},
      {"largebin.nextsize", "fd_nextsize/bk_nextsize ring exactly the first chunk of each size; others NULL"},
      {"fastbin.beyond_max_fast", "fastbins above global_max_fast are empty (do_check_malloc_state)"},
      {"fastbin.bad_pointer", "fastbin next pointers (revealed) are aligned chunks inside the heap"},
      {"fastbin.cycle", "a fastbin list ends"},
      {"fastbin.wrong_size", "a fastbin holds only chunks of its size"},
      {"fastbin.have_fastchunks", "have_fastchunks is true while a fastbin holds chunks"},
      {"tcache.unreadable", "the tcache struct can be read"},
      {"tcache.beyond_bins", "tcache bins past mp_.tcache_bins are empty"},
      {"tcache.count_over_limit", "counts[i] <= mp_.tcache_count"},
      {"tcache.bad_pointer", "tcache next pointers (revealed) are aligned chunks inside the heap"},
      {"tcache.cycle", "a tcache list ends"},
      {"tcache.wrong_size", "a tcache bin holds only chunks of its size"},
      {"tcache.key", "every tcache entry carries the same key (the tcache struct before 2.34)"},
      {"tcache.count_mismatch", "counts[i] equals the length of entries[i]"},
      {"chunk.in_two_bins", "no chunk is in two bins (or twice in one)"},
      {"bin.not_a_chunk", "every binned chunk is a chunk met walking the heap"},
      {"bin.chunk_in_use", "a chunk in unsorted/small/large bins is free (next chunk's PREV_INUSE clear)"},
      {"free.neighbours", "no two free chunks are neighbours outside fastbins and tcache"},
      {"fastbin.chunk_free", "a fastbin chunk stays marked in use"},
      {"tcache.chunk_free", "a tcache chunk stays marked in use"},
      {"free.not_in_bin", "every free chunk is in an unsorted, small or large bin"},
  };
  return rules;
}

}  // namespace heaptwin
