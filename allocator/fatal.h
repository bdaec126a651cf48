// How the allocator stops an operation. glibc aborts the process (malloc_printerr), or the
// process faults on a wild pointer, or loops forever on a corrupted list; or the twin cannot
// follow glibc any further (unmodelled). The twin's side turns each into an outcome and unwinds
// to the op boundary (longjmp: the allocator holds no resources and no objects with
// destructors); the preload library prints the message and calls abort().
#ifndef HEAPTWIN_ALLOCATOR_FATAL_H_
#define HEAPTWIN_ALLOCATOR_FATAL_H_

#include <cstdint>
#include <cstdlib>

namespace heaptwin::alloc {

class FatalHandler {
 public:
  virtual ~FatalHandler() = default;
  // glibc's malloc_printerr or a malloc assertion: `message` without the final newline.
  [[noreturn]] virtual void abort_with(const char* message) = 0;
  // glibc would have touched unmapped memory at `address` (SIGSEGV).
  [[noreturn]] virtual void fault(uint64_t address) = 0;
  // A corrupted list made a loop run far longer than any sane heap allows (glibc would hang).
  [[noreturn]] virtual void hang() = 0;
  // The same, proven rather than counted: the loop came back to a state it was in before
  // (list_cycle.h, loop_repeat.h). Handlers that do not tell the two apart need not override it.
  [[noreturn]] virtual void hang_proven() { hang(); }
  // glibc would now do something only the real process's address space decides (e.g. madvise
  // over memory the twin does not model): what follows cannot be twinned. `why` says what.
  [[noreturn]] virtual void unmodelled(const char* why) = 0;
};

// Call sites use these: the compiler does not trust [[noreturn]] on a virtual function, and a
// handler that returned anyway must not let the allocator run on.
[[noreturn]] inline void report_abort(FatalHandler* h, const char* message) {
  h->abort_with(message);
  std::abort();
}
[[noreturn]] inline void report_fault(FatalHandler* h, uint64_t address) {
  h->fault(address);
  std::abort();
}
[[noreturn]] inline void report_hang(FatalHandler* h) {
  h->hang();
  std::abort();
}
[[noreturn]] inline void report_proven_hang(FatalHandler* h) {
  h->hang_proven();
  std::abort();
}
[[noreturn]] inline void report_unmodelled(FatalHandler* h, const char* why) {
  h->unmodelled(why);
  std::abort();
}

}  // namespace heaptwin::alloc

#endif  // HEAPTWIN_ALLOCATOR_FATAL_H_
