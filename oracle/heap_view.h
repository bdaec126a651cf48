// A read-only view of a ptmalloc main arena and its brk heap, over any memory (the twin's, or real
// glibc's inside the runner). Every read goes through a MemoryReader and every list walk is capped
// and cycle-checked, so a corrupted heap yields a `broken` list, never a crash or a hang.
#ifndef HEAPTWIN_ORACLE_HEAP_VIEW_H_
#define HEAPTWIN_ORACLE_HEAP_VIEW_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "oracle/arena_walk.h"
#include "oracle/check/types.h"
#include "oracle/memory_reader.h"
#include "oracle/trace.h"

namespace heaptwin {

// Field offsets of one glibc version (x86_64). glibc-facts.md "Layouts". malloc_state's are the
// checker's (check::MallocStateOffsets), with max_system_mem.
struct GlibcLayout : check::MallocStateOffsets {
  std::string version;             // "2.36"
  bool safe_linking = true;        // >= 2.32: tcache next and fastbin fd are PROTECT_PTR'd
  bool tcache = true;              // >= 2.26
  int tcache_count_bytes = 2;      // uint16_t since 2.30, char before
  uint64_t tcache_entries = 0x80;  // offset of entries[] in tcache_perthread_struct
  uint64_t tcache_chunk_size = 0x290;
  int tcache_bins = 64;               // TCACHE_MAX_BINS: 76 from 2.42 (12 large bins)
  bool tcache_num_slots = false;      // >= 2.42: num_slots[] counting down, not counts[]
  bool fastbins_exist = true;         // < 2.43: fastbinsY and global_max_fast
  bool tcache_unsorted_limit = true;  // mp_.tcache_unsorted_limit, gone in 2.44
  int global_max_fast_bytes = 8;      // 2.37 "malloc: Switch global_max_fast to uint8_t": 1
  // Where the release's libc (the build the project runs as its real side) has malloc's objects:
  // their addresses in the library, from its debug symbols. The twin lays its libc data out at
  // the same distances and page offsets: a bin head's address read back (a libc leak, a partial
  // overwrite, a perturbed low byte) keeps its low bits, and exploit code computes one object
  // from another (global_max_fast from a leaked main_arena address). A release without one of
  // them (tcache_key before 2.34, global_max_fast from 2.43) gets a place near perturb_byte.
  struct LibcSymbols {
    uint64_t mp, main_arena, tcache_key, malloc_initialized, perturb_byte, global_max_fast;
  };
  LibcSymbols libc = {0x1d3340, 0x1d3c60, 0x1da478, 0x1da488, 0x1da49c, 0x1da4a0};  // 2.36

  uint64_t max_system_mem = 0x890;  // malloc_state's, after system_mem

  // malloc_par (mp_)
  uint64_t mp_trim_threshold = 0x0, mp_top_pad = 0x8, mp_mmap_threshold = 0x10;
  uint64_t mp_arena_test = 0x18, mp_arena_max = 0x20;
  uint64_t mp_n_mmaps = 0x3c, mp_n_mmaps_max = 0x40, mp_max_n_mmaps = 0x44;
  uint64_t mp_no_dyn_threshold = 0x48, mp_mmapped_mem = 0x50, mp_max_mmapped_mem = 0x58;
  uint64_t mp_sbrk_base = 0x60, mp_tcache_bins = 0x68, mp_tcache_max_bytes = 0x70;
  uint64_t mp_tcache_count = 0x78, mp_tcache_unsorted_limit = 0x80;
};

// "2.27" .. "2.41" (char tcache counts before 2.30, malloc_par's hugepage fields from 2.35);
// nullopt when unknown.
std::optional<GlibcLayout> glibc_layout(const std::string& version);

// Where things are in the process being viewed: the checker's Where (the checker takes it as it
// is), under the name the oracle's C++ code uses, with the other threads' tcaches (arena_walk.h:
// ArenaWhere::threads; the checker reads none).
struct HeapLocation : check::Where {
  uint32_t threads = 0;  // bit t: thread t (1 .. 7) exists, its tcache in thread_tcaches[t]
  std::array<uint64_t, ARENA_MAX_THREADS> thread_tcaches{};
};

// The same layout for the arena walk (oracle/arena_walk.h).
ArenaLayout to_arena_layout(const GlibcLayout& layout);

// Builds the snapshot from the arena walk (arena_walk.h). Wild pointers (outside the heap) are
// ChunkRef{wild}: offset heap-relative in the heap or its 64 MiB block (arena_walk.h,
// ARENA_NEAR_BELOW), else the raw address; size 0. valid=false with a reason when the arena does
// not look like one at these addresses (the location is wrong), rather than reporting garbage.
ArenaSnapshot read_arena(const MemoryReader& mem, const HeapLocation& loc,
                         const GlibcLayout& layout);

// The digest of the state at `loc`: what the sides compute after every op (RunOptions::digests).
uint64_t arena_digest(const MemoryReader& mem, const HeapLocation& loc, const GlibcLayout& layout);
// The digest of a snapshot: equal to the walk's digest of any state it describes, so two
// snapshots have equal digests exactly when first_difference() finds nothing (up to collisions).
uint64_t digest_of(const ArenaSnapshot& snapshot);

// One chunk met walking the heap from its start (by size fields) to top.
struct HeapChunk {
  int64_t offset = 0;  // chunk start - heap base
  uint64_t size = 0;   // without flag bits
  uint64_t flags = 0;  // PREV_INUSE 1, IS_MMAPPED 2, NON_MAIN_ARENA 4
  bool is_top = false;
};

// Every chunk from the heap start up to and including top. Stops with *broken set when a size
// field would leave the heap or is too small/unaligned.
std::vector<HeapChunk> walk_chunks(const MemoryReader& mem, const HeapLocation& loc,
                                   const GlibcLayout& layout, std::string* broken);

// glibc >= 2.32: REVEAL_PTR of a stored next pointer that lives at `pos`.
inline uint64_t reveal_ptr(uint64_t pos, uint64_t stored) { return (pos >> 12) ^ stored; }

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_HEAP_VIEW_H_
