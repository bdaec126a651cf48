// The incremental check's view of the chunks: the chunk map brought up to date from the headers
// the op wrote (each followed by size fields until it rejoins a chunk start the map already
// had), the chunks whose headers the op touched, and their neighbours.
//
// A chunk's own rules (chunk_rules) read its header line (prev_size, size), its neighbours'
// sizes and which list holds it. So a write into a chunk's body (fd, bk, nextsize, key, user
// data) changes none of them for it or its neighbours; what it changes in lists the list walk
// checks, and a chunk whose list changed is checked anyway (local_rules). Only chunks whose
// header line was written, the chunks the walk by size fields passed, and top are touched.
#include "oracle/check/incremental_op.h"

namespace heaptwin::check {

void OpCheck::touch(uint64_t chunk) {
  if (touched_set_.insert(chunk)) s_.touched_.push(chunk);
}

bool OpCheck::update_chunk_map(const uint64_t* written, uint64_t count) {
  Array<uint64_t>& addrs = s_.addrs_;
  addrs.clear();
  // By 16-byte line: all that follows looks at lines (a chunk's header line, the chunks a line may
  // belong to), and an op stores fd and bk, prev_size and size, one after the other: fewer to sort.
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t line = written[i] & ~kAlignMask;
    if (written[i] >= loc_.heap_base && written[i] < loc_.heap_end &&
        (addrs.empty() || addrs.back() != line)) {
      addrs.push(line);
    }
  }
  // A top that moved is a chunk start the walk must land on, whether or not its header changed.
  if (top_ != old_top_ || loc_.heap_end != s_.where_.heap_end) addrs.push(top_);
  sort_u64(addrs.begin(), addrs.size());
  uint64_t n = 0;
  for (uint64_t i = 0; i < addrs.size(); ++i) {
    if (n == 0 || addrs[i] != addrs[n - 1]) addrs[n++] = addrs[i];
  }
  addrs.resize(n);
  touched_set_.begin(n + 4);
  s_.touched_.clear();
  s_.unstarted_.clear();
  ChunkMap& map = s_.map_;
  auto unstarted = [&](uint64_t a) { s_.unstarted_.push(a); };
  uint64_t cursor = 0;
  for (uint64_t i = 0; i < addrs.size(); ++i) {
    const uint64_t w = addrs[i];
    if (w < cursor) continue;
    uint64_t p = map.start_at_or_before(w);
    // A write into the body of a chunk below top whose header line the op did not write (the
    // addresses are sorted, and the walk from a written header skips past its chunk): its size,
    // so the map from it on, is as it was. Nothing to walk.
    if (p != 0 && p < top_ && w >= p + 0x10) continue;
    if (p == 0) p = loc_.heap_base;
    for (;;) {
      if (p >= top_) {
        // Top: the last chunk. Starts the map had between it and where top was are gone.
        map.set(top_);
        if (old_top_ > top_ && old_top_ - top_ < loc_.heap_end - loc_.heap_base + 0x10) {
          map.clear_between(top_, old_top_ + 0x10, unstarted);
        }
        touch(top_);
        cursor = ~uint64_t{0};
        break;
      }
      uint64_t hdr[2];
      if (!in_heap(p, 0x10) || !read_words(p, hdr, 2)) {
        Text t = r_.note("chunk.unreadable");
        at(t.add("walking the heap by size fields reaches "), p)
            .add(", which cannot be read, before top at ");
        at(t, top_).add(".");
        walk_broken_ = true;
        return false;
      }
      const uint64_t size = hdr[1] & ~kFlagBits;
      if (size < kMinSize || (size & kAlignMask) != 0 || size > top_ - p) {
        r_.note("chunk.bad_size", p, size)
            .add("chunk size field ")
            .hex(hdr[1])
            .add(" is ")
            .add(size < kMinSize       ? "below MINSIZE"
                 : (size & kAlignMask) ? "not a multiple of 16"
                                       : "running into top")
            .add("; the heap walk stops here.");
        walk_broken_ = true;
        return false;
      }
      const uint64_t q = p + size;
      map.clear_between(p, q, unstarted);
      touch(p);  // its header line (or a start the walk reached) was written
      cursor = q;
      const bool was_start = map.test(q);
      map.set(q);
      if (was_start && q != top_) break;  // from q on, the map was right and nothing changed
      p = q;
    }
  }
  // The local rules look at each touched chunk and its two neighbours.
  local_set_.begin(3 * s_.touched_.size() + 4);
  s_.local_.clear();
  auto local = [&](uint64_t c) {
    if (local_set_.insert(c)) s_.local_.push(c);
  };
  for (uint64_t i = 0; i < s_.touched_.size(); ++i) {
    const uint64_t c = s_.touched_[i];
    local(c);
    if (c > loc_.heap_base) {
      const uint64_t prev = map.start_at_or_before(c - 0x10);
      if (prev != 0) local(prev);
    }
    if (c != top_) local(c + size_now(c));
  }
  return true;
}

}  // namespace heaptwin::check
