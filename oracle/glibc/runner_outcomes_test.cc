// How the glibc side turns a pre-2.26 child's death into an outcome. The messages are those real
// glibc 2.23 (release/2.23 build) printed for inputs that ./heaptwin fuzz --target attack
// --libc 2.23 found: after "*** Error in", 2.23 takes a backtrace that can fault, or meet the
// corrupted heap again and print a second message.
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

TEST(RunnerOutcomes, AFaultAfterAnErrorInMessageIsTheAbortItAnnounced) {
  Trace trace;
  trace.outcomes = {Outcome::done(), Outcome::fault(11, 0x4009a2, true)};
  fault_after_error_in("*** Error in `': munmap_chunk(): invalid pointer: heap+0x190 ***\n", &trace);
  EXPECT_EQ(trace.outcomes.back(),
            Outcome::abort("*** Error in `': munmap_chunk(): invalid pointer: heap+0x190 ***"));
}

TEST(RunnerOutcomes, AFaultWithoutSuchAMessageStaysAFault) {
  Trace trace;
  trace.outcomes = {Outcome::fault(11, 0x10, false)};
  fault_after_error_in("", &trace);
  fault_after_error_in("free(): invalid pointer\n", &trace);  // 2.26+: abort() comes first
  EXPECT_EQ(trace.outcomes.back(), Outcome::fault(11, 0x10, false));
}

}  // namespace
}  // namespace heaptwin
