/* What the runner's child reports about glibc's malloc state after an op: the thread's tcache
 * pointer, the arena's digest, a copy of the state (copied snapshots), and the pinning of
 * tcache_key. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "oracle/glibc/runner_internal.h"
#include "oracle/read_arena_heaps.h"

uint64_t runner_tcache_pointer(void) {
  if (request.errno_tls == 0 && request.tcache_tls == 0) return 0;
  char* tls_errno = (char*)__errno_location();
  uint64_t value;
  memcpy(&value, tls_errno - request.errno_tls + request.tcache_tls, sizeof value);
  return value;
}

/* Where the tcache struct is: malloc's own TLS pointer when known, else where the first malloc
 * of a process puts it (the parent's heap view assumes the same: glibc_snapshots.cc). */
static uint64_t tcache_for(const struct RunnerRecord* r) {
  if (request.tcache_tls != 0) return r->tcache;
  return r->heap_end > heap_base ? heap_base + 0x10 : 0;
}

uint64_t runner_top(uint64_t heap_end) {
  uint64_t top;
  memcpy(&top, (const void*)(uintptr_t)(request.arena + request.layout.top), sizeof top);
  return top >= heap_base && top < heap_end ? top : heap_base;
}

/* ArenaWhere.probe: other arenas' memory, read where a Program may have forged the pointers
 * that lead there. Every page of the range is probed (a heap is readable from its start up). */
static int probe_readable(void* ctx, uint64_t addr, uint64_t n) {
  (void)ctx;
  uint64_t word;
  for (uint64_t page = addr & ~(uint64_t)4095; page < addr + n; page += 4096) {
    if (!runner_probe_word(page > addr ? page : addr & ~(uint64_t)7, &word)) return 0;
  }
  return runner_probe_word((addr + n - 1) & ~(uint64_t)7, &word);
}

uint64_t runner_digest(const struct RunnerRecord* r, struct ArenaDigestPace* pace) {
  struct ArenaWhere where;
  where.probe = probe_readable;
  where.probe_ctx = NULL;
  where.heap_block_only = 0;
  where.heap_base = heap_base;
  where.heap_end = r->heap_end;
  where.arena = request.arena;
  where.mp = request.mp;
  where.global_max_fast = request.global_max_fast;
  where.tcache = tcache_for(r);
  uint64_t tcaches[ARENA_MAX_THREADS];
  where.threads = runner_thread_tcaches(tcaches);
  where.thread_tcaches = tcaches;
  return arena_digest_here_paced(&request.layout, &where, pace);
}

/* See RunnerRequest.tcache_key. Entries' next pointers are safe-linked from 2.32 on; the
 * chunks come from the op that initialised malloc, so their lists are intact. */
void runner_pin_tcache_key(void) {
  uint64_t* key = (uint64_t*)(uintptr_t)request.tcache_key;
  uint64_t old = *key;
  if (old == 0) return; /* malloc not initialised yet */
  *key = request.tcache_key_value;
  uint64_t tcache = runner_tcache_pointer();
  if (tcache == 0) return;
  const struct ArenaLayout* l = &request.layout;
  const uint16_t* counts = (const uint16_t*)(uintptr_t)tcache;
  const uint64_t* entries = (const uint64_t*)(uintptr_t)(tcache + l->tcache_entries);
  const int bins = l->tcache_bins ? (int)l->tcache_bins : 64;
  for (int bin = 0; bin < bins; ++bin) {
    uint64_t e = entries[bin];
    /* 2.42+ counts down (num_slots): the list holds at most UINT16_MAX. */
    const uint16_t cap = l->tcache_num_slots ? 0xffff : counts[bin];
    for (uint16_t n = 0; e != 0 && n < cap; ++n) {
      uint64_t* entry = (uint64_t*)(uintptr_t)e;
      if (entry[1] == old) entry[1] = request.tcache_key_value;
      e = (e >> 12) ^ entry[0];
    }
  }
}

/* ---- copied snapshots ---------------------------------------------------------------------- */

/* The highest top header of this Program so far (its end): every chunk that ever existed lies
 * below it (chunks are carved from top), so a snapshot reads no further, not even a stale bin
 * entry that top has swallowed since; above it is top's untouched interior, most of a young
 * heap. Reset at the Program's first op (index 0). */
static uint64_t top_high;
static uint64_t state_head;     /* where the next state goes (virtual position) */
static uint64_t state_data_end; /* the end of the last state written */

struct StateRoom {
  uint64_t at, need;
};

/* Whether the entry [at, at + need) overwrites nothing the parent has not released. */
static int state_fits(void* ctx) {
  const struct StateRoom* room = ctx;
  uint64_t released = __atomic_load_n(&shared->control.state_released, __ATOMIC_ACQUIRE);
  return released >= state_data_end || room->at + room->need <= released + RUNNER_STATE_BYTES;
}

/* Room for `need` bytes in the state ring, contiguous: its position, or RUNNER_NO_STATE. */
static uint64_t state_alloc(uint64_t need) {
  if (need > RUNNER_STATE_BYTES) return RUNNER_NO_STATE;
  struct StateRoom room;
  room.at = state_head;
  uint64_t offset = room.at % RUNNER_STATE_BYTES;
  if (offset + need > RUNNER_STATE_BYTES) room.at += RUNNER_STATE_BYTES - offset;
  room.need = need;
  if (!state_fits(&room)) {
    runner_publish();
    runner_child_wait(state_fits, &room);
  }
  state_head = state_data_end = room.at + need;
  shared->control.state_head = state_head;
  return room.at;
}

static int read_probed(void* ctx, uint64_t address, uint64_t* out) {
  (void)ctx;
  return runner_probe_word(address, out);
}

void runner_copy_state(struct RunnerRecord* r, int first_op) {
  if (first_op) {
    top_high = 0;
    /* Each Program's states start at the ring's beginning, on pages already faulted in (a
     * fresh page of the memfd costs a fault). Whatever a dead child left there is released:
     * the parent reads every record up to RUNNER_END before it sends the next Program. */
    state_data_end = shared->control.state_head;
    state_head =
        (state_data_end + RUNNER_STATE_BYTES - 1) / RUNNER_STATE_BYTES * RUNNER_STATE_BYTES;
  }
  uint64_t heap_len = r->heap_end - heap_base;
  uint64_t top;
  memcpy(&top, (const void*)(uintptr_t)(request.arena + request.layout.top), sizeof top);
  if (top >= heap_base && top + 0x10 <= r->heap_end) { /* else (a forged top) all of it */
    if (top + 0x10 > top_high) top_high = top + 0x10;
    if (top_high - heap_base < heap_len) heap_len = top_high - heap_base;
  }
  int tcache_apart = runner_tcache_outside_heap(r->tcache, heap_base, r->heap_end);
  struct RunnerState header;
  header.arena_bytes = request.layout.arena_bytes;
  header.mp_bytes = request.layout.mp_bytes;
  header.heap_bytes = heap_len;
  header.tcache_apart = (uint32_t)tcache_apart;
  /* The threads' heaps (none without threads: main_arena's list holds only itself). */
  struct ArenaHeapRange heaps[RUNNER_MAX_HEAP_COPIES];
  header.other_heaps =
      (uint32_t)arena_heap_ranges(read_probed, NULL, request.arena, request.layout.binmap + 16,
                                  request.layout.top, heaps, RUNNER_MAX_HEAP_COPIES);
  /* The other threads' tcaches (none without threads), each struct copied where readable. */
  uint64_t tcaches[ARENA_MAX_THREADS];
  header.threads = runner_thread_tcaches(tcaches);
  header.pad = 0;
  struct RunnerThreadTcache thread_tcache[ARENA_MAX_THREADS];
  uint64_t need = sizeof header + header.arena_bytes + header.mp_bytes + 8 + heap_len +
                  (tcache_apart ? RUNNER_TCACHE_BYTES : 0);
  const struct ArenaLayout* l = &request.layout;
  const uint64_t tcache_bytes =
      l->tcache_entries + 8 * (uint64_t)(l->tcache_bins ? l->tcache_bins : 64);
  for (uint32_t t = 1; t < ARENA_MAX_THREADS; ++t) {
    if (!(header.threads >> t & 1)) continue;
    thread_tcache[t].tcache = tcaches[t];
    thread_tcache[t].copied = tcaches[t] != 0 && tcache_bytes <= RUNNER_TCACHE_BYTES &&
                                      probe_readable(NULL, tcaches[t], tcache_bytes)
                                  ? tcache_bytes
                                  : 0;
    need += sizeof thread_tcache[t] + thread_tcache[t].copied;
  }
  uint64_t copied = 0;
  for (uint32_t i = 0; i < header.other_heaps; ++i) {
    if (copied + heaps[i].bytes > RUNNER_MAX_HEAP_COPY_BYTES) {
      header.other_heaps = i;
      break;
    }
    copied += heaps[i].bytes;
    need += sizeof heaps[i] + heaps[i].bytes;
  }
  header.bytes = (need + 15) & ~(uint64_t)15;
  r->state = state_alloc(header.bytes);
  if (r->state == RUNNER_NO_STATE) return;
  unsigned char* at = shared->state + r->state % RUNNER_STATE_BYTES;
  memcpy(at, &header, sizeof header);
  at += sizeof header;
  memcpy(at, (const void*)(uintptr_t)request.arena, header.arena_bytes);
  at += header.arena_bytes;
  memcpy(at, (const void*)(uintptr_t)request.mp, header.mp_bytes);
  at += header.mp_bytes;
  memcpy(at, (const void*)(uintptr_t)request.global_max_fast, 8);
  at += 8;
  memcpy(at, (const void*)(uintptr_t)heap_base, heap_len);
  at += heap_len;
  if (tcache_apart) {
    memcpy(at, (const void*)(uintptr_t)r->tcache, RUNNER_TCACHE_BYTES);
    at += RUNNER_TCACHE_BYTES;
  }
  for (uint32_t i = 0; i < header.other_heaps; ++i) {
    memcpy(at, &heaps[i], sizeof heaps[i]);
    at += sizeof heaps[i];
    memcpy(at, (const void*)(uintptr_t)heaps[i].start, heaps[i].bytes);
    at += heaps[i].bytes;
  }
  for (uint32_t t = 1; t < ARENA_MAX_THREADS; ++t) {
    if (!(header.threads >> t & 1)) continue;
    memcpy(at, &thread_tcache[t], sizeof thread_tcache[t]);
    at += sizeof thread_tcache[t];
    memcpy(at, (const void*)(uintptr_t)tcaches[t], thread_tcache[t].copied);
    at += thread_tcache[t].copied;
  }
}
