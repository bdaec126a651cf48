/* The words of INVALID and BROKEN events (arena_walk.h: arena_invalid_text, arena_broken_text):
 * what snapshots hold and digests hash for a walk that could not go on. Plain C, no allocation. */
#include "oracle/arena_walk.h"

struct Text {
  char* out;
  size_t cap, len;
};

/* What does not fit is cut, and still counted: the caller learns the full length. */
static void put_char(struct Text* t, char c) {
  if (t->len + 1 < t->cap) t->out[t->len] = c;
  ++t->len;
}

static void put_str(struct Text* t, const char* s) {
  for (; *s; ++s) put_char(t, *s);
}

static void put_hex(struct Text* t, uint64_t v) {
  char digits[17];
  int n = 0;
  do {
    digits[n++] = "0123456789abcdef"[v & 0xf];
    v >>= 4;
  } while (v != 0);
  put_str(t, "0x");
  while (n > 0) put_char(t, digits[--n]);
}

static void put_dec(struct Text* t, uint64_t v) {
  char digits[21];
  int n = 0;
  do {
    digits[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) put_char(t, digits[--n]);
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

/* Each INVALID event's words, where its value stands as %x (hex), %d (decimal), %h (a heap
 * offset) or %f (a heap offset, or far away one token: there it is a mapping's address, as when
 * sysmalloc's mmap fallback was the first to give memory, which each process has elsewhere). */
static const char* const kInvalidTexts[] = {
    [ARENA_INVALID_NOT_LOCATED] = "main_arena, mp_ or global_max_fast not located",
    [ARENA_INVALID_HEAP_END] = "heap end below heap base",
    [ARENA_INVALID_ARENA_UNREADABLE] = "main_arena unreadable at %x",
    [ARENA_INVALID_MP_UNREADABLE] = "mp_ unreadable at %x",
    [ARENA_INVALID_MAX_FAST_UNREADABLE] = "global_max_fast unreadable at %x",
    [ARENA_INVALID_SBRK_BASE] = "mp_.sbrk_base is not the heap base (it is %f)",
    [ARENA_INVALID_SBRK_NO_HEAP] = "mp_.sbrk_base set but no heap",
    [ARENA_INVALID_TCACHE_BINS] = "mp_.tcache_bins out of range (%d): the mp_ address looks wrong",
    [ARENA_INVALID_MAX_FAST] = "global_max_fast %x out of range",
    [ARENA_INVALID_TOP_NO_HEAP] = "top is not in the heap although the heap exists",
    [ARENA_INVALID_TOP_OUTSIDE] = "top outside the heap (at %h)",
    [ARENA_INVALID_TOP_PAST_END] = "top's size runs past the heap end",
    [ARENA_INVALID_ODD_HEADS] = "%d bin heads point neither at themselves nor into the heap",
    [ARENA_INVALID_TCACHE_UNREADABLE] = "tcache struct unreadable at %h",
    [ARENA_INVALID_ARENA_LIST] = "the list of arenas does not come back to main_arena",
    [ARENA_INVALID_ARENA_HEAP] = "no readable heap whose heap_info names the arena",
    [ARENA_INVALID_THREAD_TCACHE] = "tcache struct unreadable: %f",
};

size_t arena_invalid_text(const struct ArenaEvent* e, char* out, size_t cap) {
  struct Text t = {out, cap, 0};
  const uint64_t n = sizeof kInvalidTexts / sizeof kInvalidTexts[0];
  const char* words = e->code < n ? kInvalidTexts[e->code] : NULL;
  if (words == NULL) words = "not an arena";
  const int64_t v = (int64_t)e->value;
  for (; *words; ++words) {
    if (words[0] != '%' || words[1] == 0) {
      put_char(&t, words[0]);
      continue;
    }
    switch (*++words) {
      case 'x': put_hex(&t, (uint64_t)v); break;
      case 'd': put_dec(&t, (uint64_t)v); break;
      case 'h': put_heap_offset(&t, v); break;
      case 'f':
        if (v <= -ARENA_NEAR || v >= ARENA_NEAR) {
          put_str(&t, "far from the heap");
        } else {
          put_heap_offset(&t, v);
        }
        break;
    }
  }
  return finish(&t);
}
