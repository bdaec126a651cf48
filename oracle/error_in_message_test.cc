// 2.23's "*** Error in" pointer named as read8 names values, on the sides' own places.
#include "oracle/error_in_message.h"

#include <gtest/gtest.h>

namespace heaptwin {
namespace {

TEST(ErrorInMessage, NamesThePointerByWhereItLies) {
  ReadPlaces p{};
  p.heap_base = 0x555555000000;
  p.heap_end = 0x555655001000;  // a heap past the 4 GiB window: still the heap
  p.arena = 0x7ffff7dd1b20;
  p.arena_bytes = 0x890;
  EXPECT_EQ(error_in_message("free(): invalid size: 0x0000555555000010 ***", p),
            "*** Error in `': free(): invalid size: heap+0x10 ***");
  EXPECT_EQ(error_in_message("double free or corruption (fasttop): 0x0000555655000010 ***", p),
            "*** Error in `': double free or corruption (fasttop): heap+0x100000010 ***");
  EXPECT_EQ(error_in_message("malloc(): memory corruption (fast): 0x00007ffff7dd1b88 ***", p),
            "*** Error in `': malloc(): memory corruption (fast): main_arena+0x68 ***");
  // Nowhere it knows (an mmapped chunk's): its page offset; a small number as it is.
  EXPECT_EQ(error_in_message("munmap_chunk(): invalid pointer: 0x00007fffdead0010 ***", p),
            "*** Error in `': munmap_chunk(): invalid pointer: elsewhere+0x10 ***");
  EXPECT_EQ(error_in_message("free(): invalid pointer: 0x0000000041414141 ***", p),
            "*** Error in `': free(): invalid pointer: 0x0000000041414141 ***");
}

}  // namespace
}  // namespace heaptwin
