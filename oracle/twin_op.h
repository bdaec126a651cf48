// One op of a Program on the twin: the malloc family's calls, and the Program's own read8 and
// write8 of memory, which reach only what the twin holds as glibc does (the heap, the mappings,
// main_arena). The twin side runs it inside its fatal handler's setjmp (a fatal outcome leaves
// through longjmp, so nothing here owns anything that needs destroying).
#ifndef HEAPTWIN_ORACLE_TWIN_OP_H_
#define HEAPTWIN_ORACLE_TWIN_OP_H_

#include <cstdint>
#include <vector>

#include "allocator/allocator.h"
#include "allocator/simulated_memory.h"
#include "program/op.h"

namespace heaptwin {

// What one op did, before it becomes an Outcome (plain data: it crosses longjmp).
struct RawResult {
  bool allocates = false;
  bool unsupported = false;
  alloc::Addr pointer = 0;
  int error = 0;
  uint64_t value = 0;       // read8: the bytes read
  alloc::Addr read_at = 0;  // read8: where
};

struct TwinOp {
  alloc::Allocator* twin;
  alloc::SimulatedMemory* memory;
  alloc::FatalHandler* fatal;
  std::vector<alloc::Addr>* slots;  // the Program's slots: what each holds now
  uint64_t heap_base;
  alloc::Addr arena;  // &main_arena
  uint64_t arena_bytes;
  alloc::Addr*
      realloc_source;  // set to a realloc's old block before it runs (the block rules read it)

  // Runs `op`, its result into *r; the slot it assigns is set.
  void execute(const Op& op, RawResult* r);

 private:
  // Where a Program's own write8 or read8 of 8 bytes may land: the heap and the mappings, which
  // the twin holds as glibc does, and main_arena (a pointer read from a bin leads there). The
  // rest of the twin's libc data block holds malloc's other fields where glibc 2.36's libc does,
  // but not what glibc's libc keeps around them: unmodelled. Anything else is no memory at all.
  void check_program_access(alloc::Addr at) const;
  uint64_t address_of(Value::Kind kind, SlotId slot, int64_t delta, uint64_t literal) const;
  uint64_t resolve_value(const Value& v) const;
};

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_TWIN_OP_H_
