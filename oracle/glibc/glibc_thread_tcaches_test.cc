// The other threads' tcaches (t1 .. t7) on the real-glibc side and in the judgement: each worker
// thread of the runner's child finds its own glibc thread-local `tcache` (runner_threads.c), so
// digests and snapshots hold every thread's tcache, and a divergence there is found at the op that
// made it. Every expected value below was measured on glibc 2.36.
#include <gnu/libc-version.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "oracle/executor.h"
#include "oracle/glibc/glibc_side_for_tests.h"
#include "oracle/heap_view.h"
#include "program/parse_for_tests.h"

namespace heaptwin {

namespace {

// t1 caches two chunks of its own arena, t2 one of its own and then t0's `a`; no other part of
// the heap changes at those frees (tests/golden/threads/thread_tcaches.heap).
const char* const kOwnTcaches =
    "a = malloc 0x18\n"
    "t1: x = malloc 0x18\n"
    "t1: y = malloc 0x28\n"
    "t1: free x\n"
    "t1: free y\n"
    "t2: z = malloc 0x18\n"
    "t2: free z\n"
    "t2: free a\n"
    "t1: w = malloc 0x18\n";

using GlibcThreadTcachesTest = Glibc236SideFixture;

ChunkRef in_arena(uint16_t arena, int64_t offset, uint64_t size) {
  ChunkRef r;
  r.offset = offset;
  r.size = size;
  r.arena = arena;
  return r;
}

TEST_F(GlibcThreadTcachesTest, EachThreadsTcacheIsInTheSnapshot) {
  const Trace t = run(kOwnTcaches, /*snapshots=*/true);
  ASSERT_EQ(t.states.size(), 9u);
  EXPECT_TRUE(t.states[0].thread_tcaches.empty());  // no thread yet
  const ArenaSnapshot& s3 = t.states[3];            // t1: free x
  ASSERT_EQ(s3.thread_tcaches.size(), 1u);
  EXPECT_EQ(s3.thread_tcaches[0].thread, 1u);
  EXPECT_TRUE(s3.thread_tcaches[0].present);
  EXPECT_EQ(s3.thread_tcaches[0].counts[0], 1u);
  EXPECT_EQ(s3.thread_tcaches[0].lists[0].chunks, std::vector<ChunkRef>{in_arena(1, 0xb60, 0x20)});
  const ArenaSnapshot& s7 = t.states[7];  // t2: free a (t0's chunk, into t2's tcache)
  ASSERT_EQ(s7.thread_tcaches.size(), 2u);
  const ThreadTcache& t2 = s7.thread_tcaches[1];
  EXPECT_EQ(t2.thread, 2u);
  EXPECT_EQ(t2.counts[0], 2u);
  ASSERT_EQ(t2.lists[0].chunks.size(), 2u);
  EXPECT_EQ(t2.lists[0].chunks[0].offset, 0x290);  // `a`, in the main heap
  EXPECT_EQ(t2.lists[0].chunks[0].arena, 0u);
  EXPECT_EQ(t2.lists[0].chunks[1], in_arena(2, 0xb60, 0x20));
  // t1's malloc of 0x18 took its own chunk back.
  EXPECT_EQ(t.outcomes[8], Outcome::arena_pointer(1, 0, 0xb70));
  EXPECT_EQ(t.states[8].thread_tcaches[0].counts[0], 0u);
  EXPECT_EQ(t.states[8].thread_tcaches[0].counts[1], 1u);
}

// The child's digest after each op (its own memory), the walk over the paused child (the parent's
// process_vm_readv, with the threads' tcaches from the control block) and the snapshot the child
// copied (its states carry the threads' tcache structs) say the same.
TEST_F(GlibcThreadTcachesTest, DigestsLiveAndCopiedSnapshotsAgree) {
  std::vector<uint64_t> exact;
  RunOptions live;
  live.digests = true;
  live.snapshots = true;
  live.inspect = [&exact](size_t, const MemoryReader& mem, const HeapLocation& loc,
                          const GlibcLayout& layout) {
    exact.push_back(arena_digest(mem, loc, layout));
  };
  const Trace paused = side_->run(parse_script(kOwnTcaches), live);
  ASSERT_EQ(paused.error, "");
  RunOptions copy;
  copy.digests = true;
  copy.snapshots = true;
  const Trace copied = side_->run(parse_script(kOwnTcaches), copy);
  ASSERT_EQ(copied.error, "");
  ASSERT_EQ(paused.digests.size(), 9u);
  ASSERT_EQ(exact.size(), 9u);
  ASSERT_EQ(copied.states.size(), 9u);
  for (size_t i = 0; i < 9; ++i) {
    EXPECT_EQ(paused.digests[i], exact[i]) << "op " << i;
    EXPECT_EQ(copied.digests[i], paused.digests[i]) << "op " << i;
    EXPECT_EQ(digest_of(copied.states[i]), copied.digests[i]) << "op " << i;
    EXPECT_EQ(first_difference(paused.states[i], copied.states[i]), "") << "op " << i;
  }
  EXPECT_EQ(copied.states[7].thread_tcaches.size(), 2u);
  // Asked not to (RunOptions::thread_tcaches), the side leaves them out.
  copy.thread_tcaches = false;
  const Trace none = side_->run(parse_script(kOwnTcaches), copy);
  ASSERT_EQ(none.states.size(), 9u);
  EXPECT_TRUE(none.states[7].thread_tcaches.empty());
  EXPECT_EQ(digest_of(none.states[7]), none.digests[7]);
}

// The twin, but running `swapped` (of the same length) whatever it is given: a twin whose t1
// frees its two chunks in the other order, which shows in t1's tcache alone.
class SwappedTwin : public Side {
 public:
  SwappedTwin(std::unique_ptr<Side> twin, Program swapped)
      : twin_(std::move(twin)), swapped_(std::move(swapped)) {}
  std::string name() const override { return twin_->name(); }
  Trace run(const Program& program, const RunOptions& options) override {
    Program p = swapped_;
    p.ops.resize(program.ops.size());  // the executor's second run is a prefix
    return twin_->run(p, options);
  }

 private:
  std::unique_ptr<Side> twin_;
  Program swapped_;
};

const char* const kFrees =
    "a = malloc 0x18\nt1: x = malloc 0x18\nt1: y = malloc 0x18\nt1: free x\nt1: free y\n"
    "b = malloc 0x18\n";
const char* const kFreesSwapped =
    "a = malloc 0x18\nt1: x = malloc 0x18\nt1: y = malloc 0x18\nt1: free y\nt1: free x\n"
    "b = malloc 0x18\n";

std::unique_ptr<Executor> twin_against(std::unique_ptr<Side> glibc, const char* twin_runs) {
  std::string error;
  auto twin = make_side("twin", &error);
  EXPECT_NE(twin, nullptr) << error;
  if (!twin || !glibc) return nullptr;
  std::vector<std::unique_ptr<Side>> sides;
  sides.push_back(std::make_unique<SwappedTwin>(std::move(twin), parse_script(twin_runs)));
  sides.push_back(std::move(glibc));
  return Executor::with_sides(*fuzz_target_config("threads"), std::move(sides));
}

// Every op's outcome agrees (free says done, and t1 mallocs nothing more), main_arena and the
// arenas agree: only t1's tcache holds x then y on one side, y then x on the other. Found at the
// first free, where it began, and named.
TEST_F(GlibcThreadTcachesTest, ADivergenceInT1sTcacheIsFoundAtTheOpThatMadeIt) {
  auto same = twin_against(glibc_side_for_test(), kFrees);
  ASSERT_NE(same, nullptr);
  const Program program = parse_script(kFrees);
  const Verdict agree = same->judge(program);
  EXPECT_EQ(agree.kind, Verdict::Kind::kAgree) << agree.report(program);
  EXPECT_TRUE(agree.not_compared.empty());

  auto swapped = twin_against(glibc_side_for_test(), kFreesSwapped);
  ASSERT_NE(swapped, nullptr);
  const Verdict v = swapped->judge(program);
  ASSERT_EQ(v.kind, Verdict::Kind::kFinding) << v.report(program);
  EXPECT_EQ(v.diff.first.op_index, 3u);  // twin vs glibc: y (0xb80) first vs x (0xb60)
  EXPECT_TRUE(v.diff.first.in_state);
  EXPECT_EQ(v.diff.first.what,
            "t1 tcache: tcache[0] (0x20): [arena1+0xb80 (0x20)] vs [arena1+0xb60 (0x20)]")
      << v.report(program);
}

// Without libc6-dbg the runner cannot find a thread's `tcache`: no side has an opinion on the
// threads' tcaches (the twin leaves them out too), the report says so, and nothing is found.
TEST_F(GlibcThreadTcachesTest, WithoutDebugSymbolsTheyAreNotComparedAndSaidSo) {
  auto bare = glibc_side_without_debug_symbols();
  ASSERT_NE(bare, nullptr);
  EXPECT_NE(bare->thread_tcaches_unknown(), "");
  EXPECT_EQ(side_->thread_tcaches_unknown(), "");
  auto executor = twin_against(std::move(bare), kFreesSwapped);
  ASSERT_NE(executor, nullptr);
  EXPECT_FALSE(executor->run_options().thread_tcaches);
  const Program program = parse_script(kFrees);
  const Verdict v = executor->judge(program);
  EXPECT_EQ(v.kind, Verdict::Kind::kAgree) << v.report(program);
  EXPECT_NE(v.not_compared.find("the threads' tcaches (t1 .. t7) were not compared: glibc: "),
            std::string::npos)
      << v.not_compared;
  EXPECT_NE(v.report(program).find(v.not_compared), std::string::npos);
  // A Program without threads has nothing to say about them.
  EXPECT_EQ(executor->judge(parse_script("a = malloc 0x18\nfree a\n")).not_compared, "");
}

}  // namespace
}  // namespace heaptwin
