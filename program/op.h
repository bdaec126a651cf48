// One operation of a heap Program, and the Program itself: a list of Ops over named slots.
//
// A slot holds the last pointer assigned to it (dangling after free: freeing it again is a
// double free, which is the point). Slot 0 is `null` and always holds NULL.
#ifndef HEAPTWIN_PROGRAM_OP_H_
#define HEAPTWIN_PROGRAM_OP_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "program/slot_names.h"  // SlotId, kNullSlot, kMaxSlots

namespace heaptwin {

enum class OpKind : uint8_t {
  kMalloc,         // dst = malloc size
  kCalloc,         // dst = calloc count size
  kRealloc,        // dst = realloc src size
  kFree,           // free src
  kMemalign,       // dst = memalign align size
  kAlignedAlloc,   // dst = aligned_alloc align size
  kPosixMemalign,  // dst = posix_memalign align size   (outcome NULL carries the returned error)
  kValloc,         // dst = valloc size
  kPvalloc,        // dst = pvalloc size
  kUsableSize,     // malloc_usable_size src             (outcome: the value)
  kWrite8,         // write8 src offset value            (8 bytes at src + offset)
  kMallopt,        // mallopt PARAM value                (outcome: mallopt's return)
  kTrim,           // trim pad                           (malloc_trim; outcome: its return)
  kRead8,          // dst = read8 src offset             (8 bytes at src + offset; dst holds them)
};
inline constexpr int kOpKindCount = 14;

// mallopt parameters, by their glibc numbers (malloc.h).
enum class MalloptParam : int32_t {
  kMxFast = 1,
  kTrimThreshold = -1,
  kTopPad = -2,
  kMmapThreshold = -3,
  kMmapMax = -4,
  kCheckAction = -5,
  kPerturb = -6,
  kArenaTest = -7,
  kArenaMax = -8,
};

// The value a write8 stores. Heap addresses differ from process to process, so a Program names
// them relative to something it knows: a slot's pointer, or the heap base. `protect` applies
// glibc's safe-linking (PROTECT_PTR(pos, target) = (pos >> 12) ^ target, glibc >= 2.32).
// Members are ordered small to large so that no padding sits between them (a recorded trace is
// millions of Ops).
struct Value {
  enum class Kind : uint8_t {
    kLiteral,  // literal
    kSlot,     // pointer held by `slot` + delta
    kHeap,     // heap base + delta
    kProtect,  // (address(slot|heap + pos_delta) >> 12) ^ target
  };
  Kind kind = Kind::kLiteral;
  // For kProtect only: the target, itself a literal, slot or heap address.
  Kind target_kind = Kind::kLiteral;
  // For kSlot/kHeap: the address. For kProtect: the position (pos_is_heap selects the base).
  bool pos_is_heap = false;
  SlotId slot = kNullSlot;
  SlotId target_slot = kNullSlot;  // kProtect
  uint64_t literal = 0;
  int64_t delta = 0;
  uint64_t target_literal = 0;  // kProtect
  int64_t target_delta = 0;     // kProtect

  bool operator==(const Value& o) const;
  bool operator!=(const Value& o) const { return !(*this == o); }
};

// Threads: an op runs on the thread it names (`t1: a = malloc 0x20`; no prefix: t0, the main
// thread). Ops run one at a time in the Program's order, so the schedule is the script. A
// thread is created by t0 just before its first op and never exits while the Program runs
// (docs/heap-format.md). At most kMaxThreads: with at most 8 arenas glibc never asks how many
// cores the machine has (arena_get2 does only past arena_test, 8 on 64-bit, and then allows 8
// per core), so where a thread's chunks land is the same on every machine.
inline constexpr int kMaxThreads = 8;

struct Op {
  OpKind kind = OpKind::kMalloc;
  uint8_t thread = 0;      // the thread that runs it: 0 is the main thread (t0)
  SlotId dst = kNullSlot;  // assigned slot (allocating ops, read8)
  SlotId src = kNullSlot;  // slot operand (realloc, free, usable_size, write8, read8)
  int32_t param = 0;       // mallopt parameter (MalloptParam)
  // The C call's numeric operands in order (OpKind's comments); read them by name below.
  uint64_t a = 0;
  uint64_t b = 0;
  int64_t offset = 0;  // write8, read8: offset from the slot's pointer (may be negative)
  Value value;         // write8 value

  bool operator==(const Op& o) const;
  bool operator!=(const Op& o) const { return !(*this == o); }

  // a and b by what they are, each for the kinds named.
  uint64_t bytes() const { return a; }          // malloc, realloc, valloc, pvalloc
  uint64_t count() const { return a; }          // calloc: how many elements
  uint64_t element_size() const { return b; }   // calloc: each one's size
  uint64_t alignment() const { return a; }      // memalign, aligned_alloc, posix_memalign
  uint64_t aligned_bytes() const { return b; }  // their size
  int32_t mallopt_value() const { return static_cast<int32_t>(a); }  // mallopt
  uint64_t pad() const { return a; }                                 // trim

  // True for the malloc family's ops (they assign `dst` a block, or NULL).
  bool allocates() const;
  // True for ops that assign `dst`: the allocating ops, and read8 (the 8 bytes it read: a slot
  // can hold any value, and a read pointer can be followed, freed or written through).
  bool assigns() const { return allocates() || kind == OpKind::kRead8; }
  // The size in bytes an allocating op requests (calloc: count * size, saturating).
  uint64_t request_bytes() const;
  // The alignment an allocating op promises its block: memalign's family rounds up to a power of
  // two, valloc's is a page, the rest 16.
  uint64_t promised_alignment() const;
};

static_assert(sizeof(Op) == 88, "Op::thread sits in padding: a recorded trace is millions of Ops");

// No length limit: a Program holds as many ops as memory does, and up to kMaxSlots slots.
struct Program {
  // slot_names[0] is "null". Every other slot is named by the first op that assigns it.
  SlotNames slot_names;
  std::vector<Op> ops;

  bool operator==(const Program& o) const { return slot_names == o.slot_names && ops == o.ops; }
  // Whether an op runs on a thread other than the main one.
  bool uses_threads() const;
  size_t slot_count() const { return slot_names.size(); }
  // The id of `name`, adding it if new (O(1)).
  SlotId intern(std::string_view name) { return slot_names.intern(name); }
  // The id of `name`, or -1 (O(1)).
  int64_t find(std::string_view name) const { return slot_names.find(name); }
};

// Names used in the text format and reports.
const char* op_name(OpKind kind);
const char* mallopt_name(int32_t param);  // "M_MXFAST", or nullptr when unknown

// `program` with every protect(POS, TARGET) write replaced by its plain TARGET: what an attacker
// writes on a release that stores tcache and fastbin pointers as they are (< 2.32).
Program with_plain_pointers(const Program& program);

}  // namespace heaptwin

#endif  // HEAPTWIN_PROGRAM_OP_H_
