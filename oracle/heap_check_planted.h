// The heap checker's planted corruptions: for each rule, a Program whose setup leaves a sound
// heap in real glibc and whose last ops (write8) break exactly that rule, or, for arena fields
// no Program can reach, a copy of real glibc's memory with one field changed. The full check's
// tests (heap_check_test) and the incremental check's (heap_check_incremental_test) run the same
// list: each rule the full check finds, the incremental one must find when told what was written.
#ifndef HEAPTWIN_ORACLE_HEAP_CHECK_PLANTED_H_
#define HEAPTWIN_ORACLE_HEAP_CHECK_PLANTED_H_

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "oracle/heap_image.h"

namespace heaptwin::planted {

struct PlantedProgram {
  std::string name;
  std::string setup;            // clean after every op
  std::string corrupt;          // write8 ops
  std::set<std::string> rules;  // exactly what the full check finds after the last op
};

struct PlantedImage {
  std::string name;
  std::string setup;  // clean; its memory after the last op is changed
  // Changes the copy (and may move what the location says), returns the location to check.
  std::function<HeapLocation(HeapImage*)> change;
  std::set<std::string> rules;
};

// Offsets: the tcache struct is the chunk at heap+0 (size 0x290); the first malloc(0x18) is the
// chunk at heap+0x290, user pointer heap+0x2a0.
inline const char* kTwoTcache =
    "a = malloc 0x18\nb = malloc 0x18\nc = malloc 0x18\nfree a\nfree b\n";
inline const char* kUnsorted = "a = malloc 0x418\ng = malloc 0x18\nfree a\n";
// Two chunks of different sizes in largebins[0x400-0x430]: c (0x430) first, then a (0x420).
inline const char* kLargeBin =
    "a = malloc 0x418\ng1 = malloc 0x18\nc = malloc 0x428\ng2 = malloc 0x18\nfree a\nfree c\n"
    "big = malloc 0x500\n";

inline std::string fastbin_setup() {
  std::string s;
  for (int i = 0; i < 7; ++i) s += "x" + std::to_string(i) + " = malloc 0x18\n";
  s += "f = malloc 0x18\nf2 = malloc 0x18\ng = malloc 0x18\n";
  for (int i = 0; i < 7; ++i) s += "free x" + std::to_string(i) + "\n";
  return s + "free f\n";
}

inline std::vector<PlantedProgram> planted_programs() {
  const std::string fast = fastbin_setup();
  return {
      {"ChunkBadSize",
       "a = malloc 0x18\nb = malloc 0x18\n",
       "write8 a -8 0x19\n",
       {"chunk.bad_size"}},
      // a shrinks: the walk by size fields then lands inside a's data (zeros), not on a header.
      {"ChunkShrunkOntoData",
       "a = malloc 0x48\nb = malloc 0x18\n",
       "write8 a -8 0x21\n",
       {"chunk.bad_size"}},
      {"ChunkFlagsMmapped",
       "a = malloc 0x18\nb = malloc 0x18\n",
       "write8 a -8 0x23\n",
       {"chunk.flags"}},
      {"ChunkFlagsNonMainArena",
       "a = malloc 0x18\nb = malloc 0x18\n",
       "write8 a -8 0x25\n",
       {"chunk.flags"}},
      {"ChunkFirstPrevInuse",
       "a = malloc 0x18\n",
       "write8 a -0x298 0x290\n",
       {"chunk.first_prev_inuse"}},
      {"FreeFooter", kUnsorted, "write8 g -0x10 0x430\n", {"free.footer"}},
      {"BinBadPointer", kUnsorted, "write8 a 0 0x4141\n", {"bin.bad_pointer"}},
      {"BinFdBkMismatch", kUnsorted, "write8 a 8 heap+0x10\n", {"bin.fd_bk_mismatch"}},
      // unsorted: head -> b -> a -> head; make it head -> b -> a -> b -> ... A loop that leaves
      // the head behind always gives its entry two predecessors, so one bk is wrong too.
      {"BinCycle",
       "a = malloc 0x418\ng1 = malloc 0x18\nb = malloc 0x418\ng2 = malloc 0x18\nfree a\nfree b\n",
       "write8 a 0 b-0x10\nwrite8 b 8 a-0x10\n",
       {"bin.cycle", "bin.fd_bk_mismatch"}},
      // a (0x420, in the large bin) swallows its guard: size 0x440, and big's header says so.
      {"BinWrongBin",
       "a = malloc 0x418\ng = malloc 0x18\nfree a\nbig = malloc 0x508\n",
       "write8 a -8 0x441\nwrite8 big -0x10 0x440\nwrite8 big -8 0x510\n",
       {"bin.wrong_bin"}},
      // c shrinks to 0x410 (a fake in-use 0x20 chunk after it): now smaller than a, which follows.
      {"LargeBinUnsorted",
       kLargeBin,
       "write8 c -8 0x411\nwrite8 c 0x400 0x410\nwrite8 c 0x408 0x20\nwrite8 g2 -8 0x21\n",
       {"largebin.unsorted"}},
      {"LargeBinNextsize", kLargeBin, "write8 a 0x10 0\n", {"largebin.nextsize"}},
      {"UnsortedNextsizeSet", kUnsorted, "write8 a 0x10 0x1234\n", {"unsorted.nextsize_set"}},
      {"FastbinBadPointer", fast, "write8 f 0 0x4141\n", {"fastbin.bad_pointer"}},
      {"FastbinCycle", fast + "free f2\n", "write8 f 0 protect(f, f2-0x10)\n", {"fastbin.cycle"}},
      {"FastbinWrongSize", fast, "write8 f -8 0x41\n", {"fastbin.wrong_size"}},
      {"FastbinChunkFree",
       fast,
       "write8 f2 -0x10 0x20\nwrite8 f2 -8 0x20\n",
       {"fastbin.chunk_free"}},
      {"TcacheBadPointer", kTwoTcache, "write8 b 0 0x4141\n", {"tcache.bad_pointer"}},
      {"TcacheCycle", kTwoTcache, "write8 a 0 protect(a, b)\n", {"tcache.cycle"}},
      // a (in tcachebins[0x20]) swallows the in-use b.
      {"TcacheWrongSize",
       "a = malloc 0x18\nb = malloc 0x18\nc = malloc 0x18\nfree a\n",
       "write8 a -8 0x41\n",
       {"tcache.wrong_size"}},
      {"TcacheKey", kTwoTcache, "write8 a 8 0x1234\n", {"tcache.key"}},
      // counts[0] is the u16 at heap+0x10 = a - 0x290.
      {"TcacheCountMismatch", kTwoTcache, "write8 a -0x290 1\n", {"tcache.count_mismatch"}},
      {"TcacheCountOverLimit",
       kTwoTcache,
       "write8 a -0x290 8\n",
       {"tcache.count_over_limit", "tcache.count_mismatch"}},
      {"TcacheChunkFree",
       kTwoTcache,
       "write8 c -0x10 0x20\nwrite8 c -8 0x20\n",
       {"tcache.chunk_free"}},
      // The fastbin chunk f points at x0, also in tcachebins[0x20]; x0's tcache next (the last
      // entry's) is protect(x0, 0), which reveals to NULL read as a fastbin fd at the same place.
      {"ChunkInTwoBins", fast, "write8 f 0 protect(f, x0-0x10)\n", {"chunk.in_two_bins"}},
      // A fake 0x20 chunk inside the in-use chunk y, reached from the fastbin.
      {"BinNotAChunk",
       fast + "y = malloc 0x48\n",
       "write8 y 8 0x21\nwrite8 y 0x10 protect(y+0x10, 0)\nwrite8 f 0 protect(f, y)\n",
       {"bin.not_a_chunk"}},
      {"BinChunkInUse", kUnsorted, "write8 g -8 0x21\n", {"bin.chunk_in_use"}},
      // a and c both in the unsorted bin; a swallows the guard between them, so they touch.
      {"FreeNeighbours",
       "a = malloc 0x418\ng = malloc 0x18\nc = malloc 0x418\ng2 = malloc 0x18\nfree a\nfree c\n",
       "write8 a -8 0x441\nwrite8 c -0x10 0x440\nwrite8 c -8 0x420\n",
       {"free.neighbours"}},
      {"FreeNotInBin",
       "a = malloc 0x18\nb = malloc 0x18\nc = malloc 0x18\n",
       "write8 b -0x10 0x20\nwrite8 b -8 0x20\n",
       {"free.not_in_bin"}},
  };
}

inline uint64_t top_of(const HeapImage& m) { return m.u64(m.loc.arena + m.layout.top); }

// How a PlantedImage changes the copy: one word, or only where the location says things are.
using Change = std::function<HeapLocation(HeapImage*)>;
using WordAt = std::function<uint64_t(const HeapImage&)>;

// The address of a main_arena field of the copy (GlibcLayout's offset of it).
template <typename Field>  // a pointer to a GlibcLayout member
WordAt arena_field(Field field) {
  return
      [field](const HeapImage& m) { return m.loc.arena + static_cast<uint64_t>(m.layout.*field); };
}
inline uint64_t top_size_word(const HeapImage& m) { return top_of(m) + 8; }
inline uint64_t global_max_fast_word(const HeapImage& m) { return m.loc.global_max_fast; }

// The word at `at` becomes to(what it held); the location stays.
inline Change change_word(WordAt at, std::function<uint64_t(uint64_t)> to) {
  return [at, to](HeapImage* m) {
    const uint64_t addr = at(*m);
    m->write_u64(addr, to(m->u64(addr)));
    return m->loc;
  };
}
inline Change set_word(WordAt at, uint64_t value) {
  return change_word(std::move(at), [value](uint64_t) { return value; });
}
// The memory stays; the location to check is the copy's, changed by `move`.
inline Change move_location(std::function<void(HeapLocation*)> move) {
  return [move](HeapImage* m) {
    HeapLocation loc = m->loc;
    move(&loc);
    return loc;
  };
}

inline std::vector<PlantedImage> planted_images() {
  const char* one = "a = malloc 0x18\n";
  return {
      {"ArenaUnreadable",
       one,
       move_location([](HeapLocation* l) { l->arena = 0x1000; }),
       {"arena.unreadable"}},
      {"ArenaSystemMem",
       one,
       change_word(arena_field(&GlibcLayout::system_mem), [](uint64_t v) { return v + 0x1000; }),
       {"arena.system_mem"}},
      {"ArenaMaxFast", one, set_word(global_max_fast_word, 0x100), {"arena.max_fast"}},
      {"TopOutsideHeap",
       one,
       [](HeapImage* m) {
         m->write_u64(m->loc.arena + m->layout.top, m->loc.heap_end + 0x1000);
         return m->loc;
       },
       {"top.outside_heap"}},
      {"TopPrevInuse",
       one,
       change_word(top_size_word, [](uint64_t v) { return v & ~uint64_t{1}; }),
       {"top.prev_inuse"}},
      {"TopSize",
       one,
       set_word(top_size_word, 0x11),
       {"top.size", "top.not_at_heap_end", "arena.system_mem"}},
      {"TopPastHeapEnd",
       one,
       change_word(top_size_word, [](uint64_t v) { return v + 0x1000; }),
       {"top.past_heap_end", "arena.system_mem"}},
      // The break moved without glibc knowing.
      {"TopNotAtHeapEnd",
       one,
       move_location([](HeapLocation* l) { l->heap_end += 0x1000; }),
       {"top.not_at_heap_end"}},
      // a (0x90) reaches smallbins[0x90] when malloc(0x100) sorts the unsorted bin; bin 9 is in
      // binmap[0].
      {"BinmapClearForNonempty",
       "a = malloc 0x88\ng = malloc 0x18\n"
       "x0 = malloc 0x88\nx1 = malloc 0x88\nx2 = malloc 0x88\nx3 = malloc 0x88\n"
       "x4 = malloc 0x88\nx5 = malloc 0x88\nx6 = malloc 0x88\ng2 = malloc 0x18\n"
       "free x0\nfree x1\nfree x2\nfree x3\nfree x4\nfree x5\nfree x6\nfree a\n"
       "b = malloc 0x100\n",
       change_word(arena_field(&GlibcLayout::binmap),
                   [](uint64_t v) { return v & ~uint64_t{1u << 9}; }),
       {"binmap.clear_for_nonempty"}},
      // 0x10: what mallopt(M_MXFAST, 0) stores.
      {"FastbinBeyondMaxFast",
       fastbin_setup(),
       set_word(global_max_fast_word, 0x10),
       {"fastbin.beyond_max_fast"}},
      {"FastbinHaveFastchunks",
       fastbin_setup(),
       change_word(arena_field(&GlibcLayout::have_fastchunks),
                   [](uint64_t v) { return v & ~uint64_t{0xffffffff}; }),
       {"fastbin.have_fastchunks"}},
      {"TcacheBeyondBins",
       kTwoTcache,
       set_word([](const HeapImage& m) { return m.loc.mp + m.layout.mp_tcache_bins; }, 0),
       {"tcache.beyond_bins"}},
      {"TcacheUnreadable",
       kTwoTcache,
       move_location([](HeapLocation* l) { l->tcache = 0x1000; }),
       {"tcache.unreadable"}},
  };
}

}  // namespace heaptwin::planted

#endif  // HEAPTWIN_ORACLE_HEAP_CHECK_PLANTED_H_
