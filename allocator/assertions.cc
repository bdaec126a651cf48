#include "allocator/assertions.h"

#include <cstdio>

namespace heaptwin::alloc {

namespace {

struct AssertionText {
  const char* function;
  const char* expression;      // as 2.36 stringifies it
  const char* expression_old;  // where older sources spell it differently, else nullptr
  int line_2_31;               // malloc.c of release/2.31/master (Debian's 2.31-13)
  int line_2_41;               // malloc.c of release/2.41/master (Debian's 2.41-12)
};

// Read from each release's malloc.c; the lines are where GCC puts __LINE__ for the assert.
constexpr AssertionText kTexts[] = {
    {"sysmalloc",
     "(old_top == initial_top (av) && old_size == 0) || ((unsigned long) (old_size) >= MINSIZE "
     "&& prev_inuse (old_top) && ((unsigned long) old_end & (pagesize - 1)) == 0)",
     nullptr, 2379, 2601},
    {"sysmalloc", "(unsigned long) (old_size) < (unsigned long) (nb + MINSIZE)", nullptr, 2385,
     2607},
    {"__libc_malloc",
     "!victim || chunk_is_mmapped (mem2chunk (victim)) || &main_arena == arena_for_chunk "
     "(mem2chunk (victim))",
     nullptr, 3059, 3407},
    {"__libc_calloc", "nclears >= 3", nullptr, 3477, 0},  // gone in 2.41 (clear_memory)
    {"_int_malloc", "chunk_main_arena (bck->bk)", nullptr, 3839, 4237},
    {"_int_malloc", "chunk_main_arena (fwd)", nullptr, 3852, 4250},
    {"_int_malloc", "chunk_main_arena (fwd)", nullptr, 3856, 4254},
    {"_int_malloc", "(unsigned long) (size) >= (unsigned long) (nb)", nullptr, 4036, 4434},
    // 2.33 ("Basic support for memory tagging") respelled 4 * SIZE_SZ as 2 * CHUNK_HDR_SZ.
    {"mtrim", "(char *) chunk2mem (p) + 2 * CHUNK_HDR_SZ <= paligned_mem",
     "(char *) chunk2mem (p) + 4 * SIZE_SZ <= paligned_mem", 4782, 5235},
    {"mtrim", "(char *) p + size > paligned_mem", nullptr, 4783, 5237},
};

}  // namespace

const char* assertion_message(Assertion a, const GlibcProfile& profile, char* buf, size_t size) {
  const AssertionText& t = kTexts[static_cast<int>(a)];
  switch (profile.assert_style) {
    case AssertStyle::kProgramName:
      std::snprintf(buf, size, "malloc.c:%d: %s: Assertion `%s' failed.", t.line_2_31,
                    t.function, t.expression_old ? t.expression_old : t.expression);
      break;
    case AssertStyle::kMallocAssert:
      std::snprintf(buf, size, "Fatal glibc error: malloc assertion failure in %s: %s",
                    t.function, t.expression);
      break;
    case AssertStyle::kLibcAssert:
      std::snprintf(buf, size, "Fatal glibc error: malloc.c:%d (%s): assertion failed: %s",
                    t.line_2_41, t.function, t.expression);
      break;
  }
  return buf;
}

}  // namespace heaptwin::alloc
