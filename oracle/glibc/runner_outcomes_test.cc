// How the glibc side reads a pre-2.26 child's message. The messages are those real glibc 2.23
// (release/2.23 build) printed for inputs that ./heaptwin fuzz --target attack --libc 2.23 found:
// after "*** Error in", 2.23 takes a backtrace that printed more (runner_backtrace.c now keeps
// that backtrace out of the heap; where libgcc_s loads it still prints its frames).
#include "oracle/glibc/runner_outcomes.h"

#include <gtest/gtest.h>

namespace heaptwin {
namespace {

ReadPlaces heap_at(uint64_t base) {
  ReadPlaces p{};
  p.heap_base = base;
  p.heap_end = base + 0x21000;
  return p;
}

TEST(RunnerOutcomes, OnlyTheFirstErrorInLineIsTheMessage) {
  const std::string printed =
      "*** Error in `/runner': munmap_chunk(): invalid pointer: 0x0000555559000040 ***\n"
      "*** Error in `/runner': malloc(): memory corruption: 0x0000555559000040 ***\n";
  EXPECT_EQ(process_independent_message(printed, "/runner", heap_at(0x555559000000)),
            "*** Error in `': munmap_chunk(): invalid pointer: heap+0x40 ***");
}

// A chunk of a thread's arena is named by arena, heap and offset (the runner read them from
// heap_info), never by its address: heaps lie wherever the kernel maps them. A pointer outside
// the heap that the runner could not place stays the raw offset it always was.
TEST(RunnerOutcomes, AChunkOfANonMainArenaIsNamedByItsArenaAndHeap) {
  Op malloc_op;
  malloc_op.kind = OpKind::kMalloc;
  RunnerRecord r{};
  r.kind = RUNNER_RETURNED;
  r.pointer = 0x7f1234000b70;
  r.chunk_size = 0x25;  // 0x20 | NON_MAIN_ARENA | PREV_INUSE
  r.heap_end = 0x555559021000;
  r.arena = 2;
  r.arena_heap = 1;
  r.arena_heap_offset = 0xb70;
  const Outcome o = outcome_of(malloc_op, r, 0x555559000000);
  EXPECT_EQ(o, Outcome::arena_pointer(2, 1, 0xb70));
  EXPECT_EQ(to_string(o), "arena2.heap1+0xb70");
  EXPECT_EQ(to_string(Outcome::arena_pointer(1, 0, 0x40)), "arena1+0x40");
  EXPECT_NE(Outcome::arena_pointer(1, 0, 0x40), Outcome::arena_pointer(2, 0, 0x40));
  EXPECT_NE(Outcome::arena_pointer(1, 0, 0x40), Outcome::arena_pointer(1, 1, 0x40));
  r.arena = 0;
  EXPECT_EQ(outcome_of(malloc_op, r, 0x555559000000).kind, OutcomeKind::kPointer);
  Op free_op;
  free_op.kind = OpKind::kFree;
  r.arena = 2;
  EXPECT_EQ(outcome_of(free_op, r, 0x555559000000), Outcome::done());
}

}  // namespace
}  // namespace heaptwin
