// `heaptwin exec --check`: the library checks the program's heap itself, after every
// malloc-family call (oracle/check/incremental.h: what the call touched, read in place, no round
// trip), and the whole heap every HEAPTWIN_CHECK_EVERY calls and at exit. It tells the heaptwin
// process that started it only when something is wrong (a broken rule, or glibc's abort): a
// CheckReport, the report's text (the findings, what heaptwin prints first), then `stack_count`
// ReportStacks (the breaking call's stack, where the chunk involved was allocated and freed).
// While the program waits for one byte (kCheckOk), heaptwin symbolises the stacks from the
// program's /proc/PID/maps, prints the report and writes --json; then the program aborts and
// heaptwin exits 1.
#ifndef HEAPTWIN_ALLOCATOR_PRELOAD_CHECK_PROTOCOL_H_
#define HEAPTWIN_ALLOCATOR_PRELOAD_CHECK_PROTOCOL_H_

#include <cstdint>

namespace heaptwin::preload {

inline constexpr uint64_t kCheckMagic = 0x33656b6377746868ull;  // "hhtwcke3": version 3
inline constexpr char kCheckOk = 'k';
inline constexpr uint32_t kReportFrames = 8;  // call_stack.h's kMaxFrames

struct CheckReport {
  uint64_t magic = kCheckMagic;
  uint64_t op_index = 0;     // the call after which the heap was found broken (1-based)
  uint64_t text_bytes = 0;   // the findings' text follows
  uint64_t stack_count = 0;  // then this many ReportStacks
  uint64_t heap_base = 0;
  uint64_t chunk = 0;      // the chunk the first finding names (its address), 0: none
  char call[48] = {};      // "free 0x55555555a2a0", "exit"
  char rule[64] = {};      // the first finding's rule id, or "glibc_abort"
  char message[256] = {};  // its sentence (offsets from heap_base), or glibc's abort message
};

enum class StackKind : uint32_t {
  kCall = 0,            // the call that broke the heap (or that glibc aborted in)
  kChunkAllocated = 1,  // where the chunk involved was allocated
  kChunkFreed = 2,      // where it was last freed
  kBelowAllocated = 3,  // where the chunk just below it was allocated (an overflow of that one
                        // reaches this one's header)
};

struct ReportStack {
  StackKind kind = StackKind::kCall;
  uint32_t depth = 0;
  uint64_t chunk = 0;       // the chunk (address) the stack is about; 0 for kCall
  uint64_t call_index = 0;  // the call number the stack was captured at
  uint64_t pcs[kReportFrames] = {};
};

}  // namespace heaptwin::preload

#endif  // HEAPTWIN_ALLOCATOR_PRELOAD_CHECK_PROTOCOL_H_
