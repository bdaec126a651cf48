// The version knobs of the glibc being twinned, and the tunables a run starts with. Each knob
// names one behaviour that differs between releases, with the release (and the commit's subject)
// that changed it; `for_version` is the one place that says which release has which.
#ifndef HEAPTWIN_ALLOCATOR_PROFILE_H_
#define HEAPTWIN_ALLOCATOR_PROFILE_H_

#include <cstddef>
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

enum class AssertStyle {
  kProgramName,   // "PROG: malloc.c:LINE: F: Assertion `E' failed."  (before 2.36)
  kMallocAssert,  // "Fatal glibc error: malloc assertion failure in F: E"  (2.36)
  kLibcAssert,    // "Fatal glibc error: malloc.c:LINE (F): assertion failed: E"  (2.37+)
};

struct GlibcProfile {
  int minor = 36;  // 2.<minor>
  // 2.26 "Add per-thread cache to malloc": the tcache (before: none at all).
  bool tcache = true;
  // GLIBC_TUNABLES glibc.malloc.*: "Add framework for tunables" (2.25, built only with
  // --enable-tunables; on by default from 2.26). Before: only the MALLOC_*_ variables, which no
  // side passes; GLIBC_TUNABLES is ignored.
  bool glibc_tunables = true;
  // 2.26 "Further harden glibc malloc metadata against 1-byte overflows.": unlink checks the
  // chunk's size against the next chunk's prev_size ("corrupted size vs. prev_size").
  bool unlink_size_check = true;
  // Until 2.26 "malloc: Abort on heap corruption, without a backtrace [BZ #21754]" and "malloc:
  // Remove check_action variable": malloc_printerr prints "*** Error in `PROG': MESSAGE: 0xPTR
  // ***" (a pointer each check names) and does what M_CHECK_ACTION says (default 3: print,
  // abort); an error it does not abort on marks the arena corrupt and the call goes on.
  bool check_action = false;
  // 2.27 "Use relaxed atomics for malloc have_fastchunks": malloc_state's have_fastchunks
  // field; before, FASTCHUNKS_BIT (1) in flags, set while there are *no* fast chunks, and every
  // field from fastbinsY on 8 bytes lower (the unsorted head at main_arena+0x58).
  bool have_fastchunks_field = true;
  // Until 2.27 "Improve malloc initialization sequence": the arena is set up by the first
  // malloc_consolidate that finds global_max_fast 0 (and _int_malloc consolidates on a small
  // bin whose bk is 0); before that main_arena is all zero. After: by ptmalloc_init.
  bool lazy_arena_init = false;
  // Until 2.25 "malloc: Use accessors for chunk metadata access": malloc_consolidate takes a
  // chunk's size as p->size & ~(PREV_INUSE | NON_MAIN_ARENA), IS_MMAPPED kept.
  bool consolidate_keeps_mmapped_bit = false;
  // 2.27 "malloc: Ensure that the consolidated fast chunk has a sane size.":
  // "malloc_consolidate(): invalid chunk size".
  bool consolidate_size_check = true;
  // 2.27 "Fix integer overflows in internal memalign and malloc functions [BZ #22343]":
  // checked_request2size tests the padded size (before: only the request, against -2 * MINSIZE)
  // and _int_memalign refuses an nb whose padding wraps.
  bool request_overflow_checks = true;
  // Until 2.27 "Add single-threaded path to malloc/realloc/calloc/memalloc": a failed
  // allocation is tried again through arena_get_retry (realloc: through __libc_malloc), which
  // makes a new arena and moves the thread there, or with M_ARENA_MAX 1 hands back main_arena.
  bool retry_in_other_arena = false;
  // Until 2.29 "malloc: Always call memcpy in _int_realloc [BZ #24027]" (on the 2.27 branch
  // too): a move copies up to 9 words one by one after asserting "ncopies >= 3".
  bool realloc_copies_words = false;
  // 2.29 "Mitigate null-byte overflow attacks", "Verify size of top chunk", "Additional checks
  // for unsorted bin integrity I", "Add more integrity checks to mremap_chunk": the checks
  // "corrupted size vs. prev_size while consolidating" / "... in fastbins", "malloc(): corrupted
  // top size", the five unsorted-chunk checks (before: only "malloc(): memory corruption" on the
  // raw size), and munmap/mremap's pointer checks (before: mremap asserts the page alignment).
  bool consolidate_prevsize_checks = true;
  bool top_size_check = true;
  bool unsorted_checks = true;
  bool mmapped_pointer_checks = true;
  // 2.30 "Check for large bin list corruption when inserting unsorted chunk".
  bool largebin_insert_checks = true;
  // 2.30 "Small tcache improvements": counts are uint16_t (before: signed char, at most 127; the
  // tcache_perthread_struct 0x240 bytes with entries at 0x40).
  bool tcache_wide_counts = true;
  // 2.30 "Fix assertion in malloc.c:tcache_get": malloc takes from tcache when the bin's count
  // is above 0; before, when its entries[] head is not NULL.
  bool tcache_take_by_count = true;
  // 2.30 "make malloc fail with requests larger than PTRDIFF_MAX (BZ#23741)": the request limit
  // is PTRDIFF_MAX (malloc, calloc, pvalloc, memalign); before, a request whose padded size
  // wraps or reaches -2 * MINSIZE, calloc's n * size overflow test, memalign's and pvalloc's own
  // overflow tests.
  bool request_limit_ptrdiff = true;
  // 2.32 "Add Safe-Linking to fastbins and tcache": tcache next and fastbin fd are PROTECT_PTR'd,
  // and every list walk checks alignment ("unaligned tcache chunk", "unaligned fastbin chunk
  // detected 2/3", malloc_consolidate's and free's tcache scan's).
  bool safe_linking = true;
  // 2.33 "Detect infinite-loop in _int_free when freeing tcache [BZ#27052]": free's double-free
  // scan stops at mp_.tcache_count entries ("free(): too many chunks detected in tcache").
  bool tcache_scan_counts = true;
  // 2.34 "Harden tcache double-free check": the key is a random word (tcache_key); before, the
  // tcache_perthread_struct's own address.
  bool tcache_key_random = true;
  // 2.32 "ensure set_max_fast never stores zero [BZ #25733]": M_MXFAST 1..7 gives 0x10, not 0.
  bool max_fast_never_zero = true;
  // 2.35 "Add Huge Page support to arenas" dropped do_set_mmap_threshold's bound: before, a
  // threshold above HEAP_MAX_SIZE / 2 (32 MiB) is refused (mallopt returns 0).
  bool mmap_threshold_unbounded = true;
  // 2.35 "Move MORECORE fallback mmap to sysmalloc_mmap_fallback" (with the hugepage work): the
  // fallback's size is rounded to 1 MiB, at least a page (swapped arguments); before, and again
  // from 2.38 ("Fix transposed arguments"), to a page, at least 1 MiB (MMAP_AS_MORECORE_SIZE).
  bool mmap_fallback_swapped = true;
  // 2.34 "Move malloc hooks into a compat DSO": each entry point runs ptmalloc_init first; before,
  // posix_memalign reached it only through the memalign hook, after refusing a bad alignment.
  bool posix_memalign_inits_first = true;
  // The same commit removed the initial hooks: before, __malloc_hook starts as malloc_hook_ini,
  // which the first malloc, realloc or calloc passes through and clears. A calloc that meets it
  // is __libc_malloc (tcache included) and a memset of the request.
  bool init_hooks = false;
  // "memalign: reinstate alignment overflow check (CVE-2026-0861)", on the release branches in
  // January 2026: _int_memalign refuses an alignment above PTRDIFF_MAX (ENOMEM). Without it,
  // nb + alignment + MINSIZE wraps and the aligned spot lands outside the chunk. Debian 11's
  // 2.31-13+deb11u11 predates it; the 2.35 build, Debian 12's and Debian 13's packages have it.
  bool memalign_alignment_overflow_check = true;
  // How a failed malloc assertion reads (allocator/assertions.h): 2.36 "Simplify implementation
  // of __malloc_assert" (also on the 2.35 branch), 2.37 "assert: Do not use stderr in
  // libc-internal assert".
  AssertStyle assert_style = AssertStyle::kMallocAssert;
  // 2.37 "realloc: Return unchanged if request is within usable size", as 2.38 "Limit chunk
  // reuse to only growing requests" left it: a request within 15 bytes under the usable size
  // (a page for an mmapped chunk) returns the block as it is, before any check.
  bool realloc_keeps_close_fit = false;
  // 2.37 "malloc: Switch global_max_fast to uint8_t" (15a94e6668): global_max_fast is one byte
  // (a program's write of a libc address there leaves its low byte). Gone in 2.43.
  bool global_max_fast_byte = false;
  // 2.38 "remove redundant check of unsorted bin corruption": no "malloc(): corrupted unsorted
  // chunks 3".
  bool unsorted_check_3 = true;
  // 2.38 "aligned_alloc: conform to C17": aligned_alloc refuses an alignment that is no power
  // of two (EINVAL); before, it was memalign.
  bool aligned_alloc_own_checks = false;
  // 2.38 "memalign: Support scanning for aligned chunks": _mid_memalign first looks through the
  // request's tcache bin for an aligned chunk and takes it from the middle of the list. (2.38's
  // scan of the bins went again in 2.39.)
  bool memalign_scans_tcache = false;
  // 2.39 "Enable merging of remainders in memalign (bug 30723)": the leader and the tail go
  // straight to the bins (merged, never tcache or fastbins), and a tail under MINSIZE merges
  // into a free next chunk or top.
  bool memalign_merges_remainders = false;
  // 2.41 "send freed small chunks to smallbin": a freed chunk of small-bin size goes to its small
  // bin ("free(): chunks in smallbin corrupted"), not the unsorted bin.
  bool free_small_to_smallbin = false;
  // 2.41 "Add tcache path for calloc": calloc takes a chunk of its size from tcache first.
  bool calloc_from_tcache = false;
  // 2.41 "Optimize small memory clearing for calloc": clear_memory, with no nclears assertion.
  bool calloc_clear_memory = false;
  // 2.42 "malloc: add tcache support for large chunk caching" and "malloc: Count tcache entries
  // downwards": tcache_perthread_struct is uint16_t num_slots[76], entries[76] (760 bytes, its
  // chunk 0x300; 12 large bins, used only when glibc.malloc.tcache_max asks); num_slots counts
  // the free places (mp_.tcache_count at tcache_init); mp_.tcache_max_bytes is a chunk size
  // (MAX_TCACHE_SMALL_SIZE + 1 = 0x411) and mp_.tcache_bins is tcache_small_bins; __libc_malloc
  // and calloc take from tcache when the bin's head is not NULL (__libc_malloc, __libc_calloc),
  // free puts while num_slots is not 0, and only _int_malloc's stashing honours
  // tcache_small_bins.
  bool tcache_large_bins = false;
  // 2.42 "malloc: Add integrity check to largebin nextsizes": a chunk smaller than every chunk
  // of its large bin checks fwd->fd->bk_nextsize->fd_nextsize == fwd->fd ("malloc(): largebin
  // double linked list corrupted (nextsize)") before joining the skip list at its end.
  bool largebin_smallest_check = false;
  // 2.42 "malloc: Improve free checks", "malloc: Move mmap code out of __libc_free hotpath":
  // __libc_free checks only alignment ("free(): invalid pointer") before the tcache; then
  // INT_ADD_OVERFLOW (p, size - MINSIZE) ("free(): invalid size") and _int_free_chunk, which
  // munmaps an mmapped chunk (a small forged mmapped chunk goes to tcache first).
  bool free_checks_after_tcache = false;
  // 2.42 "malloc: Use _int_free_chunk for remainders": _int_realloc's remainder and old chunk
  // are merged and binned (_int_free_chunk), never cached.
  bool remainders_bypass_tcache = false;
  // 2.43 "malloc: Remove fastbin infrastructure", "malloc: remove malloc_consolidate": no
  // fastbinsY, global_max_fast, have_fastchunks (malloc_state is mutex, flags, top, ...: the
  // unsorted head at main_arena+0x8), no fastbin path in malloc and free, no consolidation.
  // (The twin's own global_max_fast and have_fastchunks words stay 0 there.)
  bool fastbins = true;
  // 2.43 "malloc: set default tcache fill count to 16" (TCACHE_FILL_COUNT).
  bool tcache_fill_16 = false;
  // 2.43 "malloc: avoid need for tcache == NULL checks": `tcache` starts at __tcache_dummy and
  // the struct is allocated at the first free that would cache (tcache_free_init:
  // __libc_malloc2 (760), a 0x300 chunk), or inside _int_malloc when a small-bin or exact
  // unsorted hit would stash (tcache_init (av): _int_malloc (av, request2size (760)), a 0x310
  // chunk). The first chunk of a heap is at heap+0x10.
  bool tcache_lazy = false;
  // 2.43 "malloc: Cleanup libc_realloc": realloc keeps the block when the request is at most
  // the usable size and within 15 bytes of it (mmapped chunks too: no page of slack), before
  // any check; an mmapped block mremap cannot resize is kept when the request fits.
  bool realloc_close_fit_16 = false;
  // 2.43 "malloc: Change mmap chunk layout": an mmapped chunk's prev_size is its offset in the
  // mapping (bit 0: huge pages) and its size the mapping's less that offset and CHUNK_HDR_SZ:
  // a mapping is ALIGN_UP (nb + CHUNK_HDR_SZ, page), the chunk at its start, size mapping - 0x10;
  // usable bytes chunksize - 8 (memsize).
  bool mmap_chunk_offset = false;
  // 2.43 "malloc: Cleanup _int_memalign": the tail after nb is freed only when it is at least
  // MINSIZE (2.39's merging of a smaller one into a free neighbour is gone); an mmapped chunk
  // moves to the first aligned spot without a MINSIZE leader; bytes or alignment above
  // PTRDIFF_MAX fail with ENOMEM.
  bool memalign_tail_minsize = false;
  // 2.43 "malloc: Cleanup macros, asserts and sysmalloc_mmap_fallback": the fallback maps
  // ALIGN_UP (nb + top_pad + MINSIZE, page), at least 1 MiB, with no test that the size wrapped
  // (a negative M_TOP_PAD makes it huge and the mmap fail: ENOMEM); before, the brk request plus
  // old top's size.
  bool mmap_fallback_from_request = false;
  // 2.43's tcache_init (av) asks _int_malloc for request2size (sizeof (tcache_perthread_struct))
  // bytes: padded twice, a 0x310 chunk; 2.44 asks for the struct's size (0x300, as
  // tcache_free_init's __libc_malloc2 always did).
  bool tcache_init_pads_twice = false;
  // The unsorted scan caches exact fits while the tcache has room and hands one out at the end
  // (mp_.tcache_unsorted_limit bounds the scan meanwhile); 2.44 returns an exact fit at once, and
  // malloc_par has no tcache_unsorted_limit (nor its tunable).
  bool unsorted_stashes_exact_fits = true;
  // malloc is set up at startup: __libc_early_init ends by jumping to __ptmalloc_init (measured
  // in Debian's 2.43-7 and 2.44-3 builds; 2.41-12's __libc_early_init does not, and malloc is
  // set up by its first call). The tunables are then in mp_ before any call, a free (NULL)
  // included.
  bool malloc_init_at_startup = false;
  // The random key's value: 0 derives one from the twin's address (unguessable enough for the
  // drop-in); the oracle's sides all use one fixed value (oracle/side.h).
  uint64_t tcache_key = 0;
  uint64_t page_size = 4096;
  GlibcTunables tunables;

  static GlibcProfile glibc_2_36() { return GlibcProfile{}; }

  // The twin of a build it is held to (known_versions()); false for any other, *out untouched.
  static bool for_version(const char* version, GlibcProfile* out);
  // What release 2.<minor> has by the history of each behaviour (which release brought it),
  // without the branch backports of the builds for_version knows; 2.27 .. 2.41 only.
  static bool from_history(int minor, GlibcProfile* out);
  // The names of the behaviours `a` and `b` differ in, comma-separated into buf; their number.
  static int describe_differences(const GlibcProfile& a, const GlibcProfile& b, char* buf,
                                  size_t size);
  // The releases for_version knows, for messages: "2.31, 2.35, 2.36".
  static const char* known_versions();
};

}  // namespace heaptwin::alloc

#endif  // HEAPTWIN_ALLOCATOR_PROFILE_H_
