// Reading real glibc's heap from the parent: from the paused child (process_vm_readv), or from a
// state the child copied into the shared memory (runner_protocol.h: RunnerState).
#ifndef HEAPTWIN_ORACLE_GLIBC_GLIBC_SNAPSHOTS_H_
#define HEAPTWIN_ORACLE_GLIBC_GLIBC_SNAPSHOTS_H_

#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "oracle/arena_walk.h"
#include "oracle/glibc/libc_symbols.h"
#include "oracle/glibc/runner_protocol.h"
#include "oracle/heap_view.h"
#include "oracle/memory_reader.h"

namespace heaptwin {

// The paused child's memory. The heap is copied once (one syscall), the rest (arena, mp_,
// tcache struct) read directly.
class ChildMemory : public MemoryReader {
 public:
  ChildMemory(pid_t pid, uint64_t heap_base, uint64_t heap_end);
  bool read(uint64_t addr, void* out, size_t n) const override;

 private:
  bool remote(uint64_t addr, void* out, size_t n) const;
  pid_t pid_;
  uint64_t base_;
  std::vector<unsigned char> heap_;
};

// The snapshot of a copied state; `loc` says where the regions were in the runner (the other
// threads' tcaches: where the state says).
ArenaSnapshot copied_snapshot(const RunnerState& state, const HeapLocation& loc,
                              const GlibcLayout& layout);

// Where malloc's state lies in the runner's child after an op that left the break at heap_end,
// with `tcache` its main thread's tcache pointer (RunnerRecord::tcache).
HeapLocation runner_location(const LibcSymbols& symbols, uint64_t libc_base, uint64_t heap_base,
                             uint64_t heap_end, uint64_t tcache);

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_GLIBC_GLIBC_SNAPSHOTS_H_
