// malloc_printerr before 2.26, for the checks 2.23 has: what M_CHECK_ACTION says (3 unless a
// Program sets it: print, then abort), and the "*** Error in" form with the pointer each check
// names. From 2.26 every error aborts with the message alone.
#include <cinttypes>
#include <cstdio>

#include "allocator/allocator.h"

namespace heaptwin::alloc {

void Allocator::malloc_printerr(const char* message, Addr ptr, int action) {
  if (!profile_.check_action) report_abort(fatal_, message);
  // glibc 2.23 marks the arena corrupt first: later calls get a new mmapped arena from
  // arena_get2, and an error it does not abort on returns into the caller (unlink just goes on).
  if ((action & 2) == 0) {
    report_unmodelled(fatal_,
                      "M_CHECK_ACTION without abort: glibc goes on past the error, and "
                      "its next allocation takes a new arena (the twin has main_arena only)");
  }
  if ((action & 5) == 5) report_abort(fatal_, message);
  if ((action & 1) != 0) {
    // The program's name is left out: it is the process's, not glibc's (as assertions do).
    std::snprintf(error_text_, sizeof error_text_, "*** Error in `': %s: 0x%016" PRIx64 " ***",
                  message, ptr);
    report_abort(fatal_, error_text_);
  }
  report_abort(fatal_, "");  // abort () alone
}

void Allocator::assert_failed(Assertion a) {
  if (a >= Assertion::kArenaFreeListAttached &&
      profile_.assert_style != AssertStyle::kMallocAssert) {
    // Messages that name a file and line would name arena.c's, which the twin does not know.
    report_unmodelled(fatal_, "an arena.c assertion in a release whose message names its line");
  }
  malloc_printerr(assertion_message(a, profile_, assert_text_, sizeof assert_text_));
}

}  // namespace heaptwin::alloc
