// The per-thread cache (2.26+; 2.30+ form): 64 bins of up to tcache_count chunks, singly linked
// through the user data with `next` pointers (safe-linked from 2.32), and the key that marks a
// cached chunk so free can catch a double free.
#include <cstring>

#include "allocator/abort_messages.h"
#include "allocator/allocator.h"
#include "allocator/bins.h"
#include "allocator/dcheck.h"
#include "allocator/list_cycle.h"

namespace heaptwin::alloc {

void Allocator::tcache_init(bool in_int_malloc) {
  if (!profile_.tcache) return;  // before 2.26: no tcache ever
  if (profile_.tcache_lazy) {
    // 2.43: disabled first (no second attempt, no recursion from the _int_malloc below); the
    // struct's num_slots start at mp_.tcache_count.
    tcache_disabled_ = true;
    if (mp().tcache_count == 0) return;
    const uint64_t bytes = tcache_struct_size();
    // The struct is a block malloc'd from the arena: its address is the block's mem.
    const Addr victim =
        int_malloc(in_int_malloc && profile_.tcache_init_pads_twice ? request2size(bytes) : bytes)
            .raw();
    if (victim == 0) return;
    tcache_ = victim;
    tcache_disabled_ = false;
    std::memset(reinterpret_cast<void*>(victim), 0, bytes);
    for (uint64_t i = 0; i < kTcacheAllBins; ++i)
      reinterpret_cast<uint16_t*>(victim)[i] = static_cast<uint16_t>(mp().tcache_count);
    note_range(victim, bytes);
    return;
  }
  // glibc asks _int_malloc for sizeof (tcache_perthread_struct), and keeps trying on later calls
  // when that fails. A thread that shut its tcache down makes none again.
  if (tcache_shutting_down_) return;
  UserAddr victim;
  const bool through_arena_get = arenas_modelled() && (thread_arena_ != 0 || !single_thread_);
  if (through_arena_get) {
    // 2.36 tcache_init: in the thread's arena (arena_get), else another (arena_get_retry), even
    // single-threaded: the tcache then lives in a new arena. (A free before any malloc finds
    // the twin's main thread without a thread_arena; the glibc runner's has had main_arena
    // since long before the Program: main_arena, as the twin always did.)
    const uint64_t bytes = tcache_struct_size();
    Addr ar = arena_get(bytes);
    use_arena(ar);
    victim = int_malloc_in_av(bytes);
    if (victim == 0 && ar != 0) {
      ar = arena_get_retry(ar, bytes);
      use_arena(ar);
      victim = int_malloc_in_av(bytes);
    }
    leave_arena();
  } else {
    victim = int_malloc(tcache_struct_size());
  }
  if (victim == 0 && !through_arena_get) {
    // tcache_init has no single-thread shortcut: when main_arena fails it retries in a new arena
    // (above; found by the fuzzer under M_TOP_PAD -2^31), which the twin lays out for 2.35 ..
    // 2.41 only (arenas_modelled).
    report_unmodelled(fatal_,
                      "glibc retries the tcache's allocation in a new arena (tcache_init "
                      "-> arena_get_retry), in a release whose arenas the twin does not "
                      "lay out");
  }
  if (victim != 0) {
    tcache_ = victim.raw();
    std::memset(reinterpret_cast<void*>(tcache_), 0, tcache_struct_size());
    note_range(tcache_, tcache_struct_size());
  }
}

// tcache_put and tcache_get: allocator.h (inline).

UserAddr Allocator::tcache_get_n(uint64_t tc_idx, Addr link) {
  if (link == 0) return tcache_get(tc_idx);
  // From the middle of the list (2.38+): the link is a safe-linked next pointer.
  UserAddr e{protect(link, load(link))};
  if (list_misaligned(e)) malloc_printerr(msg::kUnalignedTcacheChunk);
  store(link, protect(link, tcache_next(e).raw()));
  add_tcache_count(tc_idx, -1);
  set_tcache_key_of(e, 0);
  return e;
}

void Allocator::tcache_double_free_scan(UserAddr e, uint64_t tc_idx) {
  // Only a chunk carrying the key is suspected; the scan confirms before aborting (the key may be
  // payload by a 2^-64 chance). From 2.33 the count bounds the walk; before, nothing but a cycle,
  // which is proven: the count is then no part of the walk's state.
  uint64_t cnt = 0;
  ListCycle cycle;  // before 2.33 the walk's state is its entry alone (it writes nothing)
  for (UserAddr tmp = tcache_head(tc_idx); tmp != 0; tmp = tcache_next(tmp), ++cnt) {
    if (!profile_.tcache_scan_counts && cycle.repeats(tmp.raw())) report_proven_hang(fatal_);
    if (profile_.tcache_scan_counts && cnt >= mp().tcache_count) {
      malloc_printerr(msg::kFreeTooManyTcache);
    }
    if (list_misaligned(tmp)) malloc_printerr(msg::kFreeUnalignedTcache2);
    if (tmp == e) malloc_printerr(msg::kFreeDoubleFreeTcache2);
  }
}

void Allocator::tcache_double_free_verify(UserAddr e) {
  for (uint64_t tc_idx = 0; tcache_ != 0 && tc_idx < kTcacheAllBins; ++tc_idx) {
    uint64_t cnt = 0, steps = 0;
    for (UserAddr tmp = tcache_head(tc_idx); tmp != 0; tmp = tcache_next(tmp), ++cnt) {
      guard_endless_loop(&steps);  // never reached: the count below ends every walk
      if (cnt >= mp().tcache_count) malloc_printerr(msg::kFreeTooManyTcache);
      if (!aligned_ok(tmp.raw())) malloc_printerr(msg::kFreeUnalignedTcache2);
      if (tmp == e) malloc_printerr(msg::kFreeDoubleFreeTcache2);
    }
  }
  // Not cached here: the key was payload. Cleared, and freed again.
  set_tcache_key_of(e, 0);
  free(e);
}

}  // namespace heaptwin::alloc
