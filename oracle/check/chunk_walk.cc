// The full check's walk of the heap by size fields, from the heap start to top: chunk sizes and
// flags, the first chunk's PREV_INUSE, and the footer of every free chunk.
#include "oracle/check/full_check_run.h"

namespace heaptwin::check {

void FullCheckRun::walk_heap() {
  Array<Walked>& chunks = s_.chunks_;
  uint64_t p = loc_.heap_base;
  s_.walk_complete_ = false;
  while (p != top_) {
    unsigned char hdr[16];
    if (p > top_ || !in_heap(p, 0x10) || !mem_.read(p, hdr, sizeof hdr)) {
      Text t = r_.note("chunk.unreadable");
      at(t.add("walking the heap by size fields reaches "), p)
          .add(", which cannot be read, before top at ");
      at(t, top_).add(".");
      return;
    }
    const uint64_t size_field = load<uint64_t>(hdr, 8);
    const uint64_t size = size_field & ~kFlagBits;
    if (size < kMinSize || (size & kAlignMask) != 0 || size > top_ - p) {
      r_.note("chunk.bad_size", p, size)
          .add("chunk size field ")
          .hex(size_field)
          .add(" is ")
          .add(size < kMinSize       ? "below MINSIZE"
               : (size & kAlignMask) ? "not a multiple of 16"
                                     : "running into top")
          .add("; the heap walk stops here.");
      return;
    }
    if (size_field & kIsMmapped) {
      r_.note("chunk.flags", p, size).add("IS_MMAPPED is set on a chunk inside the brk heap.");
    }
    if (size_field & kNonMainArena) {
      r_.note("chunk.flags", p, size).add("NON_MAIN_ARENA is set on a chunk of the main heap.");
    }
    if (!(size_field & kPrevInuse)) {
      if (chunks.empty()) {
        r_.note("chunk.first_prev_inuse", p, size)
            .add("the first chunk of the heap has PREV_INUSE clear.");
      } else {
        // The previous chunk is free: its footer (our prev_size) must be its size
        // (do_check_inuse_chunk: next_chunk(prev_chunk(p)) == p; do_check_free_chunk's footer).
        const Walked& prev = chunks.back();
        const uint64_t prev_size = load<uint64_t>(hdr, 0);
        if (prev_size != prev.size) {
          Text t = r_.note("free.footer", prev.addr, prev.size);
          at(t.add("the free chunk's footer (prev_size of the next chunk, "), p).add(") is ");
          t.hex(prev_size).add(", not its size.");
        }
      }
    }
    if (!chunks.push({p, size, size_field & kFlagBits})) return;
    p += size;
  }
  s_.walk_complete_ = true;
}

// Index in chunks of the chunk at addr, or -1.
long FullCheckRun::find_chunk(uint64_t addr) const {
  const Array<Walked>& chunks = s_.chunks_;
  size_t lo = 0, hi = chunks.size();
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (chunks[mid].addr < addr) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo == chunks.size() || chunks[lo].addr != addr) return -1;
  return static_cast<long>(lo);
}

// PREV_INUSE of the chunk after chunks[i] (top's for the last one).
bool FullCheckRun::next_prev_inuse(size_t i) const {
  if (i + 1 < s_.chunks_.size()) return s_.chunks_[i + 1].flags & kPrevInuse;
  return true;  // top: checked by top.prev_inuse
}

uint64_t FullCheckRun::chunks_end() const {
  const Array<Walked>& c = s_.chunks_;
  return c.empty() ? loc_.heap_base : c.back().addr + c.back().size;
}

}  // namespace heaptwin::check
