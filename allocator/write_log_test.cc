// The write log: every store the allocator makes into a chunk or a bin head is noted, none when
// no log is set, and a log that fills says so.
#include "allocator/write_log.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "allocator/test_support.h"

namespace heaptwin::alloc {
namespace {

bool has(const std::vector<uint64_t>& v, uint64_t a) {
  return std::find(v.begin(), v.end(), a) != v.end();
}

TEST(WriteLog, NotesTheWordsAFreeIntoTheUnsortedBinWrites) {
  TestTwin t;
  const Addr a = t.twin.malloc(0x418).raw(), g = t.twin.malloc(0x18).raw();
  std::vector<uint64_t> entries(64);
  WriteLog log;
  log.entries = entries.data();
  log.capacity = entries.size();
  t.twin.set_write_log(&log);
  t.twin.free(UserAddr{a});  // too big for the tcache: into the unsorted bin
  const std::vector<uint64_t> w(entries.begin(), entries.begin() + static_cast<long>(log.size));
  const Addr p = mem2chunk(UserAddr{a}).raw(), next = mem2chunk(UserAddr{g}).raw();
  EXPECT_TRUE(has(w, p + 0x8));               // its size (set_head)
  EXPECT_TRUE(has(w, p + 0x10));              // fd
  EXPECT_TRUE(has(w, p + 0x18));              // bk
  EXPECT_TRUE(has(w, p + 0x20));              // fd_nextsize (large)
  EXPECT_TRUE(has(w, next));                  // the footer: next chunk's prev_size
  EXPECT_TRUE(has(w, next + 0x8));            // next chunk's PREV_INUSE cleared
  EXPECT_TRUE(has(w, t.bin_head(1) + 0x10));  // the unsorted bin's head
  EXPECT_FALSE(log.overflowed);
}

TEST(WriteLog, OffNotesNothingAndAFullLogSaysSo) {
  TestTwin t;
  std::vector<uint64_t> entries(2);
  WriteLog log;
  log.entries = entries.data();
  log.capacity = entries.size();
  const Addr a = t.twin.malloc(0x418).raw();
  t.twin.malloc(0x18).raw();
  t.twin.free(UserAddr{a});  // no log set
  EXPECT_EQ(log.size, 0u);
  t.twin.set_write_log(&log);
  t.twin.free(UserAddr{t.twin.malloc(0x418)});
  EXPECT_EQ(log.size, 2u);
  EXPECT_TRUE(log.overflowed);
  log.clear();
  EXPECT_EQ(log.size, 0u);
  EXPECT_FALSE(log.overflowed);
}

}  // namespace
}  // namespace heaptwin::alloc
