// The arena a call of the twin works on (glibc's `av`), and malloc_state's fields as the
// release lays them out: flags and have_fastchunks, the bins, top and last_remainder, the binmap
// and the fastbins. The Allocator derives from it; nothing here knows a release but by the two
// facts it is given.
#ifndef HEAPTWIN_ALLOCATOR_ARENA_ACCESS_H_
#define HEAPTWIN_ALLOCATOR_ARENA_ACCESS_H_

#include <cstddef>
#include <cstdint>

#include "allocator/chunk.h"
#include "allocator/layout.h"

namespace heaptwin::alloc {

class ArenaAccess : public ChunkMemory {
 protected:
  // arena_offset: &main_arena - the MallocState (0x58 from 2.43, 8 before 2.27);
  // have_fastchunks_field: malloc_state has one (2.27+; before, FASTCHUNKS_BIT in flags).
  ArenaAccess(Memory* memory, FatalHandler* fatal, uint64_t arena_offset,
              bool have_fastchunks_field)
      : ChunkMemory(memory, fatal),
        arena_offset_(arena_offset),
        have_fastchunks_field_(have_fastchunks_field) {}

  // The arena the running call works on (glibc's `av`): main_arena, except while free works on
  // the arena a NON_MAIN_ARENA chunk's heap_info names (arena_for_chunk.cc). It is malloc_state
  // from fastbinsY on: before 2.27 (no have_fastchunks) those fields sit 8 bytes lower, and the
  // struct is overlaid 8 bytes before the arena (arena_offset_), whose mutex and flags, the same
  // in every release, are read at the arena itself (arena_flags()).
  MallocState& av() const { return *arena_; }
  Addr arena_struct() const { return reinterpret_cast<Addr>(arena_); }
  // av->flags: at +0x4 of glibc's malloc_state, which from 2.43 starts 0x58 into the twin's
  // (before 2.27, 8 into it).
  int32_t& arena_flags() const {
    return *reinterpret_cast<int32_t*>(arena_struct() + arena_offset_ + 4);
  }
  // FASTCHUNKS_BIT before 2.27: set while there are no fast chunks (all-zero flags: "some").
  bool have_fastchunks() const {
    return have_fastchunks_field_ ? av().have_fastchunks != 0
                                  : (arena_flags() & kFastchunksBit) == 0;
  }
  void set_have_fastchunks(bool some) const {
    if (have_fastchunks_field_) {
      av().have_fastchunks = some ? 1 : 0;
    } else {
      arena_flags() = some ? (arena_flags() & ~kFastchunksBit) : (arena_flags() | kFastchunksBit);
    }
  }
  // bin_at(i): the pseudo-chunk whose fd/bk are bins[2i-2], bins[2i-1].
  ChunkAddr bin_at(uint32_t i) const {
    return ChunkAddr{arena_struct() + offsetof(MallocState, bins) + (uint64_t{i} - 1) * kBinStride -
                     kFdField};
  }
  ChunkAddr unsorted_chunks() const { return bin_at(1); }
  ChunkAddr initial_top() const { return unsorted_chunks(); }
  ChunkAddr next_bin(ChunkAddr b) const { return b.plus(kBinStride); }
  // A bin's two words, fd and bk, in malloc_state's bins[].
  static constexpr uint64_t kBinStride = 2 * sizeof(uint64_t);
  // av->top and av->last_remainder (chunk addresses stored as words in malloc_state).
  ChunkAddr top() const { return ChunkAddr{av().top}; }
  void set_top(ChunkAddr p) const { av().top = p.raw(); }
  // nb carved from the start of the top chunk `victim` (`size` >= nb + MINSIZE): the rest is
  // the new top. _int_malloc's use_top and the end of sysmalloc split it alike.
  UserAddr split_top(ChunkAddr victim, uint64_t size, uint64_t nb) const {
    const ChunkAddr remainder = chunk_at_offset(victim, nb);
    set_top(remainder);
    set_head(victim, nb | kPrevInuse | arena_bit_);
    set_head(remainder, (size - nb) | kPrevInuse);
    return chunk2mem(victim);
  }
  ChunkAddr last_remainder() const { return ChunkAddr{av().last_remainder}; }
  void set_last_remainder(ChunkAddr p) const { av().last_remainder = p.raw(); }
  bool contiguous() const { return (arena_flags() & kNonContiguousBit) == 0; }
  void mark_bin(uint32_t i) const { av().binmap[idx2block_(i)] |= (1u << (i & 31)); }
  static uint32_t idx2block_(uint32_t i) { return i >> 5; }
  uint64_t& fastbin(uint32_t idx) const { return av().fastbinsY[idx]; }
  // set_non_main_arena (p) where av is not main_arena.
  void set_non_main_arena(ChunkAddr p) const {
    if (arena_bit_ != 0) set_head(p, chunksize_nomask(p) | kNonMainArena);
  }

  // av(): main_arena but inside int_free_in_arena_of (arena_for_chunk.cc); nullptr there while
  // the arena named is not memory the twin owns whole.
  MallocState* arena_ = nullptr;
  uint64_t arena_bit_ = 0;  // NON_MAIN_ARENA while av is not main_arena
  const uint64_t arena_offset_;
  const bool have_fastchunks_field_;
};

}  // namespace heaptwin::alloc

#endif  // HEAPTWIN_ALLOCATOR_ARENA_ACCESS_H_
