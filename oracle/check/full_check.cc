// The full check's driver, and its rules about main_arena, mp_ and top.
#include "oracle/check/full_check.h"

#include <cstring>

#include "oracle/check/full_check_run.h"

namespace heaptwin::check {

namespace {
constexpr size_t kMaxChunks = 1 << 20;  // the heap walk stops after this many chunks
constexpr size_t kMaxBinned = 1 << 22;  // bin walks stop recording after this many chunks
}  // namespace

Text Reporter::note(const char* rule, uint64_t chunk, uint64_t size, BinId bin) {
  Finding* f = out_->next();
  if (f == nullptr) return Text(scratch_, sizeof scratch_);
  f->rule = rule;
  f->chunk = chunk;
  f->chunk_size = chunk != 0 ? size : 0;
  f->bin = bin;
  return Text(f->message, sizeof f->message);
}

bool FullCheck::init(Region* region) {
  return chunks_.init(region, kMaxChunks) && list_.init(region, kMaxChunks) &&
         binned_.init(region, kMaxBinned) && nextsize_fd_.init(region, kMaxChunks) &&
         nextsize_bk_.init(region, kMaxChunks) && seen_.init(region, 2 * kMaxBinned) &&
         holder_.init(region, kMaxChunks) && in_regular_.init(region, kMaxChunks) &&
         firsts_.init(region, kMaxChunks);
}

void FullCheck::run(const Reader& mem, const Where& where, const Layout& layout, Findings* out) {
  FullCheckRun(this, mem, where, layout, out).run();
}

void FullCheckRun::run() {
  s_.chunks_.clear();
  s_.binned_.clear();
  s_.walk_complete_ = false;
  s_.checked_ = false;
  s_.top_ = 0;
  if (!read_arena()) return;
  // A break that could not grow made glibc continue the main arena in mmapped memory
  // (sysmalloc's MORECORE failure: NONCONTIGUOUS_BIT). Its chunks then span regions this
  // checker does not know: it checks nothing rather than report the gaps as corruption.
  if (flags_ & kNonContiguous) return;
  if (top_ == 0 || top_ == layout_.bin_at(loc_.arena, 1)) return;  // no heap yet
  s_.checked_ = true;
  s_.top_ = top_;
  if (!check_top()) return;
  walk_heap();
  check_regular_bins();
  check_fastbins();
  check_tcache();
  check_binned_chunks();
}

bool FullCheckRun::arena_and_top() {
  if (!read_arena()) return false;
  if (flags_ & kNonContiguous) return false;
  if (top_ == 0 || top_ == layout_.bin_at(loc_.arena, 1)) return false;
  return check_top();
}

bool FullCheckRun::top_rules(const unsigned char* av, uint64_t global_max_fast, uint64_t sbrk_base,
                             const unsigned char* heap) {
  heap_ = heap;
  top_ = load<uint64_t>(av, layout_.top);
  flags_ = static_cast<uint32_t>(load<int32_t>(av, layout_.flags));
  system_mem_ = load<uint64_t>(av, layout_.system_mem);
  global_max_fast_ = global_max_fast;
  sbrk_base_ = sbrk_base;
  if (flags_ & kNonContiguous) return false;
  if (top_ == 0 || top_ == layout_.bin_at(loc_.arena, 1)) return false;
  return check_top();
}

bool FullCheckRun::read_arena() {
  if (!mem_.read(loc_.arena, av_, sizeof av_)) {
    Text t = r_.note("arena.unreadable");
    t.add("main_arena cannot be read at ").hex(loc_.arena).add(".");
    return false;
  }
  if (!u64(loc_.global_max_fast, &global_max_fast_) ||
      !u64(loc_.mp + layout_.mp_sbrk_base, &sbrk_base_)) {
    r_.note("arena.unreadable").add("mp_ or global_max_fast cannot be read.");
    return false;
  }
  global_max_fast_ = layout_.max_fast_of(global_max_fast_);
  if (layout_.tcache) {
    u64(loc_.mp + layout_.mp_tcache_bins, &tcache_bins_);
    u64(loc_.mp + layout_.mp_tcache_count, &tcache_count_);
    u64(loc_.mp + layout_.mp_tcache_max_bytes, &tcache_max_bytes_);
  }
  top_ = load<uint64_t>(av_, layout_.top);
  flags_ = static_cast<uint32_t>(load<int32_t>(av_, layout_.flags));
  system_mem_ = load<uint64_t>(av_, layout_.system_mem);
  // A list can hold at most one entry per MINSIZE of heap; more means it loops.
  max_list_ = (loc_.heap_end - loc_.heap_base) / kMinSize + 1;
  return true;
}

// do_check_chunk(top) and do_check_malloc_state's sbrk_base + system_mem == end of top.
bool FullCheckRun::check_top() {
  uint64_t size_field = 0;
  auto read_size = [&] {
    if (heap_ == nullptr) return u64(top_ + 8, &size_field);
    std::memcpy(&size_field, heap_ + (top_ + 8 - loc_.heap_base), 8);
    return true;
  };
  if (!in_heap(top_, 0x10) || (top_ & kAlignMask) != 0 || !read_size()) {
    Text t = r_.note("top.outside_heap");
    t.add("av->top ");
    at(t, top_).add(" is not an aligned chunk inside the heap [").hex(loc_.heap_base).add(", ");
    t.hex(loc_.heap_end).add(").");
    return false;
  }
  top_size_ = size_field & ~kFlagBits;
  const uint64_t end = top_ + top_size_;
  if (top_size_ < kMinSize) {
    r_.note("top.size", top_, top_size_)
        .add("top's size ")
        .hex(top_size_)
        .add(" is below MINSIZE.");
  }
  if (!(size_field & kPrevInuse)) {
    r_.note("top.prev_inuse", top_, top_size_)
        .add(
            "top's PREV_INUSE is clear: the chunk before top must be in use "
            "(a free one is merged into top).");
  }
  if (size_field & (kIsMmapped | kNonMainArena)) {
    r_.note("chunk.flags", top_, top_size_)
        .add("top's size field has IS_MMAPPED or NON_MAIN_ARENA set (")
        .hex(size_field)
        .add(").");
  }
  if (end < top_ || end > loc_.heap_end) {
    Text t = r_.note("top.past_heap_end", top_, top_size_);
    at(t.add("top ends at "), end).add(", past the program break ");
    at(t, loc_.heap_end).add(".");
  } else if (end != loc_.heap_end && !(flags_ & kNonContiguous)) {
    Text t = r_.note("top.not_at_heap_end", top_, top_size_);
    at(t.add("top ends at "), end).add(" but the program break is at ");
    at(t, loc_.heap_end).add(".");
  }
  if (!(flags_ & kNonContiguous) && sbrk_base_ + system_mem_ != end) {
    Text t = r_.note("arena.system_mem", top_, top_size_);
    at(t.add("mp_.sbrk_base + av->system_mem = "), sbrk_base_ + system_mem_)
        .add(" is not the end of top ");
    at(t, end).add(".");
  }
  if (layout_.fastbins_exist && (global_max_fast_ & ~uint64_t{1}) > kMaxFastChunk) {
    r_.note("arena.max_fast")
        .add("global_max_fast ")
        .hex(global_max_fast_)
        .add(" is above ")
        .hex(kMaxFastChunk)
        .add(".");
  }
  return true;
}

}  // namespace heaptwin::check
