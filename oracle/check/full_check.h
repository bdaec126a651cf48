// The full heap check: every invariant glibc's MALLOC_DEBUG do_check_* functions assert, and
// more, over a whole ptmalloc heap read through a Reader (the twin's memory, real glibc's inside
// the runner, or the program's own inside the drop-in library). It only reads, bounds every walk
// and never trusts a pointer before reading it, so a corrupted heap yields findings, never a
// crash or a hang. Its cost grows with the heap; the incremental check (incremental.h) is the
// one to run after every op.
//
// Rule ids and meanings: rules.h. The rules hold on real glibc 2.36 after every op of every
// golden scenario (a rule that real glibc breaks is a wrong rule).
#ifndef HEAPTWIN_ORACLE_CHECK_FULL_CHECK_H_
#define HEAPTWIN_ORACLE_CHECK_FULL_CHECK_H_

#include <cstdint>

#include "oracle/check/region.h"
#include "oracle/check/types.h"

namespace heaptwin::check {

// One chunk met walking the heap by size fields.
struct Walked {
  uint64_t addr;
  uint64_t size;  // without flags
  uint64_t flags;
};

// A chunk some bin holds, met walking that bin.
struct Binned {
  uint64_t addr;
  BinKind kind;
  int index;
};

class FullCheck {
 public:
  // Takes its working lists (a few hundred MiB of address space, touched as heaps need) from
  // `region`. False when the region is too small.
  bool init(Region* region);

  // Every violation found goes into `out` until it is full (empty: the heap is sound). A heap that
  // does not exist yet (no malloc so far) is sound, and so is one whose main arena went
  // non-contiguous (the checker does not follow it into mmapped memory).
  void run(const Reader& mem, const Where& where, const Layout& layout, Findings* out);

  // After run(): the chunks met walking the heap by size fields, in address order (top not
  // included), and whether the walk reached top. The incremental check builds its chunk map
  // from them.
  const Array<Walked>& chunks() const { return chunks_; }
  bool walk_complete() const { return walk_complete_; }
  // After run(): whether the heap exists and is contiguous (false: nothing was checked).
  bool checked() const { return checked_; }
  uint64_t top() const { return top_; }

 private:
  friend class FullCheckRun;
  Array<Walked> chunks_, list_;
  Array<Binned> binned_;
  Array<uint64_t> nextsize_fd_, nextsize_bk_, seen_;
  Array<int> holder_;
  Array<char> in_regular_;
  Array<size_t> firsts_;
  bool walk_complete_ = false;
  bool checked_ = false;
  uint64_t top_ = 0;
};

}  // namespace heaptwin::check

#endif  // HEAPTWIN_ORACLE_CHECK_FULL_CHECK_H_
