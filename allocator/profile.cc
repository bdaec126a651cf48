#include "allocator/profile.h"

#include <cstdio>
#include <cstring>

namespace heaptwin::alloc {

namespace {

// Each behaviour, with the releases that have it: from `since` up to but not including `until`
// (0: still there). The commits are named in profile.h beside each field. One table, so a
// release's profile follows from its number.
struct Change {
  const char* name;
  bool GlibcProfile::*knob;
  int since, until;
};

constexpr Change kChanges[] = {
    {"tcache", &GlibcProfile::tcache, 26, 0},
    {"glibc_tunables", &GlibcProfile::glibc_tunables, 26, 0},
    {"unlink_size_check", &GlibcProfile::unlink_size_check, 26, 0},
    {"check_action", &GlibcProfile::check_action, 0, 26},
    {"have_fastchunks_field", &GlibcProfile::have_fastchunks_field, 27, 0},
    {"lazy_arena_init", &GlibcProfile::lazy_arena_init, 0, 27},
    {"consolidate_keeps_mmapped_bit", &GlibcProfile::consolidate_keeps_mmapped_bit, 0, 25},
    {"consolidate_size_check", &GlibcProfile::consolidate_size_check, 27, 0},
    {"request_overflow_checks", &GlibcProfile::request_overflow_checks, 27, 0},
    {"retry_in_other_arena", &GlibcProfile::retry_in_other_arena, 0, 27},
    {"realloc_copies_words", &GlibcProfile::realloc_copies_words, 0, 29},
    {"unsorted_check_3", &GlibcProfile::unsorted_check_3, 28, 38},
    {"consolidate_prevsize_checks", &GlibcProfile::consolidate_prevsize_checks, 29, 0},
    {"top_size_check", &GlibcProfile::top_size_check, 29, 0},
    {"unsorted_checks", &GlibcProfile::unsorted_checks, 29, 0},
    {"mmapped_pointer_checks", &GlibcProfile::mmapped_pointer_checks, 29, 0},
    {"largebin_insert_checks", &GlibcProfile::largebin_insert_checks, 30, 0},
    {"tcache_wide_counts", &GlibcProfile::tcache_wide_counts, 30, 0},
    {"tcache_take_by_count", &GlibcProfile::tcache_take_by_count, 30, 0},
    {"request_limit_ptrdiff", &GlibcProfile::request_limit_ptrdiff, 30, 0},
    {"safe_linking", &GlibcProfile::safe_linking, 32, 0},
    {"max_fast_never_zero", &GlibcProfile::max_fast_never_zero, 32, 0},
    {"tcache_scan_counts", &GlibcProfile::tcache_scan_counts, 33, 0},
    {"tcache_key_random", &GlibcProfile::tcache_key_random, 34, 0},
    {"posix_memalign_inits_first", &GlibcProfile::posix_memalign_inits_first, 34, 0},
    {"init_hooks", &GlibcProfile::init_hooks, 0, 34},
    {"mmap_threshold_unbounded", &GlibcProfile::mmap_threshold_unbounded, 35, 0},
    {"mmap_fallback_swapped", &GlibcProfile::mmap_fallback_swapped, 35, 38},
    {"realloc_keeps_close_fit", &GlibcProfile::realloc_keeps_close_fit, 37, 0},
    {"global_max_fast_byte", &GlibcProfile::global_max_fast_byte, 37, 43},
    {"aligned_alloc_own_checks", &GlibcProfile::aligned_alloc_own_checks, 38, 0},
    {"memalign_scans_tcache", &GlibcProfile::memalign_scans_tcache, 38, 0},
    {"memalign_merges_remainders", &GlibcProfile::memalign_merges_remainders, 39, 0},
    {"free_small_to_smallbin", &GlibcProfile::free_small_to_smallbin, 41, 0},
    {"calloc_from_tcache", &GlibcProfile::calloc_from_tcache, 41, 0},
    {"calloc_clear_memory", &GlibcProfile::calloc_clear_memory, 41, 0},
    {"tcache_large_bins", &GlibcProfile::tcache_large_bins, 42, 0},
    {"largebin_smallest_check", &GlibcProfile::largebin_smallest_check, 42, 0},
    {"free_checks_after_tcache", &GlibcProfile::free_checks_after_tcache, 42, 0},
    {"remainders_bypass_tcache", &GlibcProfile::remainders_bypass_tcache, 42, 0},
    {"fastbins", &GlibcProfile::fastbins, 0, 43},
    {"tcache_fill_16", &GlibcProfile::tcache_fill_16, 43, 0},
    {"tcache_lazy", &GlibcProfile::tcache_lazy, 43, 0},
    {"realloc_close_fit_16", &GlibcProfile::realloc_close_fit_16, 43, 0},
    {"mmap_chunk_offset", &GlibcProfile::mmap_chunk_offset, 43, 0},
    {"memalign_tail_minsize", &GlibcProfile::memalign_tail_minsize, 43, 0},
    {"mmap_fallback_from_request", &GlibcProfile::mmap_fallback_from_request, 43, 0},
    {"tcache_init_pads_twice", &GlibcProfile::tcache_init_pads_twice, 43, 44},
    {"malloc_init_at_startup", &GlibcProfile::malloc_init_at_startup, 43, 0},
    {"unsorted_stashes_exact_fits", &GlibcProfile::unsorted_stashes_exact_fits, 0, 44},
};

// The builds the twin is held to (recordings from the real one; docs/glibc-versions.md), and
// where each differs from its release's history.
constexpr int kTested[] = {23, 27, 31, 35, 36, 39, 41, 43, 44};

int parse_minor(const char* version) {
  int minor = 0;
  char tail = 0;
  if (std::sscanf(version, "2.%d%c", &minor, &tail) != 1) return -1;
  return minor;
}

}  // namespace

bool GlibcProfile::from_history(int minor, GlibcProfile* out) {
  // 2.42 (large tcache bins, but fastbins and an eager tcache) and 2.26 (tcache in 2.23's arena
  // layout) are no combination the twin was held to: refused, not guessed.
  if (minor < 23 || minor > 44 || minor == 42 || minor == 26) return false;
  GlibcProfile p;
  p.minor = minor;
  for (const Change& c : kChanges)
    p.*c.knob = minor >= c.since && (c.until == 0 || minor < c.until);
  p.assert_style = minor < 36    ? AssertStyle::kProgramName
                   : minor == 36 ? AssertStyle::kMallocAssert
                                 : AssertStyle::kLibcAssert;
  *out = p;
  return true;
}

bool GlibcProfile::for_version(const char* version, GlibcProfile* out) {
  const int minor = parse_minor(version);
  bool tested = false;
  for (int t : kTested) tested |= t == minor;
  GlibcProfile p;
  if (!tested || !from_history(minor, &p)) return false;
  switch (minor) {
    case 27:
      // release/2.27/master (Ubuntu 18.04's updated builds) carries 2.29's tcache double-free
      // key (the tcache's address marks a cached chunk), as every twin here has, and 2.29's
      // "malloc: Always call memcpy in _int_realloc"; its _int_memalign has no CVE-2026-0861 fix.
      p.memalign_alignment_overflow_check = false;
      p.realloc_copies_words = false;
      break;
    case 23:
      // release/2.23/master (Ubuntu 16.04's base) predates the CVE-2026-0861 fix.
      p.memalign_alignment_overflow_check = false;
      break;
    case 31:
      // Debian 11's 2.31-13+deb11u11 predates the CVE-2026-0861 fix.
      p.memalign_alignment_overflow_check = false;
      break;
    case 35:
      // release/2.35/master has 2.36's "Simplify implementation of __malloc_assert".
      p.assert_style = AssertStyle::kMallocAssert;
      break;
    default: break;
  }
  *out = p;
  return true;
}

int GlibcProfile::describe_differences(const GlibcProfile& a, const GlibcProfile& b, char* buf,
                                       size_t size) {
  int n = 0;
  size_t used = 0;
  buf[0] = '\0';
  for (const Change& c : kChanges) {
    if (a.*c.knob == b.*c.knob) continue;
    const int w = std::snprintf(buf + used, size - used, "%s%s", n ? ", " : "", c.name);
    if (w > 0 && used + static_cast<size_t>(w) < size) used += static_cast<size_t>(w);
    ++n;
  }
  if (a.assert_style != b.assert_style) {
    const int w = std::snprintf(buf + used, size - used, "%sassert_style", n ? ", " : "");
    if (w > 0 && used + static_cast<size_t>(w) < size) used += static_cast<size_t>(w);
    ++n;
  }
  return n;
}

const char* GlibcProfile::known_versions() {
  return "2.23, 2.27, 2.31, 2.35, 2.36, 2.39, 2.41, 2.43, 2.44";
}

}  // namespace heaptwin::alloc
