// A side executes a Program and reports its Trace: real glibc (in a runner process), the twin,
// or the reference model. The differ compares the Traces of several sides op by op.
#ifndef HEAPTWIN_ORACLE_SIDE_H_
#define HEAPTWIN_ORACLE_SIDE_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "oracle/memory_reader.h"
#include "oracle/trace.h"
#include "program/op.h"

namespace heaptwin {

struct HeapLocation;  // oracle/heap_view.h
struct GlibcLayout;   // oracle/heap_view.h

// Looks at a side's heap after an op, while it is exactly as that op left it (the heap checker,
// `heaptwin show`). Reads only through `mem`; must not keep references past the call.
using HeapInspector = std::function<void(size_t op_index, const MemoryReader& mem,
                                         const HeapLocation& loc, const GlibcLayout& layout)>;

// glibc >= 2.34's tcache_key is random per process; a Program that forges a size over a cached
// chunk reads it. Every side uses this one value instead (the glibc runner pins it after the op
// that initialised malloc: runner_protocol.h), so such Programs are comparable and repeatable.
inline constexpr uint64_t kPinnedTcacheKey = 0x9e3779b97f4a7c15ull;

struct RunOptions {
  bool snapshots = false;  // an ArenaSnapshot after every op
  // A digest of the arena after every op (Trace::digests): a 64-bit hash of exactly what an
  // ArenaSnapshot holds (oracle/arena_walk.h), computed by each side where its heap is, so the
  // executor compares states op by op without building or moving snapshots.
  bool digests = false;
  // Digests and snapshots hold the tcaches of a Program's other threads (t1 .. t7) too, not t0's
  // alone. The executor turns it off for every side when one that reports its arena cannot find
  // them (Side::thread_tcaches_unknown): then no side has an opinion on them.
  bool thread_tcaches = true;
  // GLIBC_TUNABLES entries, e.g. {"glibc.malloc.tcache_count", "0"}; every side honours them.
  std::vector<std::pair<std::string, std::string>> tunables;
  int timeout_ms = 2000;  // per Program
  // The side's own checks after every op, until the Program corrupts the heap (write8), frees or
  // reallocates a pointer that is not live, or ends (the first finding goes into
  // Trace::violation; only the twin checks itself so far, other sides ignore these):
  //  check_heap: the heap checker (oracle/heap_check.h) and the block rules that only read
  //    (oracle/block_invariants.h: aligned, owned, no overlap, usable >= request, calloc zeroed);
  //  check_contents: also the contents rules, which write a pattern into every block. A side
  //    compared with real glibc must not use it: glibc's memory lacks the pattern, and a dangling
  //    pointer or a stale last_remainder would read it on one side only. Nor does the twin use it
  //    for a Program that reads (read8): it would read the pattern.
  bool check_heap = false;
  bool check_contents = false;
  // With check_heap, the heap checker after each op is incremental (it checks what the op wrote,
  // oracle/heap_check_incremental.h) and a full check runs after the last op; this also runs the
  // full check after every Nth op (1: after every op, as before the incremental checker; 0: only
  // at the end). `heaptwin run/diff --full-check-every N`.
  size_t full_check_every = 0;
  // When set, called after every op that returned (not after an abort or fault). Sides without a
  // ptmalloc heap (the model) ignore it.
  HeapInspector inspect;
};

class Side {
 public:
  virtual ~Side() = default;
  virtual std::string name() const = 0;
  // Whether the side has a real heap whose arena it can report (snapshots, digests). The model
  // predicts placement, not memory: it reports neither unless asked for snapshots.
  virtual bool reports_state() const { return true; }
  // Why this side cannot find its other threads' tcaches (RunOptions::thread_tcaches); empty
  // when it can.
  virtual std::string thread_tcaches_unknown() const { return ""; }
  // Runs `program` from a pristine heap. Never throws for anything the Program does.
  virtual Trace run(const Program& program, const RunOptions& options) = 0;

  // The same in two steps, so that sides in other processes (the glibc runner) work while this
  // process runs the others: start() hands the Program over and returns, finish() waits for its
  // Trace. `program` and `options` must stay alive until finish(). By default start() only
  // remembers them and finish() runs.
  virtual void start(const Program& program, const RunOptions& options) {
    pending_program_ = &program;
    pending_options_ = &options;
  }
  virtual Trace finish() {
    const Program* p = pending_program_;
    const RunOptions* o = pending_options_;
    pending_program_ = nullptr;
    pending_options_ = nullptr;
    return p ? run(*p, *o) : Trace();
  }

 private:
  const Program* pending_program_ = nullptr;
  const RunOptions* pending_options_ = nullptr;
};

// "glibc" (the host's), "glibc-2.31", "glibc-2.41", "twin" (2.36), "twin-2.31", "twin-2.35",
// "twin-2.36", "model". nullptr and *error set
// when the name is unknown or the side cannot be set up here.
std::unique_ptr<Side> make_side(const std::string& name, std::string* error);
// The glibc release a side runs: "glibc-2.31", "twin-2.31" -> "2.31"; "glibc", "twin", "model"
// -> the host's "2.36".
std::string side_release(const std::string& side_name);

// The side `side_name` stands for on release `release`: "glibc" -> "glibc-2.31", "twin" ->
// "twin-2.31"; the host's release ("" or "2.36") and other names unchanged.
std::string side_for_release(const std::string& side_name, const std::string& release);

// The names make_side knows, for --help and error messages.
std::vector<std::string> side_names();

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_SIDE_H_
