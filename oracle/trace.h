// What a side reports for a Program: per op an Outcome, and on request a snapshot of the arena.
//
// Every address is an offset from the heap base (the start of the brk heap, where glibc puts
// the tcache struct), so traces from different processes and from the twin compare directly.
#ifndef HEAPTWIN_ORACLE_TRACE_H_
#define HEAPTWIN_ORACLE_TRACE_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

struct ReadValue;  // oracle/read_value.h (plain C)

namespace heaptwin {

enum class OutcomeKind : uint8_t {
  kPointer,       // offset = user pointer - heap base
  kMmapped,       // a pointer into an mmapped chunk: size = the mapping's length (prev_size +
                  // chunk size: memalign's leader varies with the mapping's address, the length
                  // does not), offset = pointer & 0xfff
  kNull,          // NULL; error = errno (posix_memalign: its return value)
  kDone,          // free, write8: returned normally
  kValue,         // malloc_usable_size, mallopt, malloc_trim: value = what it returned
  kAbort,         // glibc's malloc_printerr or assertion: message = the text, without "\n"
  kFault,         // SIGSEGV/SIGBUS: signal, address (heap offset when address_in_heap)
  kTimeout,       // the op did not finish in time
  kNoOpinion,     // the model does not predict this op (corruption, or after an abort)
  kRead,          // read8: the 8 bytes, named (oracle/read_value.h): read_value()
  kArenaPointer,  // a pointer into a non-main arena's heap (a thread's): value = the arena, by
                  // creation order (1: the first made after main_arena), size = which of its
                  // heaps (0: the one holding its malloc_state), offset = pointer - that heap's
                  // start (its heap_info). Where the kernel maps heaps differs; these do not.
};

struct Outcome {
  OutcomeKind kind = OutcomeKind::kDone;
  // kRead: what `value` and `address` are relative to (enum ReadBase), and whether the value was
  // stored safe-linked (then `value` is the revealed target and `address` where it was read).
  // Kept in the padding after `kind`: a trace of millions of ops holds millions of Outcomes.
  uint8_t read_base = 0;
  uint8_t read_position_base = 0;
  bool read_safe_linked = false;
  int64_t offset = 0;
  uint64_t size = 0;
  uint64_t value = 0;
  int error = 0;
  int signal = 0;
  uint64_t address = 0;
  bool address_in_heap = false;
  std::string message;

  bool operator==(const Outcome& o) const;
  bool operator!=(const Outcome& o) const { return !(*this == o); }
  // Whether this ends the Program (Abort, Fault, Timeout): later ops do not run.
  bool is_fatal() const;

  static Outcome pointer(int64_t heap_offset);
  static Outcome mmapped(uint64_t chunk_size, uint64_t page_offset);
  static Outcome arena_pointer(uint32_t arena, uint32_t heap, uint64_t heap_offset);
  static Outcome null(int error);
  static Outcome done();
  static Outcome value_of(uint64_t v);
  static Outcome abort(std::string message);
  static Outcome fault(int signal, uint64_t address, bool in_heap);
  static Outcome timeout();
  static Outcome no_opinion();
  static Outcome read(const ::ReadValue& v);
  // kRead's value as read_value.h names it.
  ::ReadValue read_value() const;
};

// "0x2a0", "mmapped 0x21000", "NULL (ENOMEM)", "abort: free(): invalid pointer",
// "read main_arena+0x60", ...
// The kind's name where reports name it in JSON (trace_text's, the HTML timeline's).
const char* outcome_kind_name(OutcomeKind k);
std::string to_string(const Outcome& o);
// A read8 value as read_value_text names it: "heap+0x2a0", "main_arena+0x60", ...
std::string to_string(const ::ReadValue& v);

// A reference from the arena to a chunk. Chunks in the heap are offsets from the heap base; a
// pointer that leaves the heap (a corrupted list) is kept raw and marked wild, which also ends
// the walk of that list.
// What a chunk's size field holds when it is no size: a heap address or one inside main_arena
// (a freed chunk's fd written over an overlapping chunk's size, by a Program that frees twice)
// is kept relative to what it points into, so it compares across processes.
enum class SizeBase : uint8_t { kRaw, kHeap, kArena };
// How a list entry was read: as its list stores pointers, or (a wild one, which makes sense only
// so) as the other kind: a safe-linked value in a plain list, a plain one in a safe-linked list.
enum class LinkForm : uint8_t { kAsRead, kSafeLinked, kPlain };

struct ChunkRef {
  int64_t offset = 0;  // chunk start (not the user pointer) - heap base; raw when wild
  uint64_t size = 0;   // the chunk's size field without the flag bits (0 when unreadable),
                       // relative to size_base
  bool wild = false;
  SizeBase size_base = SizeBase::kRaw;
  // A wild entry that reads as a heap chunk the other way (arena_walk.h, ArenaLinkForm): then
  // `offset` is that chunk's, heap-relative.
  LinkForm link_form = LinkForm::kAsRead;
  // A chunk of a thread's tcache in a heap of another arena (a thread's): that arena by creation
  // order (1 the first after main_arena; 0: the main heap, or wild) and which of its heaps, as
  // OutcomeKind::kArenaPointer names them; `offset` is then from that heap's start.
  uint16_t arena = 0, heap = 0;

  bool operator==(const ChunkRef& o) const {
    return offset == o.offset && size == o.size && wild == o.wild && size_base == o.size_base &&
           link_form == o.link_form && arena == o.arena && heap == o.heap;
  }
  bool operator!=(const ChunkRef& o) const { return !(*this == o); }
};

// A ChunkRef's size in words: "0x40", or "heap+0x2a0" / "main_arena+0x70" when it is an address.
std::string size_text(const ChunkRef& r);

// One bin list as reached by following fd (tcache and fastbins: next, revealed) from the head.
// A list that is cut short (cycle, wild pointer, too long) says why in `broken`.
struct BinList {
  std::vector<ChunkRef> chunks;
  std::string broken;

  bool operator==(const BinList& o) const { return chunks == o.chunks && broken == o.broken; }
  bool operator!=(const BinList& o) const { return !(*this == o); }
  bool empty() const { return chunks.empty() && broken.empty(); }
};

// malloc_par (mp_) fields that exist in every version we run, by name.
struct MallocParSnapshot {
  uint64_t trim_threshold = 0, top_pad = 0, mmap_threshold = 0, arena_test = 0, arena_max = 0;
  int32_t n_mmaps = 0, n_mmaps_max = 0, max_n_mmaps = 0, no_dyn_threshold = 0;
  uint64_t mmapped_mem = 0, max_mmapped_mem = 0;
  uint64_t tcache_bins = 0, tcache_max_bytes = 0, tcache_count = 0, tcache_unsorted_limit = 0;

  bool operator==(const MallocParSnapshot& o) const;
  bool operator!=(const MallocParSnapshot& o) const { return !(*this == o); }
};

inline constexpr int kTcacheBins = 76;  // TCACHE_MAX_BINS from 2.42 (64 small, 12 large); 64 before
inline constexpr int kFastBins = 10;
inline constexpr int kBins = 128;  // index 1 unsorted, 2..63 small, 64..126 large (glibc's)

struct OtherArena;

// Another thread's tcache (t1 .. t7: the threads a Program has started), from its
// tcache_perthread_struct, as main_arena's snapshot holds t0's.
struct ThreadTcache {
  uint32_t thread = 0;
  std::string invalid_reason;  // its struct could not be read (nothing else is then set)
  bool present = false;        // it made its tcache (a thread does at its first call)
  std::array<uint16_t, kTcacheBins> counts{};
  std::array<BinList, kTcacheBins> lists;  // chunk refs (ChunkRef::arena names other heaps)
};

struct ArenaSnapshot {
  bool valid = false;  // false: the arena could not be located or read safely
  std::string invalid_reason;

  bool tcache_present = false;  // the tcache struct exists (after the first malloc)
  std::array<uint16_t, kTcacheBins> tcache_counts{};
  std::array<BinList, kTcacheBins>
      tcache;  // chunk refs (entries hold user pointers; we store chunks)
  std::array<BinList, kFastBins> fastbins;
  std::array<BinList, kBins> bins;      // bins[1] unsorted; bins[0] and bins[127] unused
  std::array<BinList, kBins> nextsize;  // large bins: the fd_nextsize chain from the first chunk

  ChunkRef top;             // offset and size of top
  ChunkRef last_remainder;  // offset 0 size 0 when NULL; size 0 when the bytes there are no
                            // chunk size (stale: it points into a block in use)
  bool last_remainder_null = true;
  std::array<uint32_t, 4> binmap{};
  int32_t flags = 0;
  int32_t have_fastchunks = 0;
  uint64_t system_mem = 0, max_system_mem = 0;
  uint64_t global_max_fast = 0;
  MallocParSnapshot mp;
  // main_arena's snapshot only: the other arenas (threads'), oldest first (arena_walk.h).
  std::vector<OtherArena> others;
  // main_arena's snapshot only: the other threads' tcaches, by thread number (arena_walk.h);
  // empty without threads, and where the sides do not compare them (RunOptions::thread_tcaches).
  std::vector<ThreadTcache> thread_tcaches;

  bool operator==(const ArenaSnapshot& o) const;
  bool operator!=(const ArenaSnapshot& o) const { return !(*this == o); }
};

// A non-main arena: its number (1 the oldest; 0 for a list of arenas that does not come back to
// main_arena, whose state says so), its heaps, the heap top lies in (heap_info's size and
// mprotect_size), its attached_threads, and its state, relative to that heap (no tcache).
struct OtherArena {
  uint32_t number = 0;
  uint64_t heaps = 0, heap_size = 0, mprotect_pages = 0, attached_threads = 0;
  ArenaSnapshot state;
};

// The first difference between two snapshots, in words ("fastbin[1] (0x30): ..."); empty when
// equal.
std::string first_difference(const ArenaSnapshot& a, const ArenaSnapshot& b);

struct Op;  // program/op.h

// What an op that returned (no abort, fault or hang) gave, as each side reads it from its own
// process; returned_outcome turns it into the op's Outcome the same way on every side.
struct Returned {
  uint64_t pointer = 0;        // an allocating op's result
  int error = 0;               // errno after it (posix_memalign: its return value)
  uint64_t mapping_bytes = 0;  // an mmapped chunk's mapping: prev_size + chunk size; 0: none
  uint64_t value = 0;          // usable_size, mallopt, malloc_trim: the value returned
  uint64_t heap_end = 0;       // the break after the op
  // A chunk in a non-main arena's heap (kArenaPointer): arena 0 means none (main arena, mmapped,
  // or not known).
  uint32_t arena = 0;
  uint32_t arena_heap = 0;
  uint64_t arena_heap_offset = 0;
};
// Allocating ops: NULL with errno, a chunk of a non-main arena by its arena, heap and offset, an
// mmapped chunk by its mapping, else the heap offset (also
// for a chunk inside the heap whose IS_MMAPPED bit a write8 forged: no mapping is there, and its
// "prev_size" may hold an address of the process);
// usable_size, mallopt and trim their value; every other op Done. (read8 is named apart:
// oracle/read_namer.h.)
Outcome returned_outcome(const Op& op, const Returned& r, uint64_t heap_base);

// A place in a heap, named as outcomes name it: arena 0 is the main heap (offset from its base),
// else a non-main arena's heap (OutcomeKind::kArenaPointer: arena, which of its heaps, offset).
struct HeapPlace {
  uint32_t arena = 0, heap = 0;
  int64_t offset = 0;
};

struct Trace {
  std::string side;               // "glibc", "glibc-2.31", "twin", "model"
  std::vector<Outcome> outcomes;  // one per op that ran; shorter than the Program after a fatal op
  std::vector<ArenaSnapshot> states;  // empty unless asked; else one per op that ran
  // RunOptions::digests: arena_digest() of the state after each op that returned (the same
  // count as `states` would have); empty unless asked.
  std::vector<uint64_t> digests;
  std::string error;  // the side itself failed (not the Program): why
  // What the side's own checks found (RunOptions::check_heap, check_contents): "rule: message" of
  // the first broken rule and the op after which it was seen. Empty: nothing was found.
  std::string violation;
  size_t violation_op = 0;
  // Set when the side could not follow glibc past its last op (an outcome of kNoOpinion): what
  // glibc did there depends on the real process's address space (docs/op-semantics.md). The
  // differ compares no op after it.
  std::string unmodelled;
  // Where the blocks a thread's creation calloc'd lie (glibc's pthread_create: the new thread's
  // DTV, whose words ld.so writes, not malloc), in the creating thread's arena: the twin side's,
  // in creation order.
  std::vector<HeapPlace> thread_dtvs;
};

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_TRACE_H_
