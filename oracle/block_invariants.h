// What must hold of the blocks any malloc hands out, whatever its policy, checked on real memory
// by the side that executes the Program (the twin's executor): the invariant layer of the
// reference model (oracle/model/README.md), applied to real pointers instead of predictions.
//
//   - every new block is aligned (16, or the alignment asked for), lies in memory the allocator
//     owns, overlaps no live block, and offers at least the bytes requested;
//   - calloc memory reads as zero;
//   - the bytes the executor wrote into a block (a pattern of its op index) are still there when
//     the block is freed or reallocated, and realloc carries them over up to the smaller size
//     (the contents rules: optional, since they change what the blocks hold).
//
// It knows nothing of chunks or bins. A Program that corrupts (write8) or frees or reallocates a
// pointer that is not live has chosen to break the rules: checking stops there.
#ifndef HEAPTWIN_ORACLE_BLOCK_INVARIANTS_H_
#define HEAPTWIN_ORACLE_BLOCK_INVARIANTS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "oracle/offset_map.h"

namespace heaptwin {

class BlockInvariants {
 public:
  // `owns(addr, n)`: whether [addr, addr + n) is memory the allocator may hand out (its heap or
  // a mapping). Blocks are read and written directly: they must be this process's memory.
  explicit BlockInvariants(std::function<bool(uint64_t, uint64_t)> owns) : owns_(std::move(owns)) {}

  // Starts a Program. Without `contents`, nothing is written into the blocks: only the rules
  // that read (alignment, ownership, overlap, size, calloc zeroed) are checked.
  void reset(bool contents = true);
  bool active() const { return active_; }
  // Stops checking for the rest of the Program (corruption, a deliberate double free).
  void stop() { active_ = false; }

  // Each returns "" or the broken rule in one sentence. Call them in op order; `op` is the index.
  // A new block `p` for `request` bytes (0 when the op returned NULL: nothing to check).
  std::string on_allocated(size_t op, uint64_t p, uint64_t request, uint64_t alignment,
                           uint64_t usable, bool zeroed);
  // Before `p` is freed (p == 0: free(NULL), nothing happens).
  std::string before_free(uint64_t p);
  // Around realloc(old, request): before it runs, and with what it returned (new_p == 0: it
  // failed and `old` is still live, or request was 0 and `old` was freed).
  std::string before_realloc(uint64_t old);
  std::string after_realloc(size_t op, uint64_t old, uint64_t new_p, uint64_t request,
                            uint64_t usable);

  size_t live() const { return blocks_.size(); }

  // Blocks up to kWholeBlock bytes are written and checked whole; bigger ones kEnd bytes at
  // each end (a huge mapped block would otherwise cost its size in time, and in memory once
  // written). fn(offset, bytes) for each range the contents rules write into a block of n bytes.
  static constexpr uint64_t kWholeBlock = 1024;
  static constexpr uint64_t kEnd = kWholeBlock / 2;
  template <typename Fn>
  static void each_written(uint64_t n, Fn fn) {
    if (n <= kWholeBlock) {
      fn(uint64_t{0}, n);
    } else {
      fn(uint64_t{0}, kEnd);
      fn(n - kEnd, kEnd);
    }
  }

 private:
  struct Block {
    uint64_t end;  // p + request
    uint64_t request;
    size_t op;  // whose pattern the block holds
  };
  // Writes, or checks, the pattern of `op` over the sampled bytes of [p, p + n).
  void write_pattern(uint64_t p, uint64_t n, size_t op) const;
  std::string check_pattern(uint64_t p, uint64_t n, size_t op, const char* when) const;
  std::string check_zeroed(uint64_t p, uint64_t n) const;
  std::string check_carried(uint64_t old, uint64_t new_p, const Block& was, uint64_t kept) const;
  std::string add(size_t op, uint64_t p, uint64_t request);

  std::function<bool(uint64_t, uint64_t)> owns_;
  OffsetMap<Block> blocks_;  // by start address
  bool active_ = true;
  bool contents_ = true;
  // The block realloc was given, held between before_realloc and after_realloc.
  Block pending_{};
  bool have_pending_ = false;
};

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_BLOCK_INVARIANTS_H_
