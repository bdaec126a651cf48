// The unsorted scan stops after MAX_ITERS (10,000) chunks, leaving the rest in the unsorted bin.
// Only then can the split paths meet a non-empty unsorted bin, so only then are two of glibc's
// checks reachable: "malloc(): corrupted unsorted chunks" (a large request split by best fit)
// and "malloc(): corrupted unsorted chunks 2" (the binmap search's split). Each story here is
// ~50,000 ops long, which is why it is built in code rather than written as a .heap file; every
// expectation is what real glibc does, run live beside the twin.
//
// The story, with tcache off (glibc.malloc.tcache_count=0) so that every free lands in a bin:
//  1. a pool: 10,001 small chunks of three sizes, each walled in by a bigger guard that is never
//  freed,
//     freed in batches of at most 4,000 (the slot limit) and sorted into their small bins by one
//     large malloc from top per batch;
//  2. one free 0x1100 chunk, for the best-fit story (the scan sorts it into its large bin);
//  3. 10,000 times: take a chunk from a small bin (a smallbin hit never scans the unsorted bin)
//     and free it into the unsorted bin;
//  4. (corrupting stories) overwrite the bk of the newest unsorted chunk, the one MAX_ITERS
//     leaves behind;
//  5. one malloc: it scans 10,000 chunks, stops, and splits.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/twin_and_glibc.h"

namespace heaptwin {
namespace {

constexpr int kMaxIters = 10000;
constexpr int kBatch = 4000;
// Larger than every pool chunk: a smaller guard request would be served by the binmap search,
// which splits the smallest bigger free chunk, a pool chunk.
constexpr uint64_t kGuard = 0xb8;

class StoryBuilder {
 public:
  SlotId slot(const std::string& name) { return program_.intern(name); }
  void malloc(SlotId dst, uint64_t size) {
    Op op;
    op.kind = OpKind::kMalloc;
    op.dst = dst;
    op.a = size;
    program_.ops.push_back(op);
  }
  void free(SlotId src) {
    Op op;
    op.kind = OpKind::kFree;
    op.src = src;
    program_.ops.push_back(op);
  }
  void write8(SlotId src, int64_t offset, uint64_t value) {
    Op op;
    op.kind = OpKind::kWrite8;
    op.src = src;
    op.offset = offset;
    op.value.literal = value;
    program_.ops.push_back(op);
  }
  Program& program() { return program_; }

 private:
  Program program_;
};

// Steps 1-3; `last` holds the newest unsorted chunk afterwards.
Program fill_unsorted_past_max_iters(StoryBuilder* b, SlotId* last) {
  const SlotId guard = b->slot("guard"), big = b->slot("big"), sorter = b->slot("sorter");
  std::vector<SlotId> pool;
  for (int i = 0; i < kBatch; ++i) pool.push_back(b->slot("p" + std::to_string(i)));
  int left = kMaxIters + 1;
  for (uint64_t request : {0x88, 0x98, 0xa8}) {
    const int n = left < kBatch ? left : kBatch;
    for (int i = 0; i < n; ++i) {
      b->malloc(pool[i], request);
      b->malloc(guard, kGuard);
    }
    for (int i = 0; i < n; ++i) b->free(pool[i]);
    b->malloc(sorter, 0x2000);  // scans the batch into its small bin, then comes from top
    left -= n;
  }
  // Step 2, after the pool (earlier, a pool malloc would split it): from top into the unsorted
  // bin, where it is the oldest chunk; the final scan sorts it into its large bin first.
  b->malloc(big, 0x10f8);
  b->malloc(guard, kGuard);
  b->free(big);
  // Step 3: every malloc is a smallbin hit, every free goes to the unsorted bin.
  const SlotId moved = b->slot("moved");
  int to_move = kMaxIters;  // with the big chunk: exactly one more than a scan takes
  for (uint64_t request : {0x88, 0x98, 0xa8}) {
    for (int i = 0; i < kBatch && to_move > 0; ++i, --to_move) {
      b->malloc(moved, request);
      b->free(moved);
    }
  }
  *last = moved;
  return b->program();
}

class UnsortedMaxItersTest : public TwinAndGlibcTest {
 protected:
  void SetUp() override {
    TwinAndGlibcTest::SetUp();
    options_.tunables = {{"glibc.malloc.tcache_count", "0"}};
    options_.timeout_ms = 60000;
  }

  // Runs the story on both sides; returns glibc's outcome of the last op.
  Outcome run_both(const Program& program) {
    std::vector<Trace> traces = TwinAndGlibcTest::run_both(program, options_);
    EXPECT_EQ(traces[1].error, "");
    if (traces[1].outcomes.size() != program.ops.size()) {
      ADD_FAILURE() << "glibc ran " << traces[1].outcomes.size() << " of " << program.ops.size()
                    << " ops";
      return Outcome::timeout();
    }
    return traces[1].outcomes.back();
  }

  RunOptions options_;
};

// Both stories hold the twin to MAX_ITERS exactly: 10,001 chunks wait in the unsorted bin, so with
// a limit one higher nothing would be left behind, and no check would fire.
TEST_F(UnsortedMaxItersTest, BestFitSplitChecksTheUnsortedBin) {
  StoryBuilder b;
  SlotId last;
  fill_unsorted_past_max_iters(&b, &last);
  b.write8(last, 8, 0x4141414141414140);  // the left-behind chunk's bk
  const SlotId x = b.slot("x");
  b.malloc(x, 0x1008);
  Outcome out = run_both(b.program());
  EXPECT_EQ(out.kind, OutcomeKind::kAbort) << to_string(out);
  EXPECT_EQ(out.message, "malloc(): corrupted unsorted chunks");
}

TEST_F(UnsortedMaxItersTest, BinmapSplitChecksTheUnsortedBin) {
  StoryBuilder b;
  SlotId last;
  fill_unsorted_past_max_iters(&b, &last);
  b.write8(last, 8, 0x4141414141414140);
  const SlotId x = b.slot("x");
  b.malloc(x, 0x18);  // no 0x20 chunk anywhere: the binmap search splits a bigger small chunk
  Outcome out = run_both(b.program());
  EXPECT_EQ(out.kind, OutcomeKind::kAbort) << to_string(out);
  EXPECT_EQ(out.message, "malloc(): corrupted unsorted chunks 2");
}

}  // namespace
}  // namespace heaptwin
