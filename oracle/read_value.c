/* Naming what a read8 read (read_value.h). No libc: an exported program pastes this file. */
#include "oracle/read_value.h"

struct ReadMapping read_mapping_of_chunk(uint64_t user, uint64_t length) {
  struct ReadMapping m;
  m.start = (user - 0x10) & ~(uint64_t)0xfff;
  m.length = length;
  return m;
}

static int read_inside(uint64_t address, uint64_t start, uint64_t bytes) {
  return start != 0 && address >= start && address - start < bytes;
}

static struct ReadName read_named(uint32_t base, uint64_t offset) {
  struct ReadName n;
  n.base = base;
  n.offset = offset;
  return n;
}

/* What `address` points into, or READ_NUMBER: libc's objects, the mappings, the heap from its
 * base to its end; with `window`, also the heap's neighbourhood (a forged pointer just past
 * it). */
static struct ReadName name_in(const struct ReadPlaces* p, uint64_t address, int window) {
  /* libc's objects first: in the twin they lie in its own reservation, above the heap. */
  if (read_inside(address, p->arena, p->arena_bytes)) {
    return read_named(READ_MAIN_ARENA, address - p->arena);
  }
  if (read_inside(address, p->mp, p->mp_bytes)) return read_named(READ_MP, address - p->mp);
  if (read_inside(address, p->global_max_fast, 8)) {
    return read_named(READ_GLOBAL_MAX_FAST, address - p->global_max_fast);
  }
  for (size_t i = 0; i < p->arena_heap_count; ++i) {
    const struct ReadArenaHeap* h = &p->arena_heaps[i];
    if (read_inside(address, h->start, h->bytes)) {
      return read_named(READ_ARENA_HEAP,
                        READ_ARENA_HEAP_OFFSET(h->arena, h->heap, address - h->start));
    }
  }
  for (size_t i = 0; i < p->mapping_count; ++i) {
    const struct ReadMapping* m = &p->mappings[i];
    if (m->length != 0 && read_inside(address, m->start, m->length)) {
      return read_named(READ_MAPPING, address - m->start);
    }
  }
  if (p->heap_end > p->heap_base &&
      read_inside(address, p->heap_base, p->heap_end - p->heap_base)) {
    return read_named(READ_HEAP, address - p->heap_base);
  }
  if (window && p->heap_base != 0 &&
      address + READ_HEAP_WINDOW - p->heap_base < 2 * READ_HEAP_WINDOW) {
    return read_named(READ_HEAP, address - p->heap_base);
  }
  return read_named(READ_NUMBER, address);
}

/* [lo, hi) as aligned power-of-two blocks (base[i], 2^bits[i] long); at most 128 of them. */
static int aligned_blocks(uint64_t lo, uint64_t hi, uint64_t* base, unsigned* bits) {
  int n = 0;
  while (lo < hi && n < 128) {
    unsigned k = lo == 0 ? 63 : (unsigned)__builtin_ctzll(lo);
    while (k > 0 && hi - lo < ((uint64_t)1 << k)) --k;
    base[n] = lo;
    bits[n] = k;
    ++n;
    lo += (uint64_t)1 << k;
    if (lo == 0) break; /* wrapped past 2^64 */
  }
  return n;
}

static uint64_t low_mask(unsigned k) { return k >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << k) - 1; }

/* For a block of x values and a block of x ^ c values, the least x in both: the bits above both
 * blocks' free bits must agree, the wider block leaves the narrower one's bits to it, and the
 * bits free in both are 0. */
uint64_t read_least_xor_in(uint64_t lo, uint64_t hi, uint64_t c, uint64_t dlo, uint64_t dhi) {
  uint64_t xs[128], ds[128];
  unsigned xk[128], dk[128];
  const int nx = aligned_blocks(lo, hi, xs, xk);
  const int nd = aligned_blocks(dlo, dhi, ds, dk);
  uint64_t best = ~(uint64_t)0;
  for (int i = 0; i < nx; ++i) {
    for (int j = 0; j < nd; ++j) {
      const uint64_t want = ds[j] ^ c; /* what x must be above the D block's free bits */
      const unsigned wide = xk[i] > dk[j] ? xk[i] : dk[j];
      if ((xs[i] & ~low_mask(wide)) != (want & ~low_mask(wide))) continue;
      const uint64_t x =
          xk[i] > dk[j] ? xs[i] | (want & low_mask(xk[i]) & ~low_mask(dk[j])) : xs[i];
      if (x < best) best = x;
    }
  }
  return best;
}

struct ReadName read_name(const struct ReadPlaces* p, uint64_t address) {
  return name_in(p, address, 1);
}

struct ReadValue read_value(const struct ReadPlaces* p, uint64_t raw, uint64_t at) {
  struct ReadValue v;
  v.value = name_in(p, raw, 0);
  v.safe_linked = 0;
  v.position = read_named(READ_NUMBER, 0);
  if (v.value.base != READ_NUMBER || raw == 0) return v;
  /* glibc's REVEAL_PTR: the stored value xor the page number of where it is stored. A value
   * that reveals, from a named position, to a place (or to NULL: a list's last entry) is a
   * safe-linked pointer. Its raw form differs from the target below bit 36 (a heap's page
   * number), so it often lies within the heap's 4 GiB window: only places themselves count for
   * it and for its target, and the window comes last. (A value inside a heap of less than
   * 16 MiB, 16 MiB aligned above 2^36 as every side's is, cannot also reveal into it: that
   * takes a page number below 2^24.) */
  const struct ReadName position = read_name(p, at);
  const uint64_t target = (at >> 12) ^ raw;
  const struct ReadName revealed = name_in(p, target, 0);
  if (position.base != READ_NUMBER && (revealed.base != READ_NUMBER || target == 0)) {
    v.value = revealed;
    v.safe_linked = 1;
    v.position = position;
    return v;
  }
  /* A safe-linked NULL written in the heap and copied elsewhere (realloc into a mapping, say):
   * the raw value is the page number of a heap position, each process's own. Named as that
   * position's protect(..., 0), it compares across processes. */
  if (p->heap_end > p->heap_base && raw < ((uint64_t)1 << 52)) {
    const uint64_t page = raw << 12;
    if (page >= p->heap_base && page < p->heap_end) {
      v.value = read_named(READ_NUMBER, 0);
      v.safe_linked = 1;
      v.position = read_named(READ_HEAP, page - p->heap_base);
      return v;
    }
  }
  /* The same in a non-main heap (a thread's tcache chunk copied by realloc). */
  for (size_t i = 0; i < p->arena_heap_count && raw < ((uint64_t)1 << 52); ++i) {
    const struct ReadArenaHeap* h = &p->arena_heaps[i];
    const uint64_t page = raw << 12;
    if (read_inside(page, h->start, h->bytes)) {
      v.value = read_named(READ_NUMBER, 0);
      v.safe_linked = 1;
      v.position =
          read_named(READ_ARENA_HEAP, READ_ARENA_HEAP_OFFSET(h->arena, h->heap, page - h->start));
      return v;
    }
  }
  /* A safe-linked pointer to the heap copied out of its position: its raw value is (the page
   * number of the heap position it was written at) ^ target. Each heap page is tried, lowest
   * first, and the first that reveals a target inside the heap names it (every side finds the
   * same one). Found in closed form (read_least_xor_in), for heaps of any size: a linear scan
   * was bounded to 256 MiB, and beyond that such a value was a plain number, each process's own
   * (found by ./heaptwin fuzz: a heap that had reached 4 GiB, a value realloc copied). */
  if (p->heap_end > p->heap_base) {
    const uint64_t pg = read_least_xor_in(p->heap_base >> 12, (p->heap_end + 4095) >> 12, raw,
                                          p->heap_base, p->heap_end);
    if (pg != ~(uint64_t)0) {
      v.value = read_named(READ_HEAP, (raw ^ pg) - p->heap_base);
      v.safe_linked = 1;
      v.position = read_named(READ_HEAP, (pg << 12) - p->heap_base);
      return v;
    }
  }
  /* The same with position and target in one non-main heap (each heap on its own: a chunk a
   * thread cached in another heap is rare, and this keeps the search one heap wide). */
  for (size_t i = 0; i < p->arena_heap_count; ++i) {
    const struct ReadArenaHeap* h = &p->arena_heaps[i];
    const uint64_t pg = read_least_xor_in(h->start >> 12, (h->start + h->bytes + 4095) >> 12, raw,
                                          h->start, h->start + h->bytes);
    if (pg != ~(uint64_t)0) {
      v.value = read_named(READ_ARENA_HEAP,
                           READ_ARENA_HEAP_OFFSET(h->arena, h->heap, (raw ^ pg) - h->start));
      v.safe_linked = 1;
      v.position = read_named(READ_ARENA_HEAP,
                              READ_ARENA_HEAP_OFFSET(h->arena, h->heap, (pg << 12) - h->start));
      return v;
    }
  }
  /* A target within 4 GiB of 0, either way, revealed from a raw value that is none (a forged
   * list entry, say protect(b, 0x4141) or protect(b, NULL - 0xa8)) is one too: the raw value
   * carries the heap's page number, which no plain number of the Program does (unless it has
   * those very bits). A small number itself, or one near 2^64, reveals to none: every side's
   * page numbers are 2^32 or more. */
  if (position.base != READ_NUMBER &&
      (target < READ_SMALL_TARGET || 0 - target <= READ_SMALL_TARGET)) {
    v.value = revealed;
    v.safe_linked = 1;
    v.position = position;
    return v;
  }
  v.value = read_name(p, raw);
  return v;
}

/* ---- text ---------------------------------------------------------------------------------- */

struct Text {
  char* out;
  size_t cap, length;
};

static void text_put(struct Text* t, const char* s) {
  for (; *s; ++s, ++t->length) {
    if (t->length + 1 < t->cap) t->out[t->length] = *s;
  }
}

static void text_hex(struct Text* t, uint64_t v) {
  char digits[20];
  int n = (int)sizeof digits - 1;
  digits[n] = '\0';
  do {
    digits[--n] = "0123456789abcdef"[v & 0xf];
    v >>= 4;
  } while (v != 0);
  text_put(t, "0x");
  text_put(t, digits + n);
}

static void text_end(struct Text* t) {
  if (t->cap != 0) t->out[t->length < t->cap ? t->length : t->cap - 1] = '\0';
}

static void text_decimal(struct Text* t, uint32_t v) {
  char digits[12];
  int n = (int)sizeof digits - 1;
  digits[n] = '\0';
  do {
    digits[--n] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  text_put(t, digits + n);
}

static void text_name(struct Text* t, const struct ReadName* n) {
  static const char* const kBases[] = {"",       "heap", "main_arena", "mp_", "global_max_fast",
                                       "mapping"};
  if (n->base == READ_ARENA_HEAP) { /* "arena1+0xb70", "arena1.heap2+0x40": as outcomes name it */
    text_put(t, "arena");
    text_decimal(t, READ_ARENA_HEAP_ARENA(n->offset));
    if (READ_ARENA_HEAP_INDEX(n->offset) != 0) {
      text_put(t, ".heap");
      text_decimal(t, READ_ARENA_HEAP_INDEX(n->offset));
    }
    text_put(t, "+");
    text_hex(t, READ_ARENA_HEAP_DISTANCE(n->offset));
    return;
  }
  if (n->base == READ_NUMBER || n->base >= sizeof kBases / sizeof kBases[0]) {
    text_hex(t, n->offset);
    return;
  }
  text_put(t, kBases[n->base]);
  const int below = n->base == READ_HEAP && n->offset >= (uint64_t)1 << 63;
  text_put(t, below ? "-" : "+");
  text_hex(t, below ? 0 - n->offset : n->offset);
}

size_t read_name_text(const struct ReadName* name, char* out, size_t cap) {
  struct Text t = {out, cap, 0};
  text_name(&t, name);
  text_end(&t);
  return t.length;
}

size_t read_value_text(const struct ReadValue* value, char* out, size_t cap) {
  struct Text t = {out, cap, 0};
  text_name(&t, &value->value);
  if (value->safe_linked) {
    text_put(&t, " (safe-linked: protect(");
    text_name(&t, &value->position);
    text_put(&t, ", ");
    text_name(&t, &value->value);
    text_put(&t, "))");
  }
  text_end(&t);
  return t.length;
}
