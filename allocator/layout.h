// glibc 2.36's malloc data structures with their exact x86_64 layout (glibc-facts.md "Layouts"):
// malloc_state (main_arena), malloc_par (mp_), tcache_perthread_struct, and the libc data the
// twin keeps next to them (global_max_fast, tcache_key). A Program that pokes at these bytes sees
// what it would see in glibc; the heap view reads them at these offsets.
#ifndef HEAPTWIN_ALLOCATOR_LAYOUT_H_
#define HEAPTWIN_ALLOCATOR_LAYOUT_H_

#include <cstddef>
#include <cstdint>

namespace heaptwin::alloc {

inline constexpr int kNFastBins = 10;      // NFASTBINS
inline constexpr int kNBins = 128;         // NBINS
inline constexpr int kBinmapSize = 4;      // BINMAPSIZE
inline constexpr int kTcacheMaxBins = 64;  // TCACHE_MAX_BINS
// 2.42+: TCACHE_LARGE_BINS more after those (TCACHE_SMALL_BINS, which kTcacheMaxBins counts),
// TCACHE_MAX_BINS in all; used only under glibc.malloc.tcache_max above 0x408.
inline constexpr int kTcacheLargeBins = 12;
inline constexpr int kTcacheAllBins = kTcacheMaxBins + kTcacheLargeBins;

// struct malloc_state, 2.27 .. 2.41.
struct MallocState {
  int32_t mutex;
  int32_t flags;  // NONCONTIGUOUS_BIT 2
  int32_t have_fastchunks;
  int32_t pad_;
  uint64_t fastbinsY[kNFastBins];
  uint64_t top;
  uint64_t last_remainder;
  uint64_t bins[kNBins * 2 - 2];
  uint32_t binmap[kBinmapSize];
  uint64_t next;
  uint64_t next_free;
  uint64_t attached_threads;
  uint64_t system_mem;
  uint64_t max_system_mem;
};
static_assert(offsetof(MallocState, flags) == 0x4);
static_assert(offsetof(MallocState, have_fastchunks) == 0x8);
static_assert(offsetof(MallocState, fastbinsY) == 0x10);
static_assert(offsetof(MallocState, top) == 0x60);
static_assert(offsetof(MallocState, last_remainder) == 0x68);
static_assert(offsetof(MallocState, bins) == 0x70);
static_assert(offsetof(MallocState, binmap) == 0x860);
static_assert(offsetof(MallocState, next) == 0x870);
static_assert(offsetof(MallocState, next_free) == 0x878);
static_assert(offsetof(MallocState, attached_threads) == 0x880);
static_assert(offsetof(MallocState, system_mem) == 0x888);
static_assert(offsetof(MallocState, max_system_mem) == 0x890);
static_assert(sizeof(MallocState) == 0x898);

inline constexpr int32_t kNonContiguousBit = 2;
inline constexpr int32_t kFastchunksBit = 1;  // before 2.27: set while no fast chunks exist

// struct _heap_info (arena.c, 2.35+): at the start of each heap of a non-main arena, every heap
// HEAP_MAX_SIZE-aligned. The first heap's malloc_state follows it at +0x30.
struct HeapInfo {
  uint64_t ar_ptr;         // the arena (heap_for_ptr (p)->ar_ptr: arena_for_chunk)
  uint64_t prev;           // the arena's previous heap
  uint64_t size;           // bytes in use
  uint64_t mprotect_size;  // bytes ever made PROT_READ|PROT_WRITE
  uint64_t pagesize;
  uint64_t pad_;
};
static_assert(offsetof(HeapInfo, prev) == 0x8);
static_assert(offsetof(HeapInfo, size) == 0x10);
static_assert(offsetof(HeapInfo, mprotect_size) == 0x18);
static_assert(offsetof(HeapInfo, pagesize) == 0x20);
static_assert(sizeof(HeapInfo) == 0x30);

// struct malloc_par, 2.35 .. 2.41.
struct MallocPar {
  uint64_t trim_threshold;
  uint64_t top_pad;
  uint64_t mmap_threshold;
  uint64_t arena_test;
  uint64_t arena_max;
  uint64_t thp_pagesize;
  uint64_t hp_pagesize;
  int32_t hp_flags;
  int32_t n_mmaps;
  int32_t n_mmaps_max;
  int32_t max_n_mmaps;
  int32_t no_dyn_threshold;
  int32_t pad_;
  uint64_t mmapped_mem;
  uint64_t max_mmapped_mem;
  uint64_t sbrk_base;
  uint64_t tcache_bins;
  uint64_t tcache_max_bytes;
  uint64_t tcache_count;
  uint64_t tcache_unsorted_limit;
};
static_assert(offsetof(MallocPar, top_pad) == 0x8);
static_assert(offsetof(MallocPar, mmap_threshold) == 0x10);
static_assert(offsetof(MallocPar, arena_test) == 0x18);
static_assert(offsetof(MallocPar, arena_max) == 0x20);
static_assert(offsetof(MallocPar, thp_pagesize) == 0x28);
static_assert(offsetof(MallocPar, hp_pagesize) == 0x30);
static_assert(offsetof(MallocPar, hp_flags) == 0x38);
static_assert(offsetof(MallocPar, n_mmaps) == 0x3c);
static_assert(offsetof(MallocPar, n_mmaps_max) == 0x40);
static_assert(offsetof(MallocPar, max_n_mmaps) == 0x44);
static_assert(offsetof(MallocPar, no_dyn_threshold) == 0x48);
static_assert(offsetof(MallocPar, mmapped_mem) == 0x50);
static_assert(offsetof(MallocPar, max_mmapped_mem) == 0x58);
static_assert(offsetof(MallocPar, sbrk_base) == 0x60);
static_assert(offsetof(MallocPar, tcache_bins) == 0x68);
static_assert(offsetof(MallocPar, tcache_max_bytes) == 0x70);
static_assert(offsetof(MallocPar, tcache_count) == 0x78);
static_assert(offsetof(MallocPar, tcache_unsorted_limit) == 0x80);
static_assert(sizeof(MallocPar) == 0x88);

// struct malloc_par as each release lays it out (x86_64): the offset of each field the twin
// uses, -1 where the release has none. Read from each libc6-dbg's DWARF (gdb "ptype/o struct
// malloc_par": Debian's 2.31-13+deb11u11, 2.36, 2.41, 2.43-7, 2.44-3) and from malloc.c:
//   2.23 .. 2.25  ..., max_mmapped_mem, max_total_mem, sbrk_base; no tcache (0x58 bytes)
//   2.26 .. 2.34  ..., max_mmapped_mem, sbrk_base, tcache_bins, tcache_max_bytes, tcache_count,
//                 tcache_unsorted_limit ("Add per-thread cache to malloc"; 0x70 bytes)
//   2.35 .. 2.41  thp_pagesize, hp_pagesize, hp_flags after arena_max ("malloc: Add Huge Page
//                 support"): MallocPar above (0x88 bytes)
//   2.43          thp_mode (an enum) before thp_pagesize ("malloc: Enable THP always support on
//                 hugetlb tunable", 9097cbf5d8); tcache_bins is named tcache_small_bins (0x90)
//   2.44          no tcache_unsorted_limit (0x88 bytes)
// 2.42 is no release the twin follows (GlibcProfile::from_history refuses it).
struct MallocParLayout {
  int16_t trim_threshold, top_pad, mmap_threshold, arena_test, arena_max, hp_pagesize;
  int16_t n_mmaps, n_mmaps_max, max_n_mmaps, no_dyn_threshold;  // int
  int16_t mmapped_mem, max_mmapped_mem, sbrk_base;
  int16_t tcache_bins, tcache_max_bytes, tcache_count, tcache_unsorted_limit;
  uint16_t bytes;  // sizeof (struct malloc_par)

  // One row per layout, in the fields' order above.
  // clang-format off
  static constexpr MallocParLayout of(int minor) {
    if (minor < 26) return {0, 8, 0x10, 0x18, 0x20, -1, 0x28, 0x2c, 0x30, 0x34, 0x38, 0x40,
                            0x50, -1, -1, -1, -1, 0x58};
    if (minor < 35) return {0, 8, 0x10, 0x18, 0x20, -1, 0x28, 0x2c, 0x30, 0x34, 0x38, 0x40,
                            0x48, 0x50, 0x58, 0x60, 0x68, 0x70};
    if (minor < 43) return {0, 8, 0x10, 0x18, 0x20, 0x30, 0x3c, 0x40, 0x44, 0x48, 0x50, 0x58,
                            0x60, 0x68, 0x70, 0x78, 0x80, 0x88};
    if (minor < 44) return {0, 8, 0x10, 0x18, 0x20, 0x38, 0x44, 0x48, 0x4c, 0x50, 0x58, 0x60,
                            0x68, 0x70, 0x78, 0x80, 0x88, 0x90};
    return                 {0, 8, 0x10, 0x18, 0x20, 0x38, 0x44, 0x48, 0x4c, 0x50, 0x58, 0x60,
                            0x68, 0x70, 0x78, 0x80, -1, 0x88};
  }
  // clang-format on
};
inline constexpr uint64_t kMallocParMaxBytes = 0x90;  // 2.43's
static_assert(MallocParLayout::of(36).hp_pagesize == offsetof(MallocPar, hp_pagesize));
static_assert(MallocParLayout::of(36).n_mmaps == offsetof(MallocPar, n_mmaps));
static_assert(MallocParLayout::of(36).sbrk_base == offsetof(MallocPar, sbrk_base));
static_assert(MallocParLayout::of(36).tcache_unsorted_limit ==
              offsetof(MallocPar, tcache_unsorted_limit));
static_assert(MallocParLayout::of(36).bytes == sizeof(MallocPar));

// mp_'s fields, bound where the release's malloc_par has them (MallocParLayout): the twin reads
// and writes `mp.top_pad` whatever the release. A field the release lacks (hp_pagesize before
// 2.35, tcache's before 2.26, tcache_unsorted_limit from 2.44) is a word of the binder's own,
// which no program can reach.
struct MallocParFields {
  uint64_t& trim_threshold;
  uint64_t& top_pad;
  uint64_t& mmap_threshold;
  uint64_t& arena_test;
  uint64_t& arena_max;
  uint64_t& hp_pagesize;
  int32_t& n_mmaps;
  int32_t& n_mmaps_max;
  int32_t& max_n_mmaps;
  int32_t& no_dyn_threshold;
  uint64_t& mmapped_mem;
  uint64_t& max_mmapped_mem;
  uint64_t& sbrk_base;
  uint64_t& tcache_bins;
  uint64_t& tcache_max_bytes;
  uint64_t& tcache_count;
  uint64_t& tcache_unsorted_limit;

  // `mp` is the release's malloc_par; `absent` holds a word for each field it lacks.
  static MallocParFields bind(unsigned char* mp, const MallocParLayout& l, uint64_t (&absent)[5]) {
    auto word = [mp](int16_t at, uint64_t* instead) -> uint64_t& {
      return at >= 0 ? *reinterpret_cast<uint64_t*>(mp + at) : *instead;
    };
    auto half = [mp](int16_t at) -> int32_t& { return *reinterpret_cast<int32_t*>(mp + at); };
    return {word(l.trim_threshold, nullptr),
            word(l.top_pad, nullptr),
            word(l.mmap_threshold, nullptr),
            word(l.arena_test, nullptr),
            word(l.arena_max, nullptr),
            word(l.hp_pagesize, &absent[4]),
            half(l.n_mmaps),
            half(l.n_mmaps_max),
            half(l.max_n_mmaps),
            half(l.no_dyn_threshold),
            word(l.mmapped_mem, nullptr),
            word(l.max_mmapped_mem, nullptr),
            word(l.sbrk_base, nullptr),
            word(l.tcache_bins, &absent[0]),
            word(l.tcache_max_bytes, &absent[1]),
            word(l.tcache_count, &absent[2]),
            word(l.tcache_unsorted_limit, &absent[3])};
  }
};

// struct tcache_perthread_struct, 2.30+. Lives in the heap (user data of the first chunk).
struct TcachePerthread {
  uint16_t counts[kTcacheMaxBins];
  uint64_t entries[kTcacheMaxBins];  // user pointers (tcache_entry*), heads not protected
};
static_assert(offsetof(TcachePerthread, entries) == 0x80);
static_assert(sizeof(TcachePerthread) == 0x280);

// struct tcache_entry, overlaid on a cached chunk's user data.
inline constexpr uint64_t kTcacheEntryNext = 0x0;  // PROTECT_PTR'd (2.32+)
inline constexpr uint64_t kTcacheEntryKey = 0x8;   // tcache_key while cached (2.29+)

// What lives in libc's data segment in a real process; in the twin it is one block of memory the
// twin owns (so bin heads, which chunks point at, are readable through the same checks). The
// fields sit where Debian's glibc 2.36 puts them relative to each other (its libc6-dbg symbols:
// mp_ 0x1d3340, main_arena 0x1d3c60, tcache_key 0x1da478, __malloc_initialized 0x1da488,
// perturb_byte 0x1da49c, global_max_fast 0x1da4a0), because exploit code computes one from
// another (global_max_fast from a leaked main_arena address, say).
struct LibcData {
  alignas(8) unsigned char mp_[kMallocParMaxBytes];  // the release's malloc_par (MallocParLayout)
  unsigned char gap_before_arena[0x920 - kMallocParMaxBytes];
  MallocState main_arena;
  unsigned char gap_before_key[0x7138 - 0x920 - sizeof(MallocState)];
  uint64_t tcache_key;
  unsigned char gap_before_initialized[0x7148 - 0x7138 - 8];
  uint8_t malloc_initialized;  // bool __malloc_initialized (2.34+; an int before)
  unsigned char gap_before_perturb[0x715c - 0x7148 - 1];
  int32_t perturb_byte;
  uint64_t global_max_fast;  // one byte from 2.37 (GlibcProfile::global_max_fast_byte)
};
inline constexpr uint64_t kMainArenaFromMp = 0x920;
static_assert(sizeof(LibcData) + 0x1000 <= 0x9000, "SimulatedMemoryOptions::data_bytes holds it");
static_assert(offsetof(LibcData, main_arena) - offsetof(LibcData, mp_) == kMainArenaFromMp);
static_assert(offsetof(LibcData, tcache_key) - offsetof(LibcData, main_arena) ==
              0x1da478 - 0x1d3c60);
static_assert(offsetof(LibcData, malloc_initialized) - offsetof(LibcData, main_arena) ==
              0x1da488 - 0x1d3c60);
static_assert(offsetof(LibcData, perturb_byte) - offsetof(LibcData, main_arena) ==
              0x1da49c - 0x1d3c60);
static_assert(offsetof(LibcData, global_max_fast) - offsetof(LibcData, main_arena) ==
              0x1da4a0 - 0x1d3c60);

}  // namespace heaptwin::alloc

#endif  // HEAPTWIN_ALLOCATOR_LAYOUT_H_
