// The arena digest says what the snapshot says: over states the twin really reaches (random
// Programs) and the same states corrupted word by word, (1) the walk's digest equals the digest
// of the snapshot built from the same walk replayed, and (2) two states have equal digests
// exactly when first_difference() finds nothing between their snapshots.
#include "oracle/arena_walk.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "oracle/heap_image.h"
#include "oracle/heap_view.h"
#include "oracle/model/random_programs.h"
#include "oracle/twin_side.h"
#include "program/hex.h"
#include "program/parse_for_tests.h"

namespace heaptwin {
namespace {

// Every state the twin passes through on these Programs.
std::vector<HeapImage> twin_states_of(const std::vector<Program>& programs) {
  std::string error;
  auto twin = make_twin_side("twin", &error);
  EXPECT_NE(twin, nullptr) << error;
  std::vector<HeapImage> images;
  RunOptions options;
  options.inspect = [&](size_t, const MemoryReader& mem, const HeapLocation& loc,
                        const GlibcLayout& layout) {
    images.push_back(HeapImage::capture(mem, loc, layout));
  };
  for (const Program& program : programs) twin->run(program, options);
  return images;
}

// ... on a few random Programs.
std::vector<HeapImage> twin_states(int programs, int ops) {
  std::vector<Program> random;
  for (int seed = 1; seed <= programs; ++seed) {
    model::RandomProgramOptions generator;
    generator.ops = ops;
    random.push_back(model::random_program(seed, generator));
  }
  return twin_states_of(random);
}

const std::vector<HeapImage>& states() {
  static const std::vector<HeapImage> images = twin_states(16, 100);
  return images;
}

uint64_t walk_digest(const HeapImage& image) {
  return arena_digest(image, image.loc, image.layout);
}

TEST(ArenaDigest, TheWalkAndTheSnapshotGiveOneDigest) {
  ASSERT_GT(states().size(), 1000u);  // every op that returned, of every Program
  for (const HeapImage& image : states()) {
    ArenaSnapshot s = read_arena(image, image.loc, image.layout);
    ASSERT_TRUE(s.valid) << s.invalid_reason;
    ASSERT_EQ(walk_digest(image), digest_of(s));
  }
}

TEST(ArenaDigest, EqualDigestsExactlyWhenSnapshotsAgree) {
  // Consecutive states of a Program differ in one op's work; states far apart in many ways; a
  // state against itself agrees.
  const auto& all = states();
  size_t equal = 0, different = 0;
  for (size_t i = 0; i + 1 < all.size(); ++i) {
    for (size_t j : {i, i + 1, (i * 7919) % all.size()}) {
      ArenaSnapshot a = read_arena(all[i], all[i].loc, all[i].layout);
      ArenaSnapshot b = read_arena(all[j], all[j].loc, all[j].layout);
      const bool same = first_difference(a, b).empty();
      ASSERT_EQ(same, walk_digest(all[i]) == walk_digest(all[j]))
          << "states " << i << " and " << j << ": " << first_difference(a, b);
      (same ? equal : different) += 1;
    }
  }
  EXPECT_GT(equal, all.size());  // the self-comparisons at least
  EXPECT_GT(different, all.size() / 2);
}

// Words a corruption writes: pointers into the heap (aligned or not, near its end), near it,
// far from it, small numbers and sizes.
uint64_t corrupt_value(std::mt19937_64& rng, const HeapImage& image) {
  const uint64_t base = image.loc.heap_base, len = image.loc.heap_end - image.loc.heap_base;
  switch (rng() % 8) {
    case 0: return base + (len ? rng() % len : 0) / 16 * 16;
    case 1: return base + (len ? rng() % len : 0);
    case 2: return base - 0x1000 * (1 + rng() % 64);
    case 3: return 0x4141414141414141ull;
    case 4: return rng() % 0x1000;
    case 5: return 0;
    case 6: return image.loc.arena + (rng() % 0x80) * 0x10;  // bin heads: lists that loop
    default: return rng();
  }
}

TEST(ArenaDigest, CorruptedStatesToo) {
  std::mt19937_64 rng(7);
  const auto& all = states();
  std::vector<ArenaSnapshot> corrupted;
  std::vector<uint64_t> digests;
  size_t broken_lists = 0, invalid = 0;
  for (size_t k = 0; k < 2000; ++k) {
    HeapImage image = all[rng() % all.size()];
    const HeapLocation& loc = image.loc;
    for (int w = 0; w < 1 + static_cast<int>(rng() % 3); ++w) {
      uint64_t at;
      switch (rng() % 4) {
        case 0: at = loc.arena + (rng() % (0x898 / 8)) * 8; break;                   // main_arena
        case 1: at = loc.arena + image.layout.top; break;                            // top itself
        case 2: at = loc.tcache ? loc.tcache + (rng() % 80) * 8 : loc.arena; break;  // tcache
        default: at = loc.heap_base + (rng() % ((loc.heap_end - loc.heap_base) / 8 + 1)) * 8;
      }
      image.write_u64(at, corrupt_value(rng, image));
    }
    ArenaSnapshot s = read_arena(image, loc, image.layout);
    const uint64_t d = walk_digest(image);
    ASSERT_EQ(d, digest_of(s)) << "corruption " << k;
    invalid += !s.valid;
    for (const auto& l : s.tcache) broken_lists += !l.broken.empty();
    for (const auto& l : s.fastbins) broken_lists += !l.broken.empty();
    for (const auto& l : s.bins) broken_lists += !l.broken.empty();
    corrupted.push_back(std::move(s));
    digests.push_back(d);
  }
  // The corruptions reached the paths they are for.
  EXPECT_GT(broken_lists, 100u);
  EXPECT_GT(invalid, 20u);
  for (size_t i = 0; i + 1 < corrupted.size(); ++i) {
    const bool same = first_difference(corrupted[i], corrupted[i + 1]).empty();
    ASSERT_EQ(same, digests[i] == digests[i + 1])
        << first_difference(corrupted[i], corrupted[i + 1]);
  }
}

TEST(ArenaDigest, FarWildPointersAgreeNearOnesDoNot) {
  HeapImage image = states()[states().size() / 2];
  const HeapLocation& loc = image.loc;
  const GlibcLayout& layout = image.layout;
  const uint64_t fastbin1 = loc.arena + layout.fastbins + 8;
  image.write_u64(fastbin1, 0x7f0000001000);  // far: a raw address of one process
  const uint64_t far_a = walk_digest(image);
  image.write_u64(fastbin1, 0x7f0000abc000);
  EXPECT_EQ(far_a, walk_digest(image));
  image.write_u64(fastbin1, loc.heap_base - 0x1000);  // near: heap-relative, compared
  const uint64_t near_a = walk_digest(image);
  image.write_u64(fastbin1, loc.heap_base - 0x2000);
  EXPECT_NE(near_a, walk_digest(image));
  EXPECT_NE(far_a, near_a);
}

// Outside the heap's 64 MiB block a wild pointer is one process's own even a few GiB from the
// heap: safe-linking garbage lands there in one process and terabytes away in another.
TEST(ArenaDigest, WildPointersOutsideTheHeapsBlockAreFar) {
  HeapImage image = states()[states().size() / 2];
  const HeapLocation& loc = image.loc;
  const uint64_t fastbin1 = loc.arena + image.layout.fastbins + 8;
  image.write_u64(fastbin1, 0x7f0000001000);
  const uint64_t far = walk_digest(image);
  const ArenaSnapshot far_snapshot = read_arena(image, loc, image.layout);
  for (uint64_t offset : {uint64_t{0xd1b58010}, uint64_t{48} << 20, (uint64_t{64} << 20) + 0x10}) {
    image.write_u64(fastbin1, loc.heap_base + offset);
    EXPECT_EQ(far, walk_digest(image)) << std::hex << offset;
    EXPECT_EQ(first_difference(far_snapshot, read_arena(image, loc, image.layout)), "")
        << std::hex << offset;
  }
  image.write_u64(fastbin1, loc.heap_base - (uint64_t{16} << 20) - 0x10);
  EXPECT_EQ(far, walk_digest(image));
  // Inside the block, beyond the heap's end, it is still heap-relative.
  image.write_u64(fastbin1, loc.heap_base + (uint64_t{48} << 20) - 0x20);
  EXPECT_NE(far, walk_digest(image));
  image.write_u64(fastbin1, loc.heap_base - (uint64_t{16} << 20));
  EXPECT_NE(far, walk_digest(image));
}

TEST(ArenaDigest, ReadingOwnMemoryGivesTheSameDigest) {
  // arena_digest_here (the glibc runner's, reading this process's memory) against the walk
  // through a MemoryReader, over a hand-made arena in this process.
  const HeapImage& image = states()[states().size() / 3];
  std::vector<unsigned char> heap(image.loc.heap_end - image.loc.heap_base);
  std::vector<unsigned char> arena(0x898), mp(0x88);
  uint64_t max_fast = 0;
  image.read(image.loc.heap_base, heap.data(), heap.size());
  image.read(image.loc.arena, arena.data(), arena.size());
  image.read(image.loc.mp, mp.data(), mp.size());
  image.read(image.loc.global_max_fast, &max_fast, 8);
  // The copy lives elsewhere: its list pointers still name the original addresses (wild here);
  // what matters is that both readings of the copy agree.
  HeapLocation here;
  here.heap_base = reinterpret_cast<uint64_t>(heap.data());
  here.heap_end = here.heap_base + heap.size();
  here.arena = reinterpret_cast<uint64_t>(arena.data());
  here.mp = reinterpret_cast<uint64_t>(mp.data());
  here.global_max_fast = reinterpret_cast<uint64_t>(&max_fast);
  here.tcache = image.loc.tcache ? here.heap_base + (image.loc.tcache - image.loc.heap_base) : 0;
  // mp_.sbrk_base must name the new heap base for the location to be accepted, and the list of
  // arenas hold the copy alone (as main_arena's does without threads).
  std::memcpy(mp.data() + image.layout.mp_sbrk_base, &here.heap_base, 8);
  std::memcpy(arena.data() + image.layout.binmap + 16, &here.arena, 8);
  const ArenaLayout l = to_arena_layout(image.layout);
  const ArenaWhere where{here.heap_base, here.heap_end,        here.arena,
                         here.mp,        here.global_max_fast, here.tcache};
  struct Direct : MemoryReader {
    bool read(uint64_t addr, void* out, size_t n) const override {
      std::memcpy(out, reinterpret_cast<const void*>(addr), n);
      return true;
    }
  };
  const uint64_t here_digest = arena_digest_here(&l, &where);
  // Same as the walk through a reader limited to the same regions.
  HeapImage regions = HeapImage::capture(Direct(), here, image.layout);
  EXPECT_EQ(here_digest, arena_digest(regions, here, image.layout));
}

// Threads' arenas: every state of a threaded Program, its snapshot and digest hold each other
// arena (bins, top, counters, heap), and a change there changes both.
std::vector<HeapImage> threaded_states() {
  return twin_states_of({parse_script(R"(
    a = malloc 0x18
    t1: b = malloc 0x10000
    t1: c = malloc 0x10000
    t1: d = malloc 0x88
    t1: e = malloc 0x18
    t2: f = malloc 0x428
    t2: g = malloc 0x18
    t1: free d
    t1: free b
    t2: free f
    t1: h = malloc 0x500
    t1: free c
  )")});
}

TEST(ArenaDigest, OtherArenasAreWalkedToo) {
  const std::vector<HeapImage> all = threaded_states();
  ASSERT_EQ(all.size(), 12u);
  const ArenaSnapshot first = read_arena(all[0], all[0].loc, all[0].layout);
  EXPECT_TRUE(first.others.empty());  // before any thread
  const ArenaSnapshot last = read_arena(all.back(), all.back().loc, all.back().layout);
  ASSERT_EQ(last.others.size(), 2u);
  EXPECT_EQ(last.others[0].number, 1u);
  EXPECT_EQ(last.others[1].number, 2u);
  for (const OtherArena& o : last.others) {
    ASSERT_TRUE(o.state.valid) << o.state.invalid_reason;
    EXPECT_EQ(o.heaps, 1u);
    EXPECT_EQ(o.attached_threads, 1u);
    EXPECT_GT(o.state.system_mem, 0u);
    EXPECT_GE(o.state.top.offset, 0x8d0);  // past heap_info and malloc_state
  }
  // t2's freed 0x430 chunk sits in arena2's unsorted bin; t1's 0x90 went to its tcache.
  ASSERT_EQ(last.others[1].state.bins[1].chunks.size(), 1u);
  EXPECT_EQ(last.others[1].state.bins[1].chunks[0].size, 0x430u);
  size_t different = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    const ArenaSnapshot s = read_arena(all[i], all[i].loc, all[i].layout);
    ASSERT_EQ(walk_digest(all[i]), digest_of(s)) << "state " << i;
    if (i > 0) {
      const ArenaSnapshot p = read_arena(all[i - 1], all[i - 1].loc, all[i - 1].layout);
      const bool same = first_difference(p, s).empty();
      ASSERT_EQ(same, walk_digest(all[i - 1]) == walk_digest(all[i])) << first_difference(p, s);
      different += !same;
    }
  }
  EXPECT_GE(different, 9u);  // every op but main_arena's own changes something
}

TEST(ArenaDigest, AChangeInAnotherArenaIsADifference) {
  const std::vector<HeapImage> all = threaded_states();
  const HeapImage& before = all.back();
  const ArenaSnapshot s = read_arena(before, before.loc, before.layout);
  ASSERT_EQ(s.others.size(), 2u);
  // arena2's top one page smaller, as a trim that released a page more would leave it.
  HeapImage image = before;
  uint64_t arena2 = 0, top = 0, size = 0;
  ASSERT_TRUE(image.read_u64(before.loc.arena + before.layout.binmap + 16, &arena2));  // newest
  ASSERT_TRUE(image.read_u64(arena2 + before.layout.top, &top));
  ASSERT_TRUE(image.read_u64(top + 8, &size));
  ASSERT_TRUE(image.write_u64(top + 8, size - 0x1000));
  const ArenaSnapshot t = read_arena(image, image.loc, image.layout);
  const std::string difference = first_difference(s, t);
  EXPECT_EQ(difference.rfind("arena2: top: ", 0), 0u) << difference;
  EXPECT_NE(difference.find(hex((size & ~uint64_t{7}) - 0x1000)), std::string::npos) << difference;
  EXPECT_NE(walk_digest(before), walk_digest(image));
  EXPECT_EQ(walk_digest(image), digest_of(t));
  // A forged list of arenas (main_arena.next at itself + 8) is named, never followed blindly.
  ASSERT_TRUE(image.write_u64(before.loc.arena + before.layout.binmap + 16, before.loc.arena + 8));
  const ArenaSnapshot forged = read_arena(image, image.loc, image.layout);
  ASSERT_EQ(forged.others.size(), 1u);
  EXPECT_EQ(forged.others[0].state.invalid_reason,
            "the list of arenas does not come back to main_arena");
  EXPECT_EQ(walk_digest(image), digest_of(forged));
}

// The other threads' tcaches: after the arenas, each thread's (t1 .. t7), its entries in a
// thread's heap named by arena (arena1+OFFSET); a count changed in t1's alone is a difference of
// snapshots ("t1 tcache: ...") and of digests; a location without threads walks none.
TEST(ArenaDigest, OtherThreadsTcachesAreWalkedToo) {
  const std::vector<HeapImage> all = threaded_states();
  const HeapImage& before = all.back();
  const ArenaSnapshot s = read_arena(before, before.loc, before.layout);
  ASSERT_EQ(s.thread_tcaches.size(), 2u);
  const ThreadTcache& t1 = s.thread_tcaches[0];
  EXPECT_EQ(t1.thread, 1u);
  EXPECT_EQ(s.thread_tcaches[1].thread, 2u);
  ASSERT_TRUE(t1.present) << t1.invalid_reason;
  EXPECT_EQ(t1.counts[7], 1u);  // t1 freed d (0x90) into its own tcache
  ASSERT_EQ(t1.lists[7].chunks.size(), 1u);
  const ChunkRef d = t1.lists[7].chunks[0];
  EXPECT_FALSE(d.wild);
  EXPECT_EQ(d.arena, 1u);
  EXPECT_EQ(d.heap, 0u);
  EXPECT_EQ(d.size, 0x90u);
  EXPECT_TRUE(s.thread_tcaches[1].present);  // t2's is empty: its 0x430 went to its arena
  EXPECT_EQ(walk_digest(before), digest_of(s));
  HeapImage image = before;
  const uint64_t counts = before.loc.thread_tcaches[1] + 8;  // bins 4 .. 7 (16-bit counts)
  uint64_t word = 0;
  ASSERT_TRUE(image.read_u64(counts, &word));
  ASSERT_TRUE(image.write_u64(counts, word + (uint64_t{1} << 48)));
  const ArenaSnapshot t = read_arena(image, image.loc, image.layout);
  EXPECT_EQ(first_difference(s, t), "t1 tcache: tcache[7] (0x90) count: 1 vs 2");
  EXPECT_NE(walk_digest(before), walk_digest(image));
  EXPECT_EQ(walk_digest(image), digest_of(t));
  // No opinion on them: none walked, none in the snapshot.
  HeapImage without = before;
  without.loc.threads = 0;
  const ArenaSnapshot u = read_arena(without, without.loc, without.layout);
  EXPECT_TRUE(u.thread_tcaches.empty());
  EXPECT_EQ(walk_digest(without), digest_of(u));
  EXPECT_NE(walk_digest(without), walk_digest(before));
}

// Each INVALID event's words, with its value where it has one; a code the walk never emits is
// "not an arena". Snapshots hold these words and digests hash them: they must not drift.
TEST(ArenaInvalidText, EachCodeSaysWhyTheWalkStopped) {
  struct Case {
    uint32_t code;
    uint64_t value;
    const char* text;
  };
  const Case cases[] = {
      {ARENA_INVALID_NOT_LOCATED, 0, "main_arena, mp_ or global_max_fast not located"},
      {ARENA_INVALID_HEAP_END, 0, "heap end below heap base"},
      {ARENA_INVALID_ARENA_UNREADABLE, 0x1000, "main_arena unreadable at 0x1000"},
      {ARENA_INVALID_MP_UNREADABLE, 0x2a0, "mp_ unreadable at 0x2a0"},
      {ARENA_INVALID_MAX_FAST_UNREADABLE, 0, "global_max_fast unreadable at 0x0"},
      {ARENA_INVALID_SBRK_BASE, 0x20, "mp_.sbrk_base is not the heap base (it is heap+0x20)"},
      {ARENA_INVALID_SBRK_BASE, static_cast<uint64_t>(-0x10),
       "mp_.sbrk_base is not the heap base (it is heap-0x10)"},
      {ARENA_INVALID_SBRK_BASE, uint64_t{1} << 40,
       "mp_.sbrk_base is not the heap base (it is far from the heap)"},
      {ARENA_INVALID_SBRK_BASE, static_cast<uint64_t>(-(int64_t{1} << 32)),
       "mp_.sbrk_base is not the heap base (it is far from the heap)"},
      {ARENA_INVALID_SBRK_NO_HEAP, 0, "mp_.sbrk_base set but no heap"},
      {ARENA_INVALID_TCACHE_BINS, 1000,
       "mp_.tcache_bins out of range (1000): the mp_ address looks wrong"},
      {ARENA_INVALID_MAX_FAST, 0x1234, "global_max_fast 0x1234 out of range"},
      {ARENA_INVALID_TOP_NO_HEAP, 0, "top is not in the heap although the heap exists"},
      {ARENA_INVALID_TOP_OUTSIDE, static_cast<uint64_t>(-0x20),
       "top outside the heap (at heap-0x20)"},
      {ARENA_INVALID_TOP_PAST_END, 0, "top's size runs past the heap end"},
      {ARENA_INVALID_ODD_HEADS, 3, "3 bin heads point neither at themselves nor into the heap"},
      {ARENA_INVALID_TCACHE_UNREADABLE, 0x10, "tcache struct unreadable at heap+0x10"},
      {ARENA_INVALID_ARENA_LIST, 0, "the list of arenas does not come back to main_arena"},
      {ARENA_INVALID_ARENA_HEAP, 0, "no readable heap whose heap_info names the arena"},
      {ARENA_INVALID_THREAD_TCACHE, uint64_t{1} << 40,
       "tcache struct unreadable: far from the heap"},
      {ARENA_INVALID_THREAD_TCACHE, 0x2a0, "tcache struct unreadable: heap+0x2a0"},
      {0, 0, "not an arena"},
      {ARENA_INVALID_THREAD_TCACHE + 1, 0, "not an arena"},
  };
  for (const Case& c : cases) {
    ArenaEvent e{};
    e.kind = ARENA_EV_INVALID;
    e.code = c.code;
    e.value = c.value;
    char buf[128];
    const size_t n = arena_invalid_text(&e, buf, sizeof buf);
    EXPECT_EQ(std::string(buf), c.text) << "code " << c.code;
    EXPECT_EQ(n, std::strlen(c.text)) << "code " << c.code;
  }
  // Cut at the buffer, the full length still returned.
  ArenaEvent e{};
  e.kind = ARENA_EV_INVALID;
  e.code = ARENA_INVALID_HEAP_END;
  char small[5];
  EXPECT_EQ(arena_invalid_text(&e, small, sizeof small), std::strlen("heap end below heap base"));
  EXPECT_EQ(std::string(small), "heap");
}

}  // namespace
}  // namespace heaptwin
