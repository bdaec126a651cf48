// The twin's debug-check tier (dcheck.h): on in this build (unit and sanitizer builds), a failed
// check names itself and stops the process; the twin's own runs never trip one.
#include "allocator/dcheck.h"

#include <gtest/gtest.h>

#include "allocator/test_support.h"

namespace heaptwin::alloc {
namespace {

TEST(DcheckTest, OnInUnitBuilds) { EXPECT_TRUE(kTwinDchecksOn); }

TEST(DcheckDeathTest, AFailedCheckSaysWhichAndAborts) {
  const int nb = 0x18;
  EXPECT_DEATH(HEAPTWIN_TWIN_DCHECK(nb % 16 == 0),
               "heaptwin: twin DCHECK failed: .*allocator/dcheck_test.cc:[0-9]+: nb % 16 == 0");
}

TEST(DcheckTest, APassingCheckIsANoOp) {
  int evaluated = 0;
  HEAPTWIN_TWIN_DCHECK(++evaluated == 1);
  EXPECT_EQ(evaluated, 1);
}

}  // namespace
}  // namespace heaptwin::alloc
