#include "allocator/assertions.h"

#include <cstdio>

namespace heaptwin::alloc {

namespace {

struct AssertionText {
  const char* function;
  const char* expression;      // as 2.36 stringifies it
  const char* expression_old;  // where older sources spell it differently, else nullptr
  const char* expression_223;  // where 2.23's source spells it differently again, else nullptr
};

constexpr int kAssertions = static_cast<int>(Assertion::kMemalignArenaThreaded) + 1;

constexpr AssertionText kTexts[kAssertions] = {
    {"sysmalloc",
     "(old_top == initial_top (av) && old_size == 0) || ((unsigned long) (old_size) >= MINSIZE "
     "&& prev_inuse (old_top) && ((unsigned long) old_end & (pagesize - 1)) == 0)",
     nullptr, nullptr},
    {"sysmalloc", "(unsigned long) (old_size) < (unsigned long) (nb + MINSIZE)", nullptr, nullptr},
    // 2.27's single-thread path ("Add single-threaded path to malloc/realloc/calloc/memalloc")
    // names &main_arena; 2.23's only path, ar_ptr.
    {"__libc_malloc",
     "!victim || chunk_is_mmapped (mem2chunk (victim)) || &main_arena == arena_for_chunk "
     "(mem2chunk (victim))",
     nullptr,
     "!victim || chunk_is_mmapped (mem2chunk (victim)) || ar_ptr == arena_for_chunk "
     "(mem2chunk (victim))"},
    {"__libc_calloc", "nclears >= 3", nullptr, nullptr},  // gone in 2.41 (clear_memory)
    // 2.25 "malloc: Use accessors for chunk metadata access" respelled the size tests.
    {"_int_malloc", "chunk_main_arena (bck->bk)", nullptr, "(bck->bk->size & NON_MAIN_ARENA) == 0"},
    {"_int_malloc", "chunk_main_arena (fwd)", nullptr, "(fwd->size & NON_MAIN_ARENA) == 0"},
    {"_int_malloc", "chunk_main_arena (fwd)", nullptr, "(fwd->size & NON_MAIN_ARENA) == 0"},
    {"_int_malloc", "(unsigned long) (size) >= (unsigned long) (nb)", nullptr, nullptr},
    // 2.33 ("Basic support for memory tagging") respelled 4 * SIZE_SZ as 2 * CHUNK_HDR_SZ.
    {"mtrim", "(char *) chunk2mem (p) + 2 * CHUNK_HDR_SZ <= paligned_mem",
     "(char *) chunk2mem (p) + 4 * SIZE_SZ <= paligned_mem", nullptr},
    {"mtrim", "(char *) p + size > paligned_mem", nullptr, nullptr},
    {"mremap_chunk", "((size + offset) & (GLRO (dl_pagesize) - 1)) == 0", nullptr, nullptr},
    {"_int_realloc", "ncopies >= 3", nullptr, nullptr},
    {"get_free_list", "result->attached_threads == 0", nullptr, nullptr},
    {"remove_from_free_list", "p->attached_threads == 0", nullptr, nullptr},
    {"detach_arena", "replaced_arena->attached_threads > 0", nullptr, nullptr},
    {"__malloc_arena_thread_freeres", "a->attached_threads > 0", nullptr, nullptr},
    {"heap_trim", "chunksize_nomask (p) == (0 | PREV_INUSE)", nullptr, nullptr},
    {"heap_trim", "new_size > 0 && new_size < (long) (2 * MINSIZE)", nullptr, nullptr},
    {"heap_trim", "new_size > 0 && new_size < max_size", nullptr, nullptr},
    {"heap_trim", "((unsigned long) ((char *) p + new_size) & (heap->pagesize - 1)) == 0", nullptr,
     nullptr},
    {"heap_trim", "((char *) p + new_size) == ((char *) heap + heap->size)", nullptr, nullptr},
    {"_int_free", "heap->ar_ptr == av", nullptr, nullptr},
    {"__libc_malloc",
     "!victim || chunk_is_mmapped (mem2chunk (victim)) || ar_ptr == arena_for_chunk "
     "(mem2chunk (victim))",
     nullptr, nullptr},
    {"__libc_calloc",
     "!mem || chunk_is_mmapped (mem2chunk (mem)) || av == arena_for_chunk (mem2chunk (mem))",
     nullptr, nullptr},
    {"__libc_realloc",
     "!newp || chunk_is_mmapped (mem2chunk (newp)) || ar_ptr == arena_for_chunk (mem2chunk "
     "(newp))",
     nullptr, nullptr},
    {"_mid_memalign",
     "!p || chunk_is_mmapped (mem2chunk (p)) || ar_ptr == arena_for_chunk (mem2chunk (p))", nullptr,
     nullptr},
};

// Where each assertion sits in the malloc.c of the builds whose messages print the line: the
// line GCC gives __LINE__ for a multi-line assert is its first. Read from the release branches
// (release/2.27/master at 6d69c4aa, release/2.31/master before its CVE-2026-0861 fix = Debian
// 11's 2.31-13+deb11u11, whose mtrim lines are 2 lower than the branch head's,
// release/2.39/master, release/2.41/master = Debian 13's 2.41-12), in Assertion's order; 0
// where the release has no such assertion.
struct ReleaseLines {
  int minor;
  int line[kAssertions];
};

constexpr ReleaseLines kLines[] = {
    {23, {2389, 2395, 2924, 3281, 3549, 3561, 3565, 3720, 4519, 4520, 2866, 4329}},  // b039fd85
    {27, {2398, 2404, 3068, 3495, 3840, 3853, 3857, 4033, 4779, 4780, 2868, 0}},
    {31, {2379, 2385, 3059, 3477, 3839, 3852, 3856, 4036, 4780, 4781, 0, 0}},
    {39, {2599, 2605, 3329, 3809, 4179, 4192, 4196, 4376, 5178, 5180, 0, 0}},
    {41, {2601, 2607, 3407, 0, 4237, 4250, 4254, 4434, 5235, 5237, 0, 0}},
    // Debian's glibc-source 2.43-7 and 2.44-3 (the malloc.c those packages were built from; the
    // four lines golden recordings reach agree). __libc_malloc's assertion is __libc_malloc2's.
    {43, {2371, 2377, 3254, 0, 4041, 4057, 4061, 4241, 4777, 4779, 0, 0}},
    {44, {2199, 2205, 3074, 0, 3768, 3784, 3788, 3948, 4475, 4477, 0, 0}},
};

int line_of(Assertion a, int minor) {
  for (const ReleaseLines& r : kLines) {
    if (r.minor == minor) return r.line[static_cast<int>(a)];
  }
  return 0;
}

}  // namespace

const char* assertion_message(Assertion a, const GlibcProfile& profile, char* buf, size_t size) {
  AssertionText t = kTexts[static_cast<int>(a)];
  // 2.42 "malloc: Improve performance of __libc_malloc": the arena assertion moved into
  // __libc_malloc2.
  if (a == Assertion::kMallocArena && profile.tcache_large_bins) t.function = "__libc_malloc2";
  switch (profile.assert_style) {
    case AssertStyle::kProgramName:
      std::snprintf(buf, size, "malloc.c:%d: %s: Assertion `%s' failed.", line_of(a, profile.minor),
                    t.function,
                    profile.minor < 26 && t.expression_223 ? t.expression_223
                    : t.expression_old                     ? t.expression_old
                                                           : t.expression);
      break;
    case AssertStyle::kMallocAssert:
      std::snprintf(buf, size, "Fatal glibc error: malloc assertion failure in %s: %s", t.function,
                    t.expression);
      break;
    case AssertStyle::kLibcAssert:
      std::snprintf(buf, size, "Fatal glibc error: malloc.c:%d (%s): assertion failed: %s",
                    line_of(a, profile.minor), t.function, t.expression);
      break;
  }
  return buf;
}

}  // namespace heaptwin::alloc
