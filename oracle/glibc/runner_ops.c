/* One op of a Program in the runner's child: the malloc-family call with the Program's slots,
 * and the slot array itself. */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "oracle/glibc/runner_internal.h"

/* The slot array lives far from both the heap and where glibc's mmapped chunks go (top-down
 * below the libraries), so its size never moves a mapping a Program can see. */
#define SLOTS_ADDRESS_HINT 0x100000000000ull

static uint64_t* slots;
static uint64_t slots_bytes;

int runner_prepare_slots(uint32_t count) {
  uint64_t need = (uint64_t)count * sizeof *slots;
  if (need > slots_bytes) {
    if (slots != NULL) munmap(slots, slots_bytes);
    uint64_t bytes = (need + need / 2 + 0xffff) & ~(uint64_t)0xffff;
    void* map = mmap((void*)SLOTS_ADDRESS_HINT, bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    slots = map == MAP_FAILED ? NULL : (uint64_t*)map;
    slots_bytes = slots == NULL ? 0 : bytes;
    /* A copy where runner_child_intact() can compare it after a Program that wrote memory. */
    shared->control.slots_start = (uint64_t)(uintptr_t)slots;
    shared->control.slots_end = (uint64_t)(uintptr_t)slots + slots_bytes;
    if (slots == NULL) return 0;
  }
  /* Every slot starts NULL, and glibc holds nothing yet. */
  if (slots != NULL) memset(slots, 0, need);
  runner_live_begin();
  return 1;
}

void runner_slots_mapping(uint64_t* start, uint64_t* end) {
  *start = (uint64_t)(uintptr_t)slots;
  *end = *start + slots_bytes;
}

static uint64_t address_of(uint8_t kind, uint32_t slot, int64_t delta, uint64_t literal) {
  switch (kind) {
    case RUNNER_VALUE_SLOT: return slots[slot] + (uint64_t)delta;
    case RUNNER_VALUE_HEAP: return heap_base + (uint64_t)delta;
    default: return literal;
  }
}

static uint64_t resolve_value(const struct RunnerOp* op) {
  if (op->value_kind != RUNNER_VALUE_PROTECT) {
    return address_of(op->value_kind, op->value_slot, op->value_delta, op->value_literal);
  }
  uint64_t pos =
      (op->value_pos_is_heap ? heap_base : slots[op->value_slot]) + (uint64_t)op->value_delta;
  uint64_t target = address_of(op->value_target_kind, op->value_target_slot, op->value_target_delta,
                               op->value_target_literal);
  return (pos >> 12) ^ target;
}

/* An mmapped chunk reports its mapping's length (prev_size holds the leader that memalign gave
 * back): the chunk size alone depends on where the kernel put the mapping, the length does not. */
static uint64_t reported_chunk_size(const void* p) {
  uint64_t size;
  memcpy(&size, (const char*)p - 8, sizeof size);
  if (size & 2) {
    uint64_t lead;
    memcpy(&lead, (const char*)p - 16, sizeof lead);
    size = ((size & ~(uint64_t)7) + lead) | (size & 7);
  }
  return size;
}

/* The allocating ops; 0 for the others. */
static int run_allocating(const struct RunnerOp* op, struct RunnerRecord* r) {
  void* p = NULL;
  switch (op->kind) {
    case RUNNER_MALLOC: p = malloc(op->a); break;
    case RUNNER_CALLOC: p = calloc(op->a, op->b); break;
    case RUNNER_REALLOC: p = realloc((void*)(uintptr_t)slots[op->src], op->a); break;
    case RUNNER_MEMALIGN: p = memalign(op->a, op->b); break;
    case RUNNER_ALIGNED_ALLOC: p = aligned_alloc(op->a, op->b); break;
    case RUNNER_POSIX_MEMALIGN: {
      int e = posix_memalign(&p, op->a, op->b);
      if (e != 0) p = NULL;
      r->value = (uint64_t)e;
      r->error = e;
      break;
    }
    case RUNNER_VALLOC: p = valloc(op->a); break;
    case RUNNER_PVALLOC: p = pvalloc(op->a); break;
    default: return 0;
  }
  if (op->kind != RUNNER_POSIX_MEMALIGN) r->error = errno;
  r->pointer = (uint64_t)(uintptr_t)p;
  if (p != NULL) r->chunk_size = reported_chunk_size(p);
  /* realloc takes its block back when it moves it, and when asked for 0 bytes (it frees). */
  if (op->kind == RUNNER_REALLOC && (p != NULL || op->a == 0)) runner_live_remove(slots[op->src]);
  runner_live_add(r->pointer);
  slots[op->dst] = (uint64_t)(uintptr_t)p;
  return 1;
}

/* Whether `op` may touch memory glibc does not keep: where runner_brk.c keeps pages a fresh
 * process would fault on, the kernel's break must be glibc's first. A pointer handed to free,
 * realloc or malloc_usable_size that glibc does not hold (dangling, or read from memory) sends
 * it along stale sizes and links (runner_live.c). */
static int may_touch_unkept(const struct RunnerOp* op) {
  switch (op->kind) {
    case RUNNER_WRITE8: return 1;
    case RUNNER_READ8: return runner_brk_kept(slots[op->src] + (uint64_t)op->offset, 8);
    case RUNNER_FREE:
    case RUNNER_REALLOC:
    case RUNNER_USABLE_SIZE: return slots[op->src] != 0 && !runner_live_has(slots[op->src]);
    default: return 0;
  }
}

void runner_run_op(const struct RunnerOp* op, struct RunnerRecord* r) {
  if (may_touch_unkept(op)) runner_brk_exact();
  errno = 0;
  if (run_allocating(op, r)) return;
  switch (op->kind) {
    case RUNNER_FREE:
      free((void*)(uintptr_t)slots[op->src]);
      runner_live_remove(slots[op->src]);
      break;
    case RUNNER_USABLE_SIZE: r->value = malloc_usable_size((void*)(uintptr_t)slots[op->src]); break;
    case RUNNER_WRITE8: {
      uint64_t value = resolve_value(op);
      volatile uint64_t* at =
          (volatile uint64_t*)(uintptr_t)(slots[op->src] + (uint64_t)op->offset);
      *at = value;
      break;
    }
    case RUNNER_READ8: {
      r->pointer = slots[op->src] + (uint64_t)op->offset;
      r->value = *(volatile const uint64_t*)(uintptr_t)r->pointer;
      slots[op->dst] = r->value;
      break;
    }
    case RUNNER_MALLOPT: r->value = (uint64_t)(int64_t)mallopt(op->param, (int)op->a); break;
    case RUNNER_TRIM: r->value = (uint64_t)(int64_t)malloc_trim(op->a); break;
    default: break;
  }
  r->error = errno;
}
