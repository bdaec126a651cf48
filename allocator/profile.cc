#include "allocator/profile.h"

#include <cstring>

namespace heaptwin::alloc {

namespace {

// What 2.31 and older releases share against 2.36.
void set_before_2_31(GlibcProfile* p) {
  p->safe_linking = false;
  p->tcache_scan_counts = false;
  p->tcache_key_random = false;
  p->max_fast_never_zero = false;
  p->mmap_threshold_unbounded = false;
  p->mmap_fallback_swapped = false;
  p->posix_memalign_inits_first = false;
  p->memalign_alignment_overflow_check = false;
  p->assert_style = AssertStyle::kProgramName;
}

}  // namespace

bool GlibcProfile::for_version(const char* version, GlibcProfile* out) {
  GlibcProfile p;
  if (std::strcmp(version, "2.36") == 0) {
    // The default.
  } else if (std::strcmp(version, "2.35") == 0) {
    // release/2.35/master (Ubuntu 22.04's base): its malloc.c differs from 2.36's only in
    // checked_request2size's signature (same results); the 2.36 assert text is backported.
    p.minor = 35;
  } else if (std::strcmp(version, "2.27") == 0) {
    // release/2.27/master (Ubuntu 18.04's updated builds): the 2.29 tcache double-free key is
    // backported there (marking with the tcache's address); the rest is 2.27's.
    p.minor = 27;
    set_before_2_31(&p);
    p.consolidate_prevsize_checks = false;
    p.top_size_check = false;
    p.unsorted_checks = false;
    p.mmapped_pointer_checks = false;
    p.largebin_insert_checks = false;
    p.tcache_wide_counts = false;
    p.tcache_take_by_count = false;
    p.request_limit_ptrdiff = false;
    p.mallopt_reports_refusal = false;
    p.unsorted_check_3 = false;  // 2.28 "malloc(): corrupted unsorted chunks 3"
  } else if (std::strcmp(version, "2.31") == 0) {
    // release/2.31/master, as Debian 11 (2.31-13) ships it.
    p.minor = 31;
    set_before_2_31(&p);
  } else if (std::strcmp(version, "2.39") == 0 || std::strcmp(version, "2.41") == 0) {
    // release/2.39/master (Ubuntu 24.04's base), release/2.41/master (Debian 13's 2.41-12).
    p.minor = version[3] == '9' ? 39 : 41;
    p.assert_style = AssertStyle::kLibcAssert;
    p.realloc_keeps_close_fit = true;
    p.unsorted_check_3 = false;
    p.mmap_fallback_swapped = false;  // 2.38 "Fix transposed arguments in ..._fallback call"
    p.aligned_alloc_own_checks = true;
    p.memalign_scans_tcache = true;
    p.memalign_merges_remainders = true;
    if (p.minor >= 41) {
      p.free_small_to_smallbin = true;
      p.calloc_from_tcache = true;
      p.calloc_clear_memory = true;
    }
  } else {
    return false;
  }
  *out = p;
  return true;
}

const char* GlibcProfile::known_versions() { return "2.27, 2.31, 2.35, 2.36, 2.39, 2.41"; }

}  // namespace heaptwin::alloc
