// The incremental heap checker's C++ face (the checker itself: oracle/check/incremental.h).
// After each op of a run it checks what the op touched, with the rules and messages of the full
// check (oracle/heap_check.h), at a cost that does not grow with the heap. The allocator tells it
// what the op wrote through the write log (allocator/write_log.h): set write_log() on the twin
// (Allocator::set_write_log), clear it before each op, call check_op after.
//
// A violation is reported as the full check reports it: when the incremental check finds
// something, the full check runs at that op and its violations are returned (those of the
// incremental check only if the full check finds none, which would be a bug of one of them).
#ifndef HEAPTWIN_ORACLE_HEAP_CHECK_INCREMENTAL_H_
#define HEAPTWIN_ORACLE_HEAP_CHECK_INCREMENTAL_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "allocator/memory.h"
#include "allocator/write_log.h"
#include "oracle/check/incremental.h"
#include "oracle/heap_check.h"

namespace heaptwin {

class IncrementalHeapChecker {
 public:
  IncrementalHeapChecker();
  ~IncrementalHeapChecker();
  IncrementalHeapChecker(const IncrementalHeapChecker&) = delete;
  IncrementalHeapChecker& operator=(const IncrementalHeapChecker&) = delete;

  // False when the checker's memory could not be reserved (then every check is a full one).
  bool ok() const { return ok_; }
  // A new run: the next check is a full one, and the log is empty.
  void reset();
  // The log the twin notes its stores in (Allocator::set_write_log). check_op empties it.
  alloc::WriteLog* write_log() { return &log_; }

  // After an op: the incremental check of what the log holds (a full check the first time, or
  // when the log overflowed).
  std::vector<Violation> check_op(const MemoryReader& mem, const HeapLocation& loc,
                                  const GlibcLayout& layout, size_t max_violations = 32);
  // The same with the written addresses given (tests: a corruption planted by hand).
  std::vector<Violation> check_op(const MemoryReader& mem, const HeapLocation& loc,
                                  const GlibcLayout& layout, const uint64_t* written, size_t count,
                                  size_t max_violations = 32);
  // A full check, which also rebuilds the incremental state.
  std::vector<Violation> full_check(const MemoryReader& mem, const HeapLocation& loc,
                                    const GlibcLayout& layout, size_t max_violations = 32);
  // The same two over this process's own memory (the twin's: `mem` says what is readable), read
  // in place rather than copied.
  std::vector<Violation> check_op(const alloc::Memory& mem, const HeapLocation& loc,
                                  const GlibcLayout& layout, size_t max_violations = 32);
  // `last`: no check follows until reset() (the end of a Program): the incremental state is not
  // rebuilt.
  std::vector<Violation> full_check(const alloc::Memory& mem, const HeapLocation& loc,
                                    const GlibcLayout& layout, size_t max_violations = 32,
                                    bool last = false);
  // What the incremental check itself found at the last check_op, before the full check
  // re-reported it (tests compare the two).
  const std::vector<Violation>& last_incremental() const { return last_incremental_; }

  const check::IncrementalStats& stats() const { return check_.stats(); }

 private:
  std::vector<Violation> run(const check::Reader& reader, const MemoryReader& mem,
                             const HeapLocation& loc, const GlibcLayout& layout,
                             const uint64_t* written, size_t count, bool complete,
                             size_t max_violations);
  std::vector<Violation> full(const check::Reader& reader, const MemoryReader& mem,
                              const HeapLocation& loc, const GlibcLayout& layout,
                              size_t max_violations, bool last = false);

  check::Region region_;
  check::IncrementalCheck check_;
  bool ok_ = false;
  std::vector<uint64_t> log_entries_;
  alloc::WriteLog log_;
  std::vector<check::Finding> findings_;
  // check_layout parses the version: done once per layout, not per op.
  const check::Layout& layout_of(const GlibcLayout& layout);
  std::string layout_version_;
  check::Layout layout_;
  std::vector<Violation> last_incremental_;
};

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_HEAP_CHECK_INCREMENTAL_H_
