// The twin of glibc 2.36's ptmalloc2 over a Memory: main_arena, and the non-main arenas and
// per-thread state of a deterministic schedule of threads (set_thread).
//
// The public functions are glibc's entry points (__libc_malloc, __libc_free, ...). The private
// ones are malloc.c's internal routines under glibc's names, each implemented in the file named
// for its concept (tcache.cc, fastbins.cc, unsorted_scan.cc, ...). Nothing here allocates, throws
// or has static constructors: the same code runs inside a preload library. Fatal conditions go to
// the FatalHandler, which does not return.
#ifndef HEAPTWIN_ALLOCATOR_ALLOCATOR_H_
#define HEAPTWIN_ALLOCATOR_ALLOCATOR_H_

#include <cstdint>

#include "allocator/abort_messages.h"
#include "allocator/arena_access.h"
#include "allocator/assertions.h"
#include "allocator/bins.h"
#include "allocator/chunk.h"
#include "allocator/dcheck.h"
#include "allocator/layout.h"
#include "allocator/libc_objects.h"
#include "allocator/profile.h"
#include "allocator/tcache_struct.h"

namespace heaptwin::alloc {

class Allocator : public ArenaAccess {
 public:
  // `data` is the twin's libc data block; it must stay owned by `memory` (memory->owns).
  Allocator(Memory* memory, LibcData* data, FatalHandler* fatal, const GlibcProfile& profile);
  // libc's malloc objects wherever they are (the drop-in: in the process's own libc).
  Allocator(Memory* memory, const LibcObjects& libc, FatalHandler* fatal,
            const GlibcProfile& profile);

  // Back to a fresh process's state: libc data as after static initialisation, no tcache. The
  // caller resets the memory itself.
  void reset();

  // glibc's public functions. errno is last_errno(); set to 0 by the caller's convention.
  // They take and return user addresses (chunk2mem of a chunk); NULL is UserAddr{} (== 0).
  UserAddr malloc(uint64_t bytes);  // __libc_malloc
  void free(UserAddr mem);          // __libc_free
  // The same calls without trying the hot paths below first: for a caller that has just tried
  // them (the drop-in).
  UserAddr malloc_past_hot_path(uint64_t bytes);
  void free_past_hot_path(UserAddr mem);
  // The paths nearly every call of a program takes, inline (tcache_hot_paths.h), for the
  // releases whose tcache counts are 16 bits wide (2.30 .. 2.41): malloc's tcache hit, and free's
  // put into a tcache bin with room or else a fastbin, each exactly as malloc and free take it
  // (which try them first). A miss (0, false) has changed nothing; the caller then makes the
  // whole call.
  // malloc's: a tcache hit, else 0 and *past_tcache when malloc has got past its tcache (the
  // hook cleared, the request sound, the bin empty): malloc_past_tcache (bytes) is the rest.
  // kLogged false: for a caller that knows no write log is set (logs_writes () false).
  template <bool kLogged = true>
  UserAddr malloc_hot_path(uint64_t bytes, bool* past_tcache);
  UserAddr malloc_past_tcache(uint64_t bytes);
  // What free's hot path did.
  enum class FreeHot : uint8_t {
    kDone,   // the chunk went into its tcache bin or its fastbin
    kMerge,  // nothing yet: the chunk passed every check before _int_free merges it with its
             // free neighbours, and free_merge (mem) is the rest of the call
    kWhole,  // nothing: the whole call (free_past_hot_path) is still to make
  };
  template <bool kLogged = true>
  FreeHot free_hot_path(UserAddr mem);
  void free_merge(UserAddr mem);  // _int_free_merge_chunk (mem2chunk (mem), its size)
  UserAddr calloc(uint64_t n, uint64_t elem_size);
  UserAddr realloc(UserAddr oldmem, uint64_t bytes);
  UserAddr memalign(uint64_t alignment, uint64_t bytes);
  UserAddr aligned_alloc(uint64_t alignment, uint64_t bytes);  // memalign's alias before 2.38
  int posix_memalign(UserAddr* memptr, uint64_t alignment, uint64_t size);  // 0, EINVAL, ENOMEM
  UserAddr valloc(uint64_t bytes);
  UserAddr pvalloc(uint64_t bytes);
  uint64_t malloc_usable_size(UserAddr mem);
  int mallopt(int param_number, int value);
  int malloc_trim(uint64_t pad);

  // A side that runs glibc with a time limit cannot say what glibc does with one memset of more
  // than `bytes` (it finishes, faults at the end of memory, or runs out of time, as fast as the
  // machine is): such an op is unmodelled. 0 (the default, and the drop-in's): no bound.
  void set_memset_budget(uint64_t bytes) { memset_budget_ = bytes; }

  // Threads (threads.cc). Thread 0 is the main thread; every call runs on the current thread,
  // with its own tcache and arena (glibc's thread-locals `tcache` and `thread_arena`). The first
  // switch to another thread makes the process multi-threaded for good, as pthread_create does
  // (SINGLE_THREAD_P false): calls then take their arena through arena_get, and a failed one
  // tries another (arena_get_retry). Until then nothing changes. Non-main arenas are modelled
  // as 2.35..2.41 lay them (arenas_modelled); other releases report unmodelled.
  static constexpr int kMaxThreads = 64;
  void set_thread(int t);
  int current_thread() const { return thread_; }
  // The running thread (not 0) ends: __malloc_arena_thread_freeres. Its tcache's chunks and the
  // tcache go back to their arenas, and an arena no thread uses joins the free list. The
  // thread's number may start a new thread later.
  void exit_thread();
  // glibc's thread_arena for the running thread (0 before its first call), and whether a thread
  // other than the main one ever ran.
  Addr thread_arena() const { return thread_arena_; }
  bool multi_threaded() const { return !single_thread_; }
  // Whether set_thread can follow threads in this release (its arenas are laid out).
  bool threads_modelled() const { return arenas_modelled(); }

  int last_errno() const { return errno_; }
  // Before 2.27: whether malloc_consolidate set the arena up again over live chunks (an
  // M_MXFAST of 1..7 stores global_max_fast 0): every bin emptied, top back at the initial top
  // inside main_arena. glibc then hands out libc's memory; no block or heap rule holds.
  bool arena_set_up_again() const { return arena_set_up_again_; }
  void clear_errno() { errno_ = 0; }

  // Where things are, for the heap view.
  const LibcObjects& libc() const { return libc_; }
  const MallocParFields& mp() const { return mp_; }  // mp_'s fields, as the release has them
  const GlibcProfile& profile() const { return profile_; }
  Addr tcache() const { return tcache_; }
  // Thread t's tcache struct, whether it runs or not (0 before its first call).
  Addr thread_tcache(int t) const;
  // glibc's &main_arena. From 2.43 malloc_state has no fastbinsY: the twin keeps 2.36's struct
  // and names main_arena 0x58 into it, where 2.43's fields from top on fall on 2.36's (top at
  // +0x8, bins at +0x18 ...); flags is then the high half of the unused fastbinsY[9]. Before
  // 2.27 (no have_fastchunks) main_arena is 8 into it: fastbinsY at +0x8, top at +0x58.
  Addr main_arena() const { return reinterpret_cast<Addr>(libc_.main_arena) + arena_offset_; }
  // main_arena() - LibcObjects::main_arena for `profile` (the release's overlay: 16 before 2.27,
  // 0x58 from 2.43): whoever lays the objects out (the twin side) puts main_arena() where the
  // release's libc has main_arena.
  static uint64_t arena_name_offset(const GlibcProfile& profile);
  friend ReleaseLayout release_layout(const GlibcProfile& profile);  // libc_objects.h

 private:
  uint64_t global_max_fast() const { return libc_.max_fast(); }  // one byte from 2.37
  int32_t& perturb_byte() const { return *libc_.perturb_byte; }
  uint8_t& malloc_initialized() const { return *libc_.malloc_initialized; }
  uint64_t& tcache_key() const { return *libc_.tcache_key; }

  [[noreturn]] void malloc_printerr(const char* message) const { report_abort(fatal_, message); }
  // The same for a check 2.23 has too: before 2.26 glibc names a pointer, and obeys
  // M_CHECK_ACTION (`action` for the one check that ignores it). printerr.cc.
  [[noreturn]] void malloc_printerr(const char* message, UserAddr ptr) {
    malloc_printerr(message, ptr.raw(), check_action_);
  }
  // 2.23's unlink names the chunk.
  [[noreturn]] void malloc_printerr(const char* message, ChunkAddr ptr) {
    malloc_printerr(message, ptr.raw(), check_action_);
  }
  [[noreturn]] void malloc_printerr(const char* message, Addr ptr, int action);
  // A failed malloc assertion, in the words of the profile's release.
  [[noreturn]] void assert_failed(Assertion a);
  // PROTECT_PTR / REVEAL_PTR of a tcache next or fastbin fd stored at `pos` (2.32+; before, the
  // pointer itself). Its own inverse.
  uint64_t protect(Addr pos, uint64_t ptr) const { return ((pos >> 12) & protect_mask_) ^ ptr; }
  // A list walk's alignment check (added with safe-linking, 2.32): never true before.
  template <typename Kind>
  bool list_misaligned(TypedAddr<Kind> e) const {
    return (e.raw() & list_align_mask_) != 0;
  }
  // REVEAL_PTR (p->fd) of a fastbin chunk, and p->fd = PROTECT_PTR (&p->fd, next).
  ChunkAddr fastbin_next(ChunkAddr p) const { return ChunkAddr{protect(fd_field(p), fd_word(p))}; }
  void set_fastbin_next(ChunkAddr p, ChunkAddr next) const {
    set_fd_word(p, protect(fd_field(p), next.raw()));
  }
  // REVEAL_PTR (e->next) of a tcache entry (a user address), and e->next = PROTECT_PTR (...).
  UserAddr tcache_next(UserAddr e) const {
    return UserAddr{protect(e.raw() + kTcacheEntryNext, load(e.raw() + kTcacheEntryNext))};
  }
  void set_tcache_next(UserAddr e, UserAddr next) const {
    store(e.raw() + kTcacheEntryNext, protect(e.raw() + kTcacheEntryNext, next.raw()));
  }
  // e->key, the word that marks a cached chunk.
  uint64_t tcache_key_of(UserAddr e) const { return load(e.raw() + kTcacheEntryKey); }
  void set_tcache_key_of(UserAddr e, uint64_t v) const { store(e.raw() + kTcacheEntryKey, v); }
  // What marks a chunk as cached: the random tcache_key (2.34+), before the tcache's address.
  // One load through tcache_mark_source_ (tcache_key, or the running thread's tcache_).
  uint64_t tcache_mark() const { return *tcache_mark_source_; }
  // Counts one step of a loop a corrupted heap can make endless; past 2^26 steps, reports the
  // hang glibc would be in.
  void guard_endless_loop(uint64_t* steps) const {
    if (++*steps > (uint64_t{1} << 26)) report_hang(fatal_);
  }

  // allocator.cc
  void ptmalloc_init();
  // Before 2.27, after a failed allocation in main_arena: whether glibc tries main_arena again
  // (M_ARENA_MAX 1); where it would make a new arena, the twin cannot follow (unmodelled).
  bool retries_in_main_arena();
  void malloc_init_state();
  void refresh_heap_range();

  // arena_offset_ for `profile`, and how far before 2.27 the struct moves up in the block.
  static uint64_t arena_offset_of(const GlibcProfile& profile);
  static uint64_t struct_shift_of(const GlibcProfile& profile);
  // tcache.cc. The running thread's tcache_perthread_struct, as the release lays it out
  // (tcache_struct.h).
  uint64_t tcache_struct_size() const { return tcache_struct_size_of(tcache_form_); }
  uint64_t* tcache_entry(uint64_t idx) const {
    return reinterpret_cast<uint64_t*>(tcache_ + tcache_entries_offset_) + idx;
  }
  UserAddr tcache_head(uint64_t idx) const { return UserAddr{*tcache_entry(idx)}; }
  void set_tcache_head(uint64_t idx, UserAddr e) const { *tcache_entry(idx) = e.raw(); }
  uint64_t tcache_count(uint64_t idx) const { return tcache_count_in(tcache_, tcache_form_, idx); }
  // Whether free (and stashing) may cache one more: 2.42+ while num_slots is not 0.
  bool tcache_room(uint64_t idx) const {
    if (tcache_form_ == TcacheForm::kSlotsLeft) {
      return reinterpret_cast<const uint16_t*>(tcache_)[idx] != 0;
    }
    return tcache_count(idx) < mp().tcache_count;
  }
  void add_tcache_count(uint64_t idx, int delta) const {
    add_tcache_count_in(tcache_, tcache_form_, idx, delta);
  }
  // __libc_malloc's test for a tcache hit before 2.42 (2.30+: by count; before: by the list's
  // head).
  bool tcache_has(uint64_t tc_idx) const {
    if (tc_idx >= mp().tcache_bins || tcache_ == 0) return false;
    return profile_.tcache_take_by_count ? tcache_count(tc_idx) > 0 : tcache_head(tc_idx) != 0;
  }
  // 2.42+: any small bin (TCACHE_SMALL_BINS, not mp_.tcache_bins) whose head is not NULL.
  bool tcache_has_small(uint64_t tc_idx) const {
    return tcache_ != 0 && tc_idx < 64 && tcache_head(tc_idx) != 0;
  }
  // `in_int_malloc`: 2.43's tcache_init (av) from inside _int_malloc, which asks for
  // request2size (760) bytes (a 0x310 chunk); else __libc_malloc2 (760) (a 0x300 chunk).
  void tcache_init(bool in_int_malloc = false);
  // 2.43: the struct is allocated on first need (tcache_inactive ()).
  void tcache_init_if_inactive() {
    if (tcache_ == 0 && !tcache_disabled_) tcache_init(true);
  }
  void tcache_put(ChunkAddr chunk, uint64_t tc_idx);
  UserAddr tcache_get(uint64_t tc_idx);
  template <bool kLogged>
  void hot_store(Addr a, uint64_t v) const;  // tcache_hot_paths.h
  // counts[idx] of the 16-bit form (TcacheForm::kWideCounts), for the hot paths.
  uint16_t& wide_tcache_count(uint64_t idx) const {
    return reinterpret_cast<uint16_t*>(tcache_)[idx];
  }
  // tcache_get_n (2.38+): the entry whose pointer is stored at `link` (0: the bin's head).
  UserAddr tcache_get_n(uint64_t tc_idx, Addr link);
  // free's double-free scan when the chunk carries the key (2.29+).
  void tcache_double_free_scan(UserAddr e, uint64_t tc_idx);
  // 2.42's tcache_double_free_verify: every bin scanned; a false alarm clears the key and
  // frees again.
  void tcache_double_free_verify(UserAddr e);
  // tcache_large.cc (2.42+): the 12 large bins, sorted by chunk size, smallest first. The first
  // entry of at least nb bytes (0: none); *link: where its pointer is stored (0: the head).
  UserAddr tcache_location_large(uint64_t nb, uint64_t tc_idx, Addr* link);
  void tcache_put_large(ChunkAddr chunk, uint64_t tc_idx);
  UserAddr tcache_get_large(uint64_t tc_idx, uint64_t nb);         // the first fit only when exact
  void tcache_put_n(ChunkAddr chunk, uint64_t tc_idx, Addr link);  // at `link` (0: the head)
  // allocator.cc: 2.42's __libc_free and _int_free_chunk.
  void free_v242(UserAddr mem);
  void int_free_chunk(ChunkAddr p, uint64_t size);
  void raise_mmap_threshold(ChunkAddr p);

  // int_malloc.cc: the request path, trying each source in glibc's order. av must be an arena;
  // where arena_get may have found none, int_malloc_in_av.
  UserAddr int_malloc(uint64_t bytes);
  // _int_malloc (NULL, bytes): no arena to be had (arena_get2 made none): a mapping or nothing.
  UserAddr int_malloc_without_arena(uint64_t bytes);
  UserAddr int_malloc_in_av(uint64_t bytes) {
    return arena_ == nullptr ? int_malloc_without_arena(bytes) : int_malloc(bytes);
  }
  UserAddr int_malloc_paths(uint64_t bytes, uint64_t nb);
  bool returned_cached_ = false;  // the unsorted scan handed out a tcache chunk (no perturb)
  // fastbins.cc: a fastbin hit (stashing the rest of the bin into tcache), else 0.
  UserAddr fastbin_take(uint64_t nb);
  // small_bins.cc: a smallbin hit (stashing), else 0.
  UserAddr smallbin_take(uint64_t nb);
  // unsorted_scan.cc: one pass over the unsorted bin. Returns the user pointer to hand out or 0.
  struct UnsortedScan {
    uint64_t tcache_nb = 0;
    uint64_t tc_idx = 0;
    bool return_cached = false;
    uint64_t tcache_unsorted_count = 0;
  };
  UserAddr unsorted_scan(uint64_t nb, UnsortedScan* scan);
  void unsorted_chunk_checks(ChunkAddr victim, ChunkAddr bck, uint64_t size);
  // large_bins.cc
  void large_bin_insert(ChunkAddr victim, uint64_t size, ChunkAddr* bck, ChunkAddr* fwd,
                        uint32_t victim_index);
  UserAddr large_bin_best_fit(uint64_t nb, uint32_t idx);
  // bin_search.cc: the binmap scan for the smallest non-empty bin above idx.
  UserAddr binmap_search(uint64_t nb, uint32_t idx, bool* found);
  // Splits `victim` (already unlinked) to nb, putting a remainder of at least MINSIZE into the
  // unsorted bin (with `message` if that bin is corrupted).
  UserAddr split_to_unsorted(ChunkAddr victim, uint64_t size, uint64_t nb, const char* message,
                             bool set_last_remainder);
  // The end of each split: a large remainder's nextsize cleared, both heads, its foot; victim's
  // mem.
  UserAddr finish_split(ChunkAddr victim, uint64_t nb, ChunkAddr remainder,
                        uint64_t remainder_size);
  void unlink_chunk(ChunkAddr p);  // unlink.cc

  // An mmapped chunk's offset in its mapping (prev_size; 2.43: without the huge-page bit) and
  // the mapping's length (2.43: offset + size + CHUNK_HDR_SZ).
  static constexpr uint64_t kMmapHugePage = 0x1;  // MMAP_HP
  uint64_t mmap_base_offset(ChunkAddr p) const {
    return profile_.mmap_chunk_offset ? prev_size(p) & ~kMmapHugePage : prev_size(p);
  }
  uint64_t mmap_size(ChunkAddr p) const {
    return mmap_base_offset(p) + chunksize(p) + (profile_.mmap_chunk_offset ? kChunkHdrSz : 0);
  }
  // sysmalloc.cc
  UserAddr sysmalloc(uint64_t nb);
  void sysmalloc_main(uint64_t nb, ChunkAddr old_top, uint64_t old_size);
  // The mapped chunk's mem, or kMmapFailed.
  UserAddr sysmalloc_mmap(uint64_t nb);
  static constexpr UserAddr kMmapFailed{Memory::kFailure};
  uint64_t sysmalloc_mmap_fallback(int64_t* size, uint64_t nb, uint64_t old_size);
  // systrim.cc
  int systrim(uint64_t pad);
  void munmap_chunk(ChunkAddr p);

  // realloc.cc
  UserAddr int_realloc(ChunkAddr oldp, uint64_t oldsize, uint64_t nb);
  UserAddr realloc_v243(UserAddr oldmem, uint64_t bytes);
  void free_in_malloc(ChunkAddr p);
  // checked_request2size as the release has it: 0 for a request it refuses.
  uint64_t checked_request2size(uint64_t req) const {
    return checked_request2size_in(profile_.request_limit_ptrdiff, profile_.request_overflow_checks,
                                   req);
  }
  // tuning.cc: the usable bytes of an allocated block (0 when the chunk looks free).
  uint64_t musable(UserAddr mem) const;
  ChunkAddr mremap_chunk(ChunkAddr p, uint64_t new_size);
  // memalign.cc
  UserAddr mid_memalign(uint64_t alignment, uint64_t bytes);
  UserAddr int_memalign(uint64_t alignment, uint64_t bytes);
  UserAddr aligned_from_tcache(uint64_t alignment, uint64_t bytes, bool* failed);
  UserAddr int_memalign_v243(uint64_t alignment, uint64_t bytes);
  UserAddr tcache_get_align(uint64_t nb, uint64_t alignment);
  void give_back_tail(ChunkAddr p, uint64_t nb);
  // tuning.cc (mallopt, malloc_trim)
  int mtrim(uint64_t pad);
  // do_set_mmap_threshold's bound: before 2.35 nothing above HEAP_MAX_SIZE / 2.
  bool mmap_threshold_allowed(uint64_t v) const {
    return profile_.mmap_threshold_unbounded || v <= kHeapMaxSize / 2;
  }

  // calloc.cc: 2.41's clearing of clearsize bytes at mem.
  void clear_memory(UserAddr mem, uint64_t clearsize);

  // M_PERTURB: fill on allocation (perturb ^ 0xff) and on free (perturb).
  void perturb_fill(Addr p, uint64_t n, int byte) const;
  // Before glibc's memset of [p, p + n): the fault it takes where that is not all owned, and
  // unmodelled past the memset budget.
  void before_memset(Addr p, uint64_t n) const;
  [[noreturn]] void memset_fault(Addr p, uint64_t n) const;
  // The first address from p on that the allocator does not own.
  Addr first_unowned(Addr p) const;
  void alloc_perturb(UserAddr p, uint64_t n) const {
    if (perturb_byte()) perturb_fill(p.raw(), n, perturb_byte() ^ 0xff);
  }
  void free_perturb(UserAddr p, uint64_t n) const {
    if (perturb_byte()) perturb_fill(p.raw(), n, perturb_byte());
  }

  // free.cc. have_lock: called from inside malloc (realloc, memalign, sysmalloc), which enables
  // glibc's "invalid fastbin entry (free)" check.
  void int_free(ChunkAddr p, bool have_lock = false);
  void int_free_merge_chunk(ChunkAddr p, uint64_t size);
  uint64_t int_free_create_chunk(ChunkAddr p, uint64_t size, ChunkAddr nextchunk,
                                 uint64_t nextsize);
  void int_free_maybe_consolidate(uint64_t size);
  // consolidate.cc
  void malloc_consolidate();
  // arena.cc: the arenas besides main_arena (arena.c), named by glibc's address, laid out as
  // 2.35 .. 2.41 lay them (a 0x30-byte heap_info with `pagesize`); the tests hold 2.36's facts.
  // Fixed by the profile: read on every calloc and realloc, so kept (arenas_modelled_).
  bool arenas_modelled() const { return arenas_modelled_; }
  static bool arenas_modelled_in(const GlibcProfile& profile);
  // av = `ar` for the running call (0: none, _int_malloc's av == NULL).
  void use_arena(Addr ar) {
    arena_ = ar == 0 ? nullptr : reinterpret_cast<MallocState*>(ar - arena_offset_);
    arena_bit_ = ar == 0 || ar == main_arena() ? 0 : kNonMainArena;
  }
  // av back to main_arena, the writes into a non-main arena's malloc_state noted.
  void leave_arena();
  Addr arena_get(uint64_t size);
  Addr arena_get2(uint64_t size, Addr avoid_arena);
  Addr arena_get_retry(Addr ar_ptr, uint64_t bytes);
  Addr get_free_list();
  Addr reused_arena(Addr avoid_arena);
  void remove_from_free_list(Addr arena);
  void detach_arena(Addr replaced_arena);
  Addr int_new_arena(uint64_t size);
  // arena_for_chunk (mem2chunk (mem)) == ar_ptr for a block from that arena (glibc's asserts
  // after each allocation), else the assertion `a` fails; an mmapped or no block passes.
  void check_arena_of(UserAddr mem, Addr ar_ptr, Assertion a);  // below: calloc runs it each call
  // An owned malloc_state's field, read and written through the checks (a list may be forged).
  Addr arena_field(Addr ar, uint64_t offset) const { return load(ar + offset); }
  void set_arena_field(Addr ar, uint64_t offset, uint64_t v) const { store(ar + offset, v); }
  // The public calls of a multi-threaded process: the arena from arena_get, one retry.
  UserAddr malloc_threaded(uint64_t bytes);
  UserAddr memalign_threaded(uint64_t alignment, uint64_t bytes);
  // heap.cc: the heaps of non-main arenas.
  static Addr heap_for_ptr(Addr p) { return p & ~(kHeapMaxSize - 1); }
  static Addr heap_for_ptr(ChunkAddr p) { return heap_for_ptr(p.raw()); }
  Addr new_heap(uint64_t size, uint64_t top_pad);
  bool grow_heap(Addr h, int64_t diff);
  bool shrink_heap(Addr h, int64_t diff);
  void delete_heap(Addr h);
  int heap_trim(Addr heap, uint64_t pad);
  // sysmalloc's non-main-arena path: grow top's heap, else a new heap, else a mapping (which it
  // returns; else 0 and top has grown or not).
  UserAddr sysmalloc_heaps(uint64_t nb, bool tried_mmap);
  // threads.cc
  void tcache_thread_shutdown();

  // arena_for_chunk.cc: free of a chunk whose size has NON_MAIN_ARENA.
  void int_free_in_arena_of(ChunkAddr p);
  // int_free past the tcache of a chunk of `size` at p, where glibc first reads the arena: a
  // fault where that read lands outside memory, else the twin cannot follow (arena_ nullptr).
  [[noreturn]] void arena_unreadable(ChunkAddr p, uint64_t size) const;

  LibcObjects libc_;
  uint64_t mp_absent_[5];  // mp_'s fields the release lacks (bound by mp_: never copy an Allocator)
  MallocParFields mp_;
  Addr named_arena_ = 0;  // the arena int_free_in_arena_of follows, whether owned or not
  GlibcProfile profile_;
  LoopRepeat loop_repeat_;  // malloc_consolidate's proof of a loop that never ends
  Addr tcache_ = 0;         // glibc's thread-local `tcache` (the running thread's)
  // The other threads' thread-locals while they do not run (threads.cc).
  struct ThreadState {
    Addr arena = 0;
    Addr tcache = 0;
    bool tcache_disabled = false;
    bool tcache_shutting_down = false;
  };
  ThreadState threads_[kMaxThreads];
  int thread_ = 0;
  bool single_thread_ = true;          // SINGLE_THREAD_P
  Addr thread_arena_ = 0;              // glibc's thread_arena
  bool tcache_shutting_down_ = false;  // set by tcache_thread_shutdown: no tcache again
  // arena.c's statics.
  uint64_t narenas_ = 1;
  uint64_t narenas_limit_ = 0;
  Addr free_list_ = 0;
  Addr next_to_use_ = 0;
  Addr aligned_heap_area_ = 0;
  int errno_ = 0;
  bool malloc_hook_pending_ = false;
  int check_action_ = 3;  // M_CHECK_ACTION before 2.26 (DEFAULT_CHECK_ACTION)
  bool arena_set_up_again_ = false;
  uint64_t memset_budget_ = 0;  // set_memset_budget
  char error_text_[448];        // malloc_printerr's "*** Error in" message before 2.26
  // Derived from the profile once (the tcache and safe-linking paths are the hottest).
  uint64_t protect_mask_ = ~uint64_t{0};         // PROTECT_PTR's pos >> 12, or nothing before 2.32
  uint64_t list_align_mask_ = kMallocAlignMask;  // list walks' alignment check, none before 2.32
  TcacheForm tcache_form_ = TcacheForm::kWideCounts;
  uint64_t tcache_entries_offset_ = 0x80;  // entries[] in tcache_perthread_struct
  // The hot paths apply: 16-bit counts taken by count, free's checks before the tcache (before
  // 2.42), the tcache made by the first call (before 2.43).
  bool tcache_hot_ = false;
  bool arenas_modelled_ = false;  // arenas_modelled_in (profile_)
  // Where tcache_mark () reads: libc's tcache_key (2.34+) or tcache_ (bound by the pointer: never
  // copy an Allocator, as for mp_).
  const uint64_t* tcache_mark_source_ = &tcache_;
  bool tcache_disabled_ = false;  // 2.43: tcache_init failed or tcache_count 0
  char assert_text_[384];         // assert_failed's message (glibc's is as long as the expression)
};

inline void Allocator::check_arena_of(UserAddr mem, Addr ar_ptr, Assertion a) {
  if (mem == 0) return;
  const ChunkAddr p = mem2chunk(mem);
  const uint64_t head = chunksize_nomask(p);
  if ((head & kIsMmapped) != 0) return;
  const Addr owner = (head & kNonMainArena) != 0 ? load(heap_for_ptr(p)) : main_arena();
  if (owner != ar_ptr) assert_failed(a);
}

}  // namespace heaptwin::alloc

// The inline hot paths, which need the whole class.
#include "allocator/tcache_hot_paths.h"  // IWYU pragma: export

#endif  // HEAPTWIN_ALLOCATOR_ALLOCATOR_H_
