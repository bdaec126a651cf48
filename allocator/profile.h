// The version knobs of the glibc being twinned, and the tunables a run starts with. Only 2.36 is
// implemented; the fields name what differs between versions (glibc-facts.md) so later versions
// slot in without reshaping the allocator.
#ifndef HEAPTWIN_ALLOCATOR_PROFILE_H_
#define HEAPTWIN_ALLOCATOR_PROFILE_H_

#include <cstdint>

namespace heaptwin::alloc {

// One GLIBC_TUNABLES value: applied at ptmalloc_init only when set, as glibc does.
struct Tunable {
  bool set = false;
  uint64_t value = 0;
};

struct GlibcTunables {
  Tunable top_pad, perturb, mmap_threshold, trim_threshold, mmap_max, arena_max, arena_test;
  Tunable tcache_max, tcache_count, tcache_unsorted_limit, mxfast;
};

struct GlibcProfile {
  int minor = 36;              // 2.<minor>
  bool tcache = true;          // >= 2.26
  bool safe_linking = true;    // >= 2.32
  bool tcache_key_random = true;  // >= 2.34 (before: the tcache struct pointer)
  // The random key's value: 0 derives one from the twin's address (unguessable enough for the
  // drop-in); the oracle's sides all use one fixed value (oracle/side.h).
  uint64_t tcache_key = 0;
  uint64_t page_size = 4096;
  GlibcTunables tunables;

  static GlibcProfile glibc_2_36() { return GlibcProfile{}; }
};

}  // namespace heaptwin::alloc

#endif  // HEAPTWIN_ALLOCATOR_PROFILE_H_
