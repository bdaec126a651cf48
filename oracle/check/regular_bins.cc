// The full check of the unsorted, small and large bins: the binmap, each list's links (bad
// pointers, loops, p->fd->bk == p), the right bin for each size, large bins' order and their
// nextsize skip list.
#include "oracle/check/full_check_run.h"

namespace heaptwin::check {

void FullCheckRun::check_regular_bins() {
  for (int i = 1; i < kBins - 1 && !full(); ++i) {
    const uint64_t head = layout_.bin_at(loc_.arena, i);
    const uint64_t fd = load<uint64_t>(av_, layout_.bins + (i - 1) * 0x10);
    const uint64_t bk = load<uint64_t>(av_, layout_.bins + (i - 1) * 0x10 + 8);
    const bool empty = fd == head;
    if (i >= 2 && !empty) {
      const uint32_t word = load<uint32_t>(av_, layout_.binmap + 4 * (i >> 5));
      if (!(word & (1u << (i & 31)))) {
        r_.note("binmap.clear_for_nonempty", 0, 0, BinId{BinKind::kRegular, i})
            .add("the bin is not empty but its binmap bit is clear.");
      }
    }
    if (empty && bk == head) continue;
    walk_regular_bin(i, head, fd, bk);
  }
}

void FullCheckRun::walk_regular_bin(int i, uint64_t head, uint64_t fd, uint64_t head_bk) {
  const BinId name{BinKind::kRegular, i};
  const size_t first_record = s_.binned_.size();
  Array<Walked>& list = s_.list_;  // the bin's chunks from head->fd, with their nextsize pointers
  list.clear();
  s_.nextsize_fd_.clear();
  s_.nextsize_bk_.clear();
  uint64_t prev = head;
  uint64_t p = fd;
  bool intact = true;
  bool mismatch_reported = false;
  uint64_t last_size = 0;  // of the previous chunk in the list
  size_t length = 0;
  while (p != head) {
    if ((p & kAlignMask) != 0 || !in_heap(p, 0x30)) {
      Text t = r_.note("bin.bad_pointer", 0, 0, name);
      at(t.add("the bin's list reaches "), p).add(" (from ");
      at(t, prev).add("), not an aligned chunk inside the heap.");
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
      Text t = r_.note("bin.bad_pointer", 0, 0, name);
      at(t.add("the bin's list reaches unreadable memory at "), p).add(".");
      intact = false;
      break;
    }
    const uint64_t size = load<uint64_t>(c, 8) & ~kFlagBits;
    const uint64_t p_fd = load<uint64_t>(c, 0x10), p_bk = load<uint64_t>(c, 0x18);
    if (p_bk != prev && !mismatch_reported) {
      mismatch_reported = true;  // one per bin: a loop would repeat it
      Text t = r_.note("bin.fd_bk_mismatch", p, size, name);
      if (prev == head) {
        t.add("the bin head");
      } else {
        at(t, prev);
      }
      at(t.add("->fd is "), p).add(" but its bk is ");
      at(t, p_bk).add(".");
    }
    if (i >= 2 && bin_index_for_size(size) != i) {
      Text t = r_.note("bin.wrong_bin", p, size, name);
      t.add("a chunk of size ").hex(size).add(" belongs in ");
      add_bin_name(&t, BinId{BinKind::kRegular, bin_index_for_size(size)});
      t.add(".");
    }
    if (i >= 64 && !list.empty() && size > last_size) {
      r_.note("largebin.unsorted", p, size, name)
          .add("the large bin is not sorted by size (descending from head->fd): ")
          .hex(size)
          .add(" follows ")
          .hex(last_size)
          .add(".");
      intact = false;
    }
    if (i >= 64) {
      s_.nextsize_fd_.push(load<uint64_t>(c, 0x20));
      s_.nextsize_bk_.push(load<uint64_t>(c, 0x28));
    }
    if (i == 1 && size >= kMinLargeSize && (load<uint64_t>(c, 0x20) || load<uint64_t>(c, 0x28))) {
      r_.note("unsorted.nextsize_set", p, size, name)
          .add(
              "a large chunk in the unsorted bin has fd_nextsize/bk_nextsize "
              "set (glibc clears them before it links a chunk there).");
    }
    if (!s_.binned_.push({p, BinKind::kRegular, i})) intact = false;
    if (i >= 64 && !list.push({p, size, 0})) intact = false;  // for the order and nextsize checks
    last_size = size;
    prev = p;
    p = p_fd;
  }
  if (intact && head_bk != prev && !mismatch_reported) {
    Text t = r_.note("bin.fd_bk_mismatch", prev == head ? 0 : prev, 0, name);
    at(t.add("the last chunk of the bin is "), prev).add(" but the head's bk is ");
    at(t, head_bk).add(".");
  }
  if (intact && i >= 64) check_nextsize(name);
}

// The fd_nextsize/bk_nextsize ring links exactly the first chunk of each size, largest to
// smallest and around; every other chunk has both NULL (glibc links a chunk of an existing size
// second, leaving the NULLs the unsorted bin gave it).
void FullCheckRun::check_nextsize(BinId name) {
  const Array<Walked>& list = s_.list_;
  Array<size_t>& firsts = s_.firsts_;
  firsts.clear();
  for (size_t j = 0; j < list.size(); ++j) {
    if (j == 0 || list[j].size != list[j - 1].size) firsts.push(j);
  }
  size_t run = 0;
  for (size_t j = 0; j < list.size() && !full(); ++j) {
    const Walked& c = list[j];
    const uint64_t fd_ns = s_.nextsize_fd_[j], bk_ns = s_.nextsize_bk_[j];
    if (run < firsts.size() && firsts[run] == j) {
      const uint64_t want_fd = list[firsts[(run + 1) % firsts.size()]].addr;
      const uint64_t want_bk = list[firsts[(run + firsts.size() - 1) % firsts.size()]].addr;
      if (fd_ns != want_fd || bk_ns != want_bk) {
        Text t = r_.note("largebin.nextsize", c.addr, c.size, name);
        t.add("the first chunk of size ").hex(c.size).add(" has fd_nextsize ");
        at(t, fd_ns).add(" and bk_nextsize ");
        at(t, bk_ns).add("; the next smaller size starts at ");
        at(t, want_fd).add(" and the next larger at ");
        at(t, want_bk).add(".");
      }
      ++run;
    } else if (fd_ns != 0 || bk_ns != 0) {
      Text t = r_.note("largebin.nextsize", c.addr, c.size, name);
      t.add("a chunk that is not the first of its size has fd_nextsize ");
      at(t, fd_ns).add(" and bk_nextsize ");
      at(t, bk_ns).add(" (both should be NULL).");
    }
  }
}

// A list went round more than max_list times: name the first chunk it meets twice.
void FullCheckRun::report_cycle(const char* rule, BinId name, size_t first_record) {
  Array<Binned>& binned = s_.binned_;
  Array<uint64_t>& seen = s_.seen_;  // an open-addressing set of addresses (0: empty)
  size_t slots = 16;
  while (slots < 2 * (binned.size() - first_record) && slots * 2 <= seen.capacity()) slots *= 2;
  seen.resize(slots);
  for (size_t k = 0; k < slots; ++k) seen[k] = 0;
  size_t keep = binned.size();
  for (size_t k = first_record; k < binned.size(); ++k) {
    const uint64_t a = binned[k].addr;
    size_t h = static_cast<size_t>((a >> 4) * 0x9e3779b97f4a7c15ull) & (slots - 1);
    bool again = false;
    while (seen[h] != 0) {
      if (seen[h] == a) {
        again = true;
        break;
      }
      h = (h + 1) & (slots - 1);
    }
    if (again) {
      Text t = r_.note(rule, a, chunk_size_at(a), name);
      at(t.add("the list comes back to "), a).add(": it loops.");
      keep = k;
      break;
    }
    seen[h] = a;
  }
  binned.resize(keep);  // each chunk of the loop counted once
}

}  // namespace heaptwin::check
