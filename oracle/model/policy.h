// glibc 2.36's placement policy for the main arena of a single-threaded program, stated over
// plain records: a HeapMap of chunks and top, the Bins, and a few scalars. Each public method is
// one libc entry point; the private ones are glibc's internal steps, named after them
// (int_malloc, int_free, malloc_consolidate, sysmalloc, systrim), each in its own file.
//
// All offsets are chunk offsets from the heap base (the user pointer is 0x10 higher). Mmapped
// chunks live outside the heap; they are known by an id.
//
// When a step depends on what the model does not know, it gives up (unmodelled.h): the entry
// point returns at once, unmodelled() says why, and nothing the Policy says afterwards counts
// until reset().
#ifndef HEAPTWIN_ORACLE_MODEL_POLICY_H_
#define HEAPTWIN_ORACLE_MODEL_POLICY_H_

#include <cstdint>
#include <optional>

#include "oracle/model/bins.h"
#include "oracle/model/heap_map.h"
#include "oracle/model/params.h"
#include "oracle/offset_map.h"

namespace heaptwin::model {

// A block handed to the program: a heap chunk (by offset) or a mapping (by id).
struct Block {
  bool mmapped = false;
  uint64_t where = 0;
  bool operator<(const Block& o) const {
    return mmapped != o.mmapped ? mmapped < o.mmapped : where < o.where;
  }
  bool operator==(const Block& o) const { return mmapped == o.mmapped && where == o.where; }
};

// What an allocating entry point returns.
struct Alloc {
  bool null = false;
  int error = 0;  // errno when null
  Block block;
  uint64_t chunk_size = 0;
  uint64_t page_offset = 0;  // mmapped: user pointer & 0xfff

  static Alloc fail(int e) {
    Alloc a;
    a.null = true;
    a.error = e;
    return a;
  }
};

// One mapping made for a chunk: the chunk starts `lead` bytes in (memalign may shift it).
struct Mapping {
  uint64_t map_size = 0;
  uint64_t lead = 0;
  uint64_t chunk_size() const { return map_size - lead; }
};

enum class AlignedKind { kMemalign, kAlignedAlloc, kPosixMemalign, kValloc, kPvalloc };

class Policy {
 public:
  explicit Policy(const Params& params) { reset(params); }
  // A fresh arena with `params`, as the constructor makes it, keeping the memory of the lists
  // and maps (a side runs thousands of Programs).
  void reset(const Params& params);

  Alloc malloc(uint64_t bytes);
  Alloc calloc(uint64_t count, uint64_t size);
  Alloc realloc(std::optional<Block> old, uint64_t bytes);
  Alloc aligned(AlignedKind kind, uint64_t alignment, uint64_t bytes);
  void free(Block b);
  uint64_t usable_size(Block b) const;
  int mallopt(int32_t param, int32_t value);
  int trim(uint64_t pad);

  // Read-only views for snapshots and invariant checks.
  const HeapMap& heap() const { return heap_; }
  const Bins& bins() const { return bins_; }
  const Params& params() const { return par_; }
  bool initialized() const { return initialized_; }
  bool tcache_present() const { return tcache_present_; }
  std::optional<uint64_t> last_remainder() const { return last_remainder_; }
  bool have_fastchunks() const { return have_fastchunks_; }
  uint64_t system_mem() const { return system_mem_; }
  uint64_t max_system_mem() const { return max_system_mem_; }
  int32_t n_mmaps() const { return n_mmaps_; }
  int32_t max_n_mmaps() const { return max_n_mmaps_; }
  uint64_t mmapped_mem() const { return mmapped_mem_; }
  uint64_t max_mmapped_mem() const { return max_mmapped_mem_; }
  const Mapping& mapping(uint64_t id) const { return *mmaps_.find(id); }
  // Why the model stopped predicting (a literal), or nullptr while it predicts.
  const char* unmodelled() const { return unmodelled_; }

 private:
  // api.cc
  void ptmalloc_init() { initialized_ = true; }  // sets global_max_fast; free never calls it
  // MAYBE_INIT_TCACHE: the first malloc/calloc/free/realloc. False when the model gave up.
  bool ensure_tcache();
  // Stops predicting (keeping the first reason) and returns given_up().
  Alloc give_up(const char* why);
  // What a step returns once the model gave up: a NULL that no caller looks at beyond returning.
  static Alloc given_up() { return Alloc::fail(0); }
  Mapping& mapping_of(uint64_t id) { return *mmaps_.find(id); }
  Alloc heap_alloc(uint64_t off) const;
  // int_malloc.cc
  Alloc int_malloc(uint64_t nb);
  Alloc split_binned(uint64_t off, uint64_t nb, bool set_last_remainder);
  // tcache.cc
  bool tcache_has_room(uint64_t size) const;
  void tcache_put(uint64_t off);
  uint64_t tcache_get(uint64_t tc);
  // int_free.cc
  void int_free(uint64_t off);
  uint64_t merge_and_bin(uint64_t off);
  void malloc_consolidate();
  void unlink_binned(uint64_t off);
  // system.cc
  Alloc sysmalloc(uint64_t nb);
  Alloc mmap_chunk(uint64_t nb);
  int systrim(uint64_t pad);
  void munmap_chunk(uint64_t id);
  // realloc.cc, memalign.cc
  Alloc int_realloc(uint64_t off, uint64_t nb);
  Alloc mremap_chunk(uint64_t id, uint64_t nb);
  Alloc int_memalign(uint64_t alignment, uint64_t bytes);

  // reset() sets every member.
  Params par_;
  HeapMap heap_;
  Bins bins_;
  bool initialized_;
  bool tcache_present_;
  std::optional<uint64_t> last_remainder_;  // never cleared, compared by offset, like glibc's
  bool have_fastchunks_;
  uint64_t system_mem_, max_system_mem_;
  OffsetMap<Mapping> mmaps_;  // by id
  uint64_t next_mmap_id_;
  int32_t n_mmaps_, max_n_mmaps_;
  uint64_t mmapped_mem_, max_mmapped_mem_;
  const char* unmodelled_;
};

}  // namespace heaptwin::model

#endif  // HEAPTWIN_ORACLE_MODEL_POLICY_H_
