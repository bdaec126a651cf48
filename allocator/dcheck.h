// The twin's debug-only checks (scudo's DCHECK tier): invariants of the twin's own computations,
// so that a mistake in the twin stops where it happens instead of surfacing as a divergence ops
// later. On in unit and sanitizer builds; compiled out (the condition is not evaluated) in opt
// builds, where Bazel defines NDEBUG (the command line, the drop-in library, benchmarks), and in
// fuzz builds (HEAPTWIN_NO_TWIN_DCHECKS, bazel/copts.bzl).
//
// Only what the twin computes, never what heap or libc memory says: a heap that a program
// corrupted (forged sizes, poisoned lists, an overwritten mp_) is input the twin follows as glibc
// does, not a twin bug. glibc's own checks are behaviour, always on: malloc_printerr
// (abort_messages.h) and its asserts (assertions.h).
#ifndef HEAPTWIN_ALLOCATOR_DCHECK_H_
#define HEAPTWIN_ALLOCATOR_DCHECK_H_

#include <unistd.h>

#include <cstdlib>
#include <cstring>

#if !defined(NDEBUG) && !defined(HEAPTWIN_NO_TWIN_DCHECKS)
#define HEAPTWIN_TWIN_DCHECKS_ON 1
#else
#define HEAPTWIN_TWIN_DCHECKS_ON 0
#endif

namespace heaptwin::alloc {

inline constexpr bool kTwinDchecksOn = HEAPTWIN_TWIN_DCHECKS_ON;

// Says which check failed on stderr, with write(2) (nothing that allocates: the same code runs
// inside the drop-in library), and aborts.
[[noreturn]] inline void twin_dcheck_failed(const char* condition, const char* file, int line) {
  const auto put = [](const char* s) { (void)!::write(2, s, std::strlen(s)); };
  char number[12] = {};
  int i = sizeof number - 1;
  do {
    number[--i] = static_cast<char>('0' + line % 10);
    line /= 10;
  } while (line > 0 && i > 0);
  put("heaptwin: twin DCHECK failed: ");
  put(file);
  put(":");
  put(number + i);
  put(": ");
  put(condition);
  put("\n");
  std::abort();
}

}  // namespace heaptwin::alloc

#if HEAPTWIN_TWIN_DCHECKS_ON
#define HEAPTWIN_TWIN_DCHECK(condition) \
  ((condition) ? static_cast<void>(0)   \
               : ::heaptwin::alloc::twin_dcheck_failed(#condition, __FILE__, __LINE__))
#else
#define HEAPTWIN_TWIN_DCHECK(condition) static_cast<void>(sizeof(condition))
#endif

#endif  // HEAPTWIN_ALLOCATOR_DCHECK_H_
