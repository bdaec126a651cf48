// The full check of chunks against bins: every binned chunk is a chunk of the heap and in one
// bin only; regular-bin chunks are free and have no free neighbour; cached chunks stay in use;
// every free chunk is in a regular bin.
#include "oracle/check/full_check_run.h"

namespace heaptwin::check {

void FullCheckRun::check_binned_chunks() {
  const Array<Walked>& chunks = s_.chunks_;
  const Array<Binned>& binned = s_.binned_;
  // holder[i]: the first record in binned (bin order: regular, fast, tcache) of chunks[i].
  Array<int>& holder = s_.holder_;
  Array<char>& in_regular = s_.in_regular_;
  holder.resize(chunks.size());
  in_regular.resize(chunks.size());
  for (size_t i = 0; i < chunks.size(); ++i) {
    holder[i] = -1;
    in_regular[i] = 0;
  }
  for (size_t k = 0; k < binned.size() && !full(); ++k) {
    const Binned& b = binned[k];
    const BinId name{b.kind, b.index};
    const long idx = find_chunk(b.addr);
    if (idx < 0) {
      if (s_.walk_complete_ || b.addr < chunks_end()) {
        Text t = r_.note("bin.not_a_chunk", b.addr, chunk_size_at(b.addr), name);
        at(t.add("the bin holds "), b.addr).add(", which is not the start of a chunk of the heap.");
      }
      continue;
    }
    if (holder[idx] >= 0) {
      const Binned& first = binned[holder[idx]];
      Text t = r_.note("chunk.in_two_bins", b.addr, chunks[idx].size, name);
      t.add("the chunk is also in ");
      add_bin_name(&t, BinId{first.kind, first.index});
      t.add(".");
      continue;
    }
    holder[idx] = static_cast<int>(k);
    const Walked& c = chunks[idx];
    const bool free_by_header = !next_prev_inuse(idx);
    if (b.kind == BinKind::kRegular) {
      in_regular[idx] = 1;
      if (!free_by_header) {
        r_.note("bin.chunk_in_use", c.addr, c.size, name)
            .add("the chunk is in a bin but the next chunk's PREV_INUSE says it is in use.");
      }
      if (!(c.flags & kPrevInuse) && idx > 0) {
        Text t = r_.note("free.neighbours", c.addr, c.size, name);
        at(t.add("the free chunk follows another free chunk ("), chunks[idx - 1].addr)
            .add("): they should have been merged.");
      }
    } else if (free_by_header) {
      r_.note(b.kind == BinKind::kFast ? "fastbin.chunk_free" : "tcache.chunk_free", c.addr, c.size,
              name)
          .add(
              "the chunk is cached but the next chunk's PREV_INUSE is clear (cached chunks stay in "
              "use).");
      in_regular[idx] = 1;  // already reported: not also "free.not_in_bin"
    }
  }
  for (size_t i = 0; i < chunks.size() && !full(); ++i) {
    if (!next_prev_inuse(i) && !in_regular[i]) {
      r_.note("free.not_in_bin", chunks[i].addr, chunks[i].size)
          .add("the chunk is free (the next chunk's PREV_INUSE is clear) but no bin holds it")
          .add(holder[i] >= 0 ? "." : " (lost).");
    }
  }
}

}  // namespace heaptwin::check
