// Traces as text: the bins' names in the pwndbg-style form.
#include "oracle/trace_text.h"

#include <gtest/gtest.h>

namespace heaptwin {
namespace {

// A small bin is its one size; a large bin the sizes it holds, as glibc's largebin_index_64
// spreads them (64 bytes wide from 0x400, then 512, 4096, 32 KiB, 256 KiB; the last open).
TEST(TraceText, BinsAreNamedByTheSizesTheyHold) {
  const struct {
    int index;
    const char* name;
  } bins[] = {
      {2, "[0x20]"},
      {63, "[0x3f0]"},
      {64, "[0x400, 0x440)"},
      {96, "[0xc00, 0xc40)"},
      {97, "[0xc40, 0xe00)"},
      {111, "[0x2800, 0x2a00)"},
      {112, "[0x2a00, 0x3000)"},
      {120, "[0xa000, 0x10000)"},
      {121, "[0x10000, 0x18000)"},
      {124, "[0x28000, 0x40000)"},
      {125, "[0x40000, 0x80000)"},
      {126, "[0x80000, ...)"},
  };
  for (const auto& bin : bins) EXPECT_EQ(bin_range(bin.index), bin.name) << "bin " << bin.index;
}

}  // namespace
}  // namespace heaptwin
