/* What a read8 read, named so that it compares across processes (docs/op-semantics.md).
 *
 * The 8 bytes are a number or an address of one process: the twin's simulated memory, the glibc
 * runner's, an exported C program's. An address is named by what it points into, the same in
 * every process: the heap (heap+OFFSET), malloc's data in libc by symbol (main_arena+0x60: an
 * unsorted chunk's fd), the mapping of an mmapped chunk the Program holds (mapping+OFFSET), a
 * non-main arena's heap (a thread's) by its arena and heap (arena1+0xb70, arena1.heap2+0x40, as
 * a pointer outcome names it: arena_chunk_name.h).
 * A value that names nothing so but does once revealed as glibc reveals a safe-linked pointer
 * ((position >> 12) ^ value: a tcache or fastbin next), or reveals to a number below 4 GiB (a
 * forged next), is that target, with the position it was read from, so its raw form is known
 * too. Anything else is a plain number.
 *
 * Plain C, no libc: the sides name what they read through it, and `heaptwin export --c` pastes
 * it into the programs it writes, which print the same text. */
#ifndef HEAPTWIN_ORACLE_READ_VALUE_H_
#define HEAPTWIN_ORACLE_READ_VALUE_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a name is relative to. */
enum ReadBase {
  READ_NUMBER = 0,      /* not an address: offset is the value itself */
  READ_HEAP,            /* the heap base: inside the heap, or (not for a revealed target)
                           within 4 GiB either way of its base (two's complement offset) */
  READ_MAIN_ARENA,      /* &main_arena (inside it) */
  READ_MP,              /* &mp_ (inside it) */
  READ_GLOBAL_MAX_FAST, /* &global_max_fast (inside its word) */
  READ_MAPPING,         /* the start of the mapping of an mmapped chunk the Program holds */
  READ_ARENA_HEAP       /* a non-main arena's heap: offset = READ_ARENA_HEAP_OFFSET(arena,
                           heap, distance from the heap's start) */
};

/* A READ_ARENA_HEAP name's offset: the arena by creation order (1: the first after main_arena),
 * which of its heaps (0: the one holding its malloc_state), the distance from that heap's start
 * (below HEAP_MAX_SIZE, 2^26), packed in one word so that an Outcome holds it as any other. */
#define READ_ARENA_HEAP_OFFSET(arena, heap, offset) \
  ((uint64_t)(arena) << 48 | (uint64_t)(heap) << 32 | (offset))
#define READ_ARENA_HEAP_ARENA(o) ((uint32_t)((o) >> 48))
#define READ_ARENA_HEAP_INDEX(o) ((uint32_t)((o) >> 32) & 0xffffu)
#define READ_ARENA_HEAP_DISTANCE(o) ((o)&0xffffffffu)

/* HEAP_MAX_SIZE on 64-bit: every non-main heap starts at a multiple of it. */
#define READ_ARENA_HEAP_BYTES ((uint64_t)64 << 20)

/* Within this distance of the heap base (either way) an address is heap-relative, as the arena
 * walk's "near" (arena_walk.h, ARENA_NEAR), unless it reveals to a place as a safe-linked
 * pointer (read_value). */
#define READ_HEAP_WINDOW ((uint64_t)1 << 32)

/* A safe-linked value may reveal to a number within this of 0, either way (a forged target:
 * 0x4141, or NULL - 0xa8): raw values that are no such number and reveal so are taken as
 * safe-linked (read_value). */
#define READ_SMALL_TARGET ((uint64_t)1 << 32)

/* The mapping of an mmapped chunk: [start, start + length). */
struct ReadMapping {
  uint64_t start, length;
};

/* A non-main arena's heap in one process: its start (64 MiB aligned: its heap_info), the bytes
 * ever made accessible (heap_info.mprotect_size: the same in every process with the same history;
 * its whole 64 MiB reservation would name a safe-linked value that lands in it by chance, where
 * each process's heaps lie), and its name. */
struct ReadArenaHeap {
  uint64_t start, bytes;
  uint32_t arena, heap;
};

/* Where things are in one process. A place that is not known is 0 (or 0 bytes long): nothing is
 * named after it. Mappings of length 0 are ignored. */
struct ReadPlaces {
  uint64_t heap_base;
  uint64_t heap_end; /* the break now (== heap_base while there is no heap) */
  uint64_t arena, arena_bytes;
  uint64_t mp, mp_bytes;
  uint64_t global_max_fast;
  const struct ReadMapping* mappings;
  size_t mapping_count;
  /* Non-main heaps a read may name (read_arena_heaps.h picks them, the same way everywhere). */
  const struct ReadArenaHeap* arena_heaps;
  size_t arena_heap_count;
};

struct ReadName {
  uint32_t base; /* enum ReadBase */
  uint64_t offset;
};

struct ReadValue {
  struct ReadName value;    /* what was read; when safe_linked, the revealed target */
  uint32_t safe_linked;     /* value is (position >> 12) ^ target, as glibc >= 2.32 stores it */
  struct ReadName position; /* safe_linked: where it was read (else NUMBER 0) */
};

/* The mapping of an mmapped chunk whose user pointer is `user` and whose mapping is `length`
 * bytes long (docs/op-semantics.md: prev_size + size). It starts at the page of the chunk's
 * header: memalign's leader (prev_size) stays below a page for every alignment the sides
 * compare (comparability rule address_dependent_alignment). */
struct ReadMapping read_mapping_of_chunk(uint64_t user, uint64_t length);

/* An address (or a number) by name. */
struct ReadName read_name(const struct ReadPlaces* places, uint64_t address);

/* The least x in [lo, hi) with (x ^ c) in [dlo, dhi), or UINT64_MAX when there is none. */
uint64_t read_least_xor_in(uint64_t lo, uint64_t hi, uint64_t c, uint64_t dlo, uint64_t dhi);

/* The 8 bytes `raw` read at `at`, named. */
struct ReadValue read_value(const struct ReadPlaces* places, uint64_t raw, uint64_t at);

/* "heap+0x2a0", "heap-0x10", "main_arena+0x60", "mapping+0x10", "arena1+0xb70",
 * "arena1.heap2+0x40", "0x421" (a number); written
 * into out (NUL-terminated, cut at cap), the full length returned. */
size_t read_name_text(const struct ReadName* name, char* out, size_t cap);
/* The name, and for a safe-linked value its raw form in the .heap syntax:
 * "heap+0x2a0 (safe-linked: protect(heap+0x2c0, heap+0x2a0))". */
size_t read_value_text(const struct ReadValue* value, char* out, size_t cap);

#ifdef __cplusplus
}
#endif

#endif /* HEAPTWIN_ORACLE_READ_VALUE_H_ */
