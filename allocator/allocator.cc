// Initialisation and the public entry points: __libc_malloc and __libc_free.
#include "allocator/allocator.h"

#include <cerrno>
#include <cstring>

#include "allocator/abort_messages.h"
#include "allocator/bins.h"

namespace heaptwin::alloc {

Allocator::Allocator(Memory* memory, LibcData* data, FatalHandler* fatal,
                     const GlibcProfile& profile)
    : Allocator(memory, LibcObjects::in(data), fatal, profile) {}

Allocator::Allocator(Memory* memory, const LibcObjects& libc, FatalHandler* fatal,
                     const GlibcProfile& profile)
    : ArenaAccess(memory, fatal, arena_offset_of(profile), profile.have_fastchunks_field),
      libc_(libc),
      mp_absent_{},
      mp_(MallocParFields::bind(libc.mp, MallocParLayout::of(profile.minor), mp_absent_)),
      profile_(profile),
      protect_mask_(profile.safe_linking ? ~uint64_t{0} : 0),
      list_align_mask_(profile.safe_linking ? kMallocAlignMask : 0),
      tcache_form_(tcache_form_of(profile)),
      tcache_entries_offset_(tcache_entries_offset_of(tcache_form_)),
      tcache_hot_(tcache_form_ == TcacheForm::kWideCounts && profile.tcache_take_by_count &&
                  !profile.free_checks_after_tcache && !profile.tcache_lazy),
      arenas_modelled_(arenas_modelled_in(profile)),
      tcache_mark_source_(profile.tcache_key_random ? libc.tcache_key : &tcache_) {
  // Before 2.27 the struct is laid 8 bytes before main_arena, which stays 16-byte aligned as in
  // libc (a bin head's address read as a size keeps its low bits): the struct moves up 8 bytes
  // into the gap after the block's main_arena, main_arena itself 16.
  libc_.main_arena = reinterpret_cast<MallocState*>(reinterpret_cast<Addr>(libc.main_arena) +
                                                    struct_shift_of(profile));
  // Each object's extent in the release: what reset() clears and what counts as libc's data.
  const ReleaseLayout release = release_layout(profile);
  libc_.mp_bytes = release.mp_bytes;
  libc_.arena_skip = release.arena_skip;
  libc_.max_fast_bytes = release.max_fast_bytes;
  set_data_range(libc.lowest(), libc_.end());
  reset();
}

ReleaseLayout release_layout(const GlibcProfile& profile) {
  ReleaseLayout r;
  r.mp_bytes = MallocParLayout::of(profile.minor).bytes;
  r.arena_skip = Allocator::arena_offset_of(profile);
  r.main_arena_bytes = sizeof(MallocState) - r.arena_skip;
  r.max_fast_bytes = profile.global_max_fast_byte ? 1 : 8;
  r.tcache_entries = tcache_entries_offset_of(tcache_form_of(profile));
  return r;
}

uint64_t Allocator::arena_offset_of(const GlibcProfile& profile) {
  if (!profile.fastbins) return offsetof(MallocState, top) - 0x8;
  return profile.have_fastchunks_field ? 0 : 8;
}

void Allocator::reset() {
  arena_ = libc_.main_arena;
  // Each object, not what lies between them: in the drop-in that is other libc data.
  libc_.each(
      [](uint64_t at, uint64_t bytes) { std::memset(reinterpret_cast<void*>(at), 0, bytes); });
  // Static initialisers of main_arena and mp_ (malloc.c).
  av().next = main_arena();
  av().attached_threads = 1;
  for (uint64_t& w : mp_absent_) w = 0;
  const MallocParFields& p = mp();
  p.top_pad = 0x20000;                                // DEFAULT_TOP_PAD
  p.n_mmaps_max = 65536;                              // DEFAULT_MMAP_MAX
  p.mmap_threshold = 128 * 1024;                      // DEFAULT_MMAP_THRESHOLD
  p.trim_threshold = 128 * 1024;                      // DEFAULT_TRIM_THRESHOLD
  p.arena_test = 8;                                   // NARENAS_FROM_NCORES (1)
  p.tcache_count = profile_.tcache_fill_16 ? 16 : 7;  // TCACHE_FILL_COUNT
  p.tcache_bins = kTcacheMaxBins;  // tcache_small_bins from 2.42: TCACHE_SMALL_BINS
  // 2.42+: a chunk size, MAX_TCACHE_SMALL_SIZE + 1; before, the largest user size.
  p.tcache_max_bytes = profile_.tcache_large_bins ? tidx2csize(kTcacheMaxBins - 1) + 1
                                                  : tidx2usize(kTcacheMaxBins - 1);
  p.tcache_unsorted_limit = 0;
  if (!profile_.tcache) {  // 2.23's malloc_par has no tcache fields: the twin's stay 0
    p.tcache_count = p.tcache_bins = p.tcache_max_bytes = 0;
  }
  tcache_ = 0;
  set_loop_repeat(nullptr);  // a loop an abort or fault left is over
  arena_bit_ = 0;
  for (ThreadState& t : threads_) t = ThreadState{};
  thread_ = 0;
  single_thread_ = true;
  thread_arena_ = 0;
  tcache_shutting_down_ = false;
  narenas_ = 1;
  narenas_limit_ = 0;
  free_list_ = next_to_use_ = aligned_heap_area_ = 0;
  check_action_ = 3;
  arena_set_up_again_ = false;
  tcache_disabled_ = false;
  errno_ = 0;
  malloc_hook_pending_ = profile_.init_hooks;
  refresh_heap_range();
  if (profile_.malloc_init_at_startup) ptmalloc_init();  // 2.43: __libc_early_init's last call
}

void Allocator::refresh_heap_range() {
  uint64_t brk = memory_->sbrk(0);
  Addr base = mp().sbrk_base;
  if (base == 0 || brk == Memory::kFailure) {
    set_heap_range(0, 0);
  } else {
    // The inline fast path covers the heap only while all of it is mapped (a munmap of forged
    // mmapped chunk can punch holes into it; then every access asks the Memory).
    Addr hi = align_up(brk, profile_.page_size);
    bool whole = hi <= base || memory_->owns(base, hi - base);
    set_heap_range(base, whole ? hi : base);
  }
}

void Allocator::malloc_init_state() {
  for (uint32_t i = 1; i < kNBins; ++i) {
    ChunkAddr bin = bin_at(i);
    set_fd(bin, bin);
    set_bk(bin, bin);
  }
  // The main arena is contiguous (MORECORE_CONTIGUOUS); the others are not.
  if (arena_ != libc_.main_arena) arena_flags() |= kNonContiguousBit;
  if (profile_.fastbins) {
    if (arena_ == libc_.main_arena) libc_.set_max_fast(max_fast_for(128));  // DEFAULT_MXFAST
    set_have_fastchunks(false);
  }
  set_top(initial_top());
}

void Allocator::ptmalloc_init() {
  if (malloc_initialized()) return;
  malloc_initialized() = 1;
  thread_arena_ = main_arena();  // the thread that initialises malloc works in main_arena
  // tcache_key_initialize (2.34+): glibc reads getrandom(); any value a Program cannot guess
  // will do. Before, there is no key to draw (the tcache's address marks cached chunks).
  if (profile_.tcache_key_random) {
    tcache_key() = profile_.tcache_key != 0
                       ? profile_.tcache_key
                       : 0x9e3779b97f4a7c15ull ^ (reinterpret_cast<uint64_t>(libc_.mp) << 7);
  }
  if (!profile_.lazy_arena_init) malloc_init_state();  // else the first malloc_consolidate's
  if (!profile_.glibc_tunables) return;
  const GlibcTunables& t = profile_.tunables;
  const MallocParFields& p = mp();
  // TUNABLE_GET order of ptmalloc_init; each callback runs only for a tunable that was set.
  if (t.top_pad.set) {
    p.top_pad = t.top_pad.value;
    p.no_dyn_threshold = 1;
  }
  if (t.perturb.set) perturb_byte() = static_cast<int32_t>(t.perturb.value);
  if (t.mmap_threshold.set && mmap_threshold_allowed(t.mmap_threshold.value)) {
    p.mmap_threshold = t.mmap_threshold.value;
    p.no_dyn_threshold = 1;
  }
  if (t.trim_threshold.set) {
    p.trim_threshold = t.trim_threshold.value;
    p.no_dyn_threshold = 1;
  }
  if (t.mmap_max.set) {
    p.n_mmaps_max = static_cast<int32_t>(t.mmap_max.value);
    p.no_dyn_threshold = 1;
  }
  if (t.arena_max.set) p.arena_max = t.arena_max.value;
  if (t.arena_test.set) p.arena_test = t.arena_test.value;
  if (t.tcache_max.set && profile_.tcache_large_bins) {
    // 2.42 do_set_tcache_max: a request size whose chunk fits a bin, large ones included (below
    // 4 MiB); mp_.tcache_max_bytes is then a chunk size, and only a small bin moves
    // tcache_small_bins.
    const uint64_t nb = request2size(t.tcache_max.value);
    uint64_t tc_idx = csize2tidx(nb);
    if (tc_idx >= kTcacheMaxBins) tc_idx = large_csize2tidx(nb);
    if (t.tcache_max.value <= static_cast<uint64_t>(INT64_MAX) && tc_idx < kTcacheAllBins) {
      if (tc_idx < kTcacheMaxBins) p.tcache_bins = tc_idx + 1;
      p.tcache_max_bytes = nb + 1;
    }
  } else if (t.tcache_max.set && t.tcache_max.value <= tidx2usize(kTcacheMaxBins - 1)) {
    p.tcache_max_bytes = t.tcache_max.value;
    p.tcache_bins = csize2tidx(request2size(t.tcache_max.value)) + 1;
  }
  // MAX_TCACHE_COUNT: UINT16_MAX from 2.30, 127 (a char) before.
  const uint64_t max_count = profile_.tcache_wide_counts ? 0xffff : 127;
  if (t.tcache_count.set && t.tcache_count.value <= max_count)
    p.tcache_count = t.tcache_count.value;
  if (t.tcache_unsorted_limit.set && profile_.unsorted_stashes_exact_fits)
    p.tcache_unsorted_limit = t.tcache_unsorted_limit.value;
  if (t.mxfast.set && t.mxfast.value <= kMaxFastSize && profile_.fastbins) {
    libc_.set_max_fast(max_fast_for(t.mxfast.value, profile_.max_fast_never_zero));
  }
}

UserAddr Allocator::malloc(uint64_t bytes) {
  bool past_tcache = false;
  if (UserAddr e = malloc_hot_path(bytes, &past_tcache)) return e;  // tcache_hot_paths.h
  return past_tcache ? malloc_past_tcache(bytes) : malloc_past_hot_path(bytes);
}

UserAddr Allocator::malloc_past_hot_path(uint64_t bytes) {
  malloc_hook_pending_ = false;  // malloc_hook_ini's first call clears the hook
  if (!malloc_initialized()) ptmalloc_init();
  // Before 2.26 (TcacheForm::kNone) only _int_malloc refuses a request, and that is retried.
  if (tcache_form_ <= TcacheForm::kWideCounts) {
    const uint64_t tbytes = checked_request2size(bytes);
    if (tbytes == 0) {
      errno_ = ENOMEM;
      return 0;
    }
    const uint64_t tc_idx = csize2tidx(tbytes);
    if (tcache_ == 0) tcache_init();  // MAYBE_INIT_TCACHE
    if (tcache_has(tc_idx)) return tcache_get(tc_idx);
  } else if (tcache_form_ == TcacheForm::kSlotsLeft) {
    const uint64_t tbytes = checked_request2size(bytes);
    if (tbytes == 0) {
      errno_ = ENOMEM;
      return 0;
    }
    // 2.42 __libc_malloc: a chunk size under mp_.tcache_max_bytes, from its small bin's head,
    // or the exact fit of its large bin.
    const uint64_t tc_idx = csize2tidx(tbytes);
    if (tbytes < mp().tcache_max_bytes) {
      if (tc_idx < kTcacheMaxBins) {
        if (tcache_has_small(tc_idx)) return tcache_get(tc_idx);
      } else if (tcache_ != 0) {
        if (UserAddr victim = tcache_get_large(large_csize2tidx(tbytes), tbytes)) return victim;
      }
    }
  }
  return malloc_past_tcache(bytes);
}

UserAddr Allocator::malloc_past_tcache(uint64_t bytes) {
  if (__builtin_expect(!single_thread_, 0)) return malloc_threaded(bytes);
  UserAddr victim = int_malloc(bytes);
  if (victim == 0 && profile_.retry_in_other_arena && retries_in_main_arena()) {
    victim = int_malloc(bytes);
  }
  // assert (!victim || chunk_is_mmapped (mem2chunk (victim)) || &main_arena == arena_for_chunk
  // (...))
  if (victim != 0) {
    ChunkAddr p = mem2chunk(victim);
    uint64_t head = chunksize_nomask(p);
    if ((head & kIsMmapped) == 0 && (head & kNonMainArena) != 0) {
      Addr heap = heap_for_ptr(p);  // heap_info.ar_ptr at offset 0
      if (load(heap) != main_arena()) assert_failed(Assertion::kMallocArena);
    }
  }
  return victim;
}

bool Allocator::retries_in_main_arena() {
  // arena_get_retry -> arena_get2: no free arena, so a new one unless narenas_limit (arena_max,
  // when set) is 1, where reused_arena finds main_arena unlocked and hands it back.
  if (mp().arena_max != 1) {
    report_unmodelled(fatal_,
                      "glibc retries the failed allocation in a new arena and stays there "
                      "(arena_get_retry -> _int_new_arena); the twin has main_arena only");
  }
  return true;
}

void Allocator::free(UserAddr mem) {
  switch (free_hot_path(mem)) {  // tcache_hot_paths.h
    case FreeHot::kDone: return;
    case FreeHot::kMerge: return free_merge(mem);
    case FreeHot::kWhole: return free_past_hot_path(mem);
  }
}

void Allocator::free_merge(UserAddr mem) {
  const ChunkAddr p = mem2chunk(mem);
  int_free_merge_chunk(p, chunksize(p));
}

void Allocator::free_past_hot_path(UserAddr mem) {
  if (profile_.free_checks_after_tcache) return free_v242(mem);
  if (mem == 0) return;
  ChunkAddr p = mem2chunk(mem);
  if (chunk_is_mmapped(p)) {
    raise_mmap_threshold(p);
    munmap_chunk(p);
    return;
  }
  if (tcache_ == 0) tcache_init();
  if (!chunk_main_arena(p)) return int_free_in_arena_of(p);
  int_free(p);
}

// 2.42+ __libc_free: alignment, then the tcache (the key's double-free scan, a bin with room),
// the lazy tcache's first allocation (2.43 tcache_free_init, then free again), the size check,
// and _int_free_chunk: mmapped chunks unmapped, others merged and binned.
void Allocator::free_v242(UserAddr mem) {
  if (mem == 0) return;
  ChunkAddr p = mem2chunk(mem);
  const uint64_t size = chunksize(p);
  if (misaligned_chunk(p)) malloc_printerr(msg::kFreeInvalidPointer);
  if (size < mp().tcache_max_bytes) {
    UserAddr e = mem;
    if (tcache_key_of(e) == tcache_mark()) {
      tcache_double_free_verify(e);
      return;
    }
    // 2.42 "malloc: Improve csize2tidx": (size - MINSIZE) / MALLOC_ALIGNMENT, rounding a
    // forged unaligned size down (and a size under MINSIZE to a huge index).
    const uint64_t tc_idx = (size - kMinSize) / kMallocAlignment;
    if (tc_idx < 64) {
      if (tcache_ != 0 && tcache_room(tc_idx)) {
        tcache_put(p, tc_idx);
        return;
      }
    } else if (size >= kMinSize) {
      const uint64_t large_idx = large_csize2tidx(size);
      if (tcache_ != 0 && tcache_room(large_idx)) {
        tcache_put_large(p, large_idx);
        return;
      }
    }
    if (profile_.tcache_lazy && tcache_ == 0 && !tcache_disabled_) {
      tcache_init();
      free(mem);
      return;
    }
  }
  // INT_ADD_OVERFLOW ((uintptr_t) p, size - MINSIZE): also every size under MINSIZE.
  const uint64_t span = size - kMinSize;
  if (p.plus(span) < p) malloc_printerr(msg::kFreeInvalidSize);
  int_free_chunk(p, size);
}

// _int_free_chunk (2.42+): an mmapped chunk is unmapped (raising the dynamic threshold), any
// other merged with its free neighbours and binned.
void Allocator::int_free_chunk(ChunkAddr p, uint64_t size) {
  if (!chunk_main_arena(p)) {
    // __libc_free's arena_for_chunk (p), before _int_free_chunk looks at IS_MMAPPED.
    Addr heap = heap_for_ptr(p);
    Addr ar_ptr = load(heap);
    if (ar_ptr != main_arena()) {
      // arena_for_chunk.cc follows a forged arena as 2.36 lays it out; 2.43's is not modelled.
      report_unmodelled(fatal_,
                        "free into the arena a NON_MAIN_ARENA chunk's heap_info names "
                        "(2.43's malloc_state)");
    }
  }
  if (!chunk_is_mmapped(p)) {
    int_free_merge_chunk(p, size);
    return;
  }
  raise_mmap_threshold(p);
  munmap_chunk(p);
}

// The dynamic mmap threshold (glibc-facts.md): a freed mapping above the threshold raises it.
void Allocator::raise_mmap_threshold(ChunkAddr p) {
  uint64_t head = chunksize_nomask(p);
  if (!mp().no_dyn_threshold && head > mp().mmap_threshold && head <= kDefaultMmapThresholdMax) {
    mp().mmap_threshold = chunksize(p);
    mp().trim_threshold = 2 * mp().mmap_threshold;
  }
}

uint64_t Allocator::arena_name_offset(const GlibcProfile& profile) {
  return struct_shift_of(profile) + arena_offset_of(profile);
}

uint64_t Allocator::struct_shift_of(const GlibcProfile& profile) {
  return profile.have_fastchunks_field ? 0 : 8;
}

}  // namespace heaptwin::alloc
