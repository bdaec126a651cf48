// The incremental check's tracing of written 16-byte lines to the chunks they may belong to
// (list_walk.cc: each chunk looked at once, from the sorted lines): a corruption behind another
// write is still found. Apart from heap_check_incremental_test.cc, which is near 500 lines.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "allocator/test_support.h"
#include "oracle/heap_check.h"
#include "oracle/heap_check_incremental.h"
#include "oracle/heap_check_planted.h"
#include "oracle/heap_image.h"
#include "oracle/heap_view.h"
#include "oracle/twin_heap_for_tests.h"

namespace heaptwin {
namespace {

using testing::describe;
using testing::TwinHeap;

// A write to a chunk's size or links found behind other writes: the check traces each written
// 16-byte line to the chunks whose words it may hold, once per chunk, skipping chunks already
// looked at for an earlier (lower) line. Here every chunk's field is corrupted while a word just
// below it (0x10, 0x20 or 0x30 lower, rewritten unchanged) was written too, so a skip that is one
// line too eager misses the corruption while the full check finds it.
TEST(TwinHeaps, CorruptionBehindAnotherWriteIsFound) {
  TwinHeap h;
  h.fill_every_kind_of_bin(120, 40);
  const HeapImage clean = HeapImage::capture(h.reader, h.loc(), h.layout);
  ASSERT_TRUE(check_heap(clean, clean.loc, clean.layout).empty());
  const uint64_t top = planted::top_of(clean);
  IncrementalHeapChecker inc;
  size_t found_by_full = 0;
  for (uint64_t c = clean.loc.heap_base; c < top; c += clean.u64(c + 8) & ~uint64_t{7}) {
    for (uint64_t below : {0x10, 0x20, 0x30}) {
      for (uint64_t field : {0x8, 0x10, 0x18, 0x20, 0x28}) {
        HeapImage m = clean;
        const uint64_t noise = c - below;
        if (noise < m.loc.heap_base) continue;
        m.write_u64(noise, m.u64(noise));
        m.write_u64(c + field, m.u64(c + field) ^ 0x100);
        const uint64_t written[] = {c + field, noise};
        ASSERT_TRUE(inc.full_check(clean, clean.loc, clean.layout).empty());
        const auto full_before = inc.stats().full;
        inc.check_op(m, m.loc, m.layout, written, 2, 200);
        const auto full = check_heap(m, m.loc, m.layout, CheckOptions{200});
        ASSERT_EQ(inc.stats().full, full_before) << "a full check instead";
        ASSERT_EQ(inc.last_incremental().empty(), full.empty())
            << "chunk " << std::hex << c << " field +" << field << " write at -" << below
            << "\nincremental:\n"
            << describe(inc.last_incremental()) << "full:\n"
            << describe(full);
        if (!full.empty()) ++found_by_full;
      }
    }
  }
  EXPECT_GT(found_by_full, 300u);
}

// A large-bin chunk whose fd_nextsize still names the group leader the op took out of the bin
// (a consolidation unlinked it; its follower leads now): the stale link leads to a chunk that is
// no longer in the list, which the incremental check asks of the chunks the op removed.
TEST(TwinHeaps, NextsizeLinkToAChunkTheOpTookOutIsFound) {
  for (bool in_process : {false, true}) {
    TwinHeap h;
    h.in_process = in_process;
    alloc::Allocator& t = h.twin.twin;
    auto chunk = [](alloc::Addr p) { return alloc::mem2chunk(alloc::UserAddr{p}).raw(); };
    const alloc::Addr a1 = t.malloc(0x418).raw(), n1 = t.malloc(0x4f8).raw();
    t.malloc(0x18);
    const alloc::Addr a2 = t.malloc(0x418).raw();
    t.malloc(0x18);
    const alloc::Addr c = t.malloc(0x428).raw();
    t.malloc(0x18);
    for (alloc::Addr p : {a1, a2, c}) t.free(alloc::UserAddr{p});
    t.malloc(0x600);  // sorts them into largebins[0x400-0x430]: c, then a1 leading a2
    ASSERT_TRUE(h.check().empty());
    ASSERT_EQ(h.word(chunk(c) + 0x20), chunk(a1)) << "c's fd_nextsize names a1";
    t.free(alloc::UserAddr{n1});  // merges with a1: a1 leaves the bin, a2 leads its group
    ASSERT_EQ(h.word(chunk(c) + 0x20), chunk(a2));
    h.plant(chunk(c) + 0x20, chunk(a1));  // the unlink forgot c's link
    const auto found = h.check();
    const auto full = h.full();
    EXPECT_TRUE(testing::rules_of(full).count("largebin.nextsize")) << describe(full);
    EXPECT_EQ(testing::rules_of(found), testing::rules_of(full)) << "incremental:\n"
                                                                 << describe(found) << "full:\n"
                                                                 << describe(full);
  }
}

}  // namespace
}  // namespace heaptwin
