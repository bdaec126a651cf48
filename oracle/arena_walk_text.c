/* The words of INVALID and BROKEN events (arena_walk.h: arena_invalid_text, arena_broken_text):
 * what snapshots hold and digests hash for a walk that could not go on. Plain C, no allocation. */
#include "oracle/arena_walk.h"

struct Text {
  char* out;
  size_t cap, len;
};

static void put_str(struct Text* t, const char* s) {
  for (; *s; ++s) {
    if (t->len + 1 < t->cap) t->out[t->len] = *s;
    ++t->len;
  }
}

static void put_hex(struct Text* t, uint64_t v) {
  char digits[17];
  int n = 0;
  do {
    digits[n++] = "0123456789abcdef"[v & 0xf];
    v >>= 4;
  } while (v != 0);
  put_str(t, "0x");
  while (n > 0) {
    char one[2] = {digits[--n], 0};
    put_str(t, one);
  }
}

static void put_dec(struct Text* t, uint64_t v) {
  char digits[21];
  int n = 0;
  do {
    digits[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) {
    char one[2] = {digits[--n], 0};
    put_str(t, one);
  }
}

/* "heap+0x2a0", "heap-0x10": a place relative to the heap base. */
static void put_heap_offset(struct Text* t, int64_t d) {
  if (d < 0) {
    put_str(t, "heap-");
    put_hex(t, (uint64_t)0 - (uint64_t)d);
  } else {
    put_str(t, "heap+");
    put_hex(t, (uint64_t)d);
  }
}

static size_t finish(struct Text* t) {
  if (t->cap > 0) t->out[t->len < t->cap ? t->len : t->cap - 1] = 0;
  return t->len;
}

size_t arena_broken_text(const struct ArenaEvent* e, char* out, size_t cap) {
  struct Text t = {out, cap, 0};
  switch (e->code) {
    case ARENA_BROKEN_WILD: put_str(&t, "wild pointer "); break;
    case ARENA_BROKEN_UNALIGNED: put_str(&t, "unaligned pointer "); break;
    case ARENA_BROKEN_CYCLE: put_str(&t, "cycle back to "); break;
    case ARENA_BROKEN_UNREADABLE: put_str(&t, "unreadable link at "); break;
    case ARENA_BROKEN_SAFE_LINKED: put_str(&t, "safe-linked pointer to "); break;
    case ARENA_BROKEN_PLAIN: put_str(&t, "plain pointer to "); break;
    case ARENA_BROKEN_TOO_LONG:
      put_str(&t, "longer than ");
      put_dec(&t, ARENA_MAX_LIST);
      return finish(&t);
    default: put_str(&t, "broken "); break;
  }
  if (e->near) {
    put_heap_offset(&t, e->offset);
  } else {
    put_str(&t, "far away");
  }
  return finish(&t);
}

size_t arena_invalid_text(const struct ArenaEvent* e, char* out, size_t cap) {
  struct Text t = {out, cap, 0};
  const uint64_t v = e->value;
  switch (e->code) {
    case ARENA_INVALID_NOT_LOCATED:
      put_str(&t, "main_arena, mp_ or global_max_fast not located");
      break;
    case ARENA_INVALID_HEAP_END: put_str(&t, "heap end below heap base"); break;
    case ARENA_INVALID_ARENA_UNREADABLE:
      put_str(&t, "main_arena unreadable at ");
      put_hex(&t, v);
      break;
    case ARENA_INVALID_MP_UNREADABLE:
      put_str(&t, "mp_ unreadable at ");
      put_hex(&t, v);
      break;
    case ARENA_INVALID_MAX_FAST_UNREADABLE:
      put_str(&t, "global_max_fast unreadable at ");
      put_hex(&t, v);
      break;
    case ARENA_INVALID_SBRK_BASE:
      put_str(&t, "mp_.sbrk_base is not the heap base (it is ");
      /* Far away it is a mapping's address (sysmalloc's mmap fallback was the first to give
       * memory), which each process has elsewhere: reported as one token, as wild pointers. */
      if ((int64_t)v <= -ARENA_NEAR || (int64_t)v >= ARENA_NEAR) {
        put_str(&t, "far from the heap");
      } else {
        put_heap_offset(&t, (int64_t)v);
      }
      put_str(&t, ")");
      break;
    case ARENA_INVALID_SBRK_NO_HEAP: put_str(&t, "mp_.sbrk_base set but no heap"); break;
    case ARENA_INVALID_TCACHE_BINS:
      put_str(&t, "mp_.tcache_bins out of range (");
      put_dec(&t, v);
      put_str(&t, "): the mp_ address looks wrong");
      break;
    case ARENA_INVALID_MAX_FAST:
      put_str(&t, "global_max_fast ");
      put_hex(&t, v);
      put_str(&t, " out of range");
      break;
    case ARENA_INVALID_TOP_NO_HEAP:
      put_str(&t, "top is not in the heap although the heap exists");
      break;
    case ARENA_INVALID_TOP_OUTSIDE:
      put_str(&t, "top outside the heap (at ");
      put_heap_offset(&t, (int64_t)v);
      put_str(&t, ")");
      break;
    case ARENA_INVALID_TOP_PAST_END: put_str(&t, "top's size runs past the heap end"); break;
    case ARENA_INVALID_ODD_HEADS:
      put_dec(&t, v);
      put_str(&t, " bin heads point neither at themselves nor into the heap");
      break;
    case ARENA_INVALID_TCACHE_UNREADABLE:
      put_str(&t, "tcache struct unreadable at ");
      put_heap_offset(&t, (int64_t)v);
      break;
    case ARENA_INVALID_ARENA_LIST:
      put_str(&t, "the list of arenas does not come back to main_arena");
      break;
    case ARENA_INVALID_ARENA_HEAP:
      put_str(&t, "no readable heap whose heap_info names the arena");
      break;
    default: put_str(&t, "not an arena"); break;
  }
  return finish(&t);
}
