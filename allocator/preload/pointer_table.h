// The trace writer's bookkeeping (heaptwin exec --trace): which slot holds each live pointer,
// and which slot numbers are free for reuse. It runs inside the drop-in library, so it never
// calls malloc: both structures live in private anonymous mappings that double as they fill
// (64 KiB and 16 KiB at first), so a program with ten live pointers touches a few pages and one
// with ten million still fits.
//
// Each generation of a structure is mapped at a fixed hint beside the library (linked at
// 0x7e0000000000, see BUILD.bazel), away from the mmap area, so tracing does not move the
// program's own mappings: a block of B bytes goes at region + B, so the generations of one
// region never overlap and the old one is unmapped once copied.
//
// Both classes are constant-initialised (the library's globals must need no constructor).
#ifndef HEAPTWIN_ALLOCATOR_PRELOAD_POINTER_TABLE_H_
#define HEAPTWIN_ALLOCATOR_PRELOAD_POINTER_TABLE_H_

#include <cstdint>

namespace heaptwin::preload {

// address -> slot for every live pointer: open addressing with linear probing and
// backward-shift deletion (no tombstones, so lookups stay short however many pointers come and
// go), at most half full.
class PointerTable {
 public:
  // Adds a live pointer (not 0, not live already). False when the table could not grow (out of
  // memory): the caller stops tracing.
  bool insert(uint64_t addr, uint64_t slot);
  // The slot of `addr`; with `remove`, forgets it. False when `addr` is not live.
  bool lookup(uint64_t addr, uint64_t* slot, bool remove);
  uint64_t live() const { return live_; }
  uint64_t capacity() const { return capacity_; }

 private:
  struct Entry {
    uint64_t addr;  // 0: empty
    uint64_t slot;
  };
  uint64_t home(uint64_t addr) const;
  void place(uint64_t addr, uint64_t slot);
  bool grow();

  Entry* entries_ = nullptr;
  uint64_t capacity_ = 0;  // a power of two; 0 until the first insert
  uint32_t shift_ = 64;    // home = (hash >> shift_): the top log2(capacity_) bits
  uint64_t live_ = 0;
};

// Slot numbers: p1, p2, ...; a freed pointer's slot is handed out again first (a stack), so the
// number of slots is the most pointers live at once.
class SlotPool {
 public:
  // 0 when no slot number is left (2^32 - 1 taken: the .heap format's 32-bit slot ids).
  uint64_t take();
  // Makes `slot` the next one taken. False when the stack could not grow (out of memory): the
  // slot is then never reused, which costs a slot number and nothing else.
  bool release(uint64_t slot);
  uint64_t slots_used() const { return next_; }

 private:
  uint32_t* free_ = nullptr;
  uint64_t free_count_ = 0;
  uint64_t free_capacity_ = 0;
  uint64_t next_ = 0;  // the last slot handed out
};

}  // namespace heaptwin::preload

#endif  // HEAPTWIN_ALLOCATOR_PRELOAD_POINTER_TABLE_H_
