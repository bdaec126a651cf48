// The heap view over a hand-built arena: list walks stop at cycles and wild pointers, and the
// self-check refuses a location that is not an arena.
#include "oracle/heap_view.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <vector>

namespace heaptwin {
namespace {

class FakeMemory : public MemoryReader {
 public:
  void map(uint64_t base, size_t n) { regions_[base].assign(n, 0); }
  void put(uint64_t addr, uint64_t v) {
    for (auto& [base, bytes] : regions_) {
      if (addr >= base && addr + 8 <= base + bytes.size()) {
        std::memcpy(bytes.data() + (addr - base), &v, 8);
        return;
      }
    }
    ADD_FAILURE() << "unmapped " << addr;
  }
  bool read(uint64_t addr, void* out, size_t n) const override {
    for (const auto& [base, bytes] : regions_) {
      if (addr >= base && addr + n <= base + bytes.size()) {
        std::memcpy(out, bytes.data() + (addr - base), n);
        return true;
      }
    }
    return false;
  }

 private:
  std::map<uint64_t, std::vector<unsigned char>> regions_;
};

constexpr uint64_t kArena = 0x10000, kMp = 0x20000, kMaxFast = 0x30000, kHeap = 0x100000;

class HeapViewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    layout_ = *glibc_layout("2.36");
    mem_.map(kArena, 0x898);
    mem_.map(kMp, 0x100);
    mem_.map(kMaxFast, 8);
    mem_.map(kHeap, 0x21000);
    mem_.put(kMaxFast, 0x80);
    mem_.put(kMp + layout_.mp_sbrk_base, kHeap);
    mem_.put(kMp + layout_.mp_tcache_bins, 64);
    mem_.put(kMp + layout_.mp_tcache_count, 7);
    for (int i = 1; i < 127; ++i) {  // empty bins point at themselves
      uint64_t head = layout_.bin_at(kArena, i);
      mem_.put(head + 0x10, head);
      mem_.put(head + 0x18, head);
    }
    mem_.put(kHeap + 8, 0x291);  // the tcache struct
    chunk(0x290, 0x21);
    chunk(0x2b0, 0x21);
    chunk(0x2d0, 0x20d31);  // top
    mem_.put(kArena + layout_.top, kHeap + 0x2d0);
    loc_ = {kHeap, kHeap + 0x21000, kArena, kMp, kMaxFast, kHeap + 0x10};
  }
  void chunk(uint64_t off, uint64_t size) { mem_.put(kHeap + off + 8, size); }
  // tcache bin 0 holds user pointers; next is safe-linked.
  void tcache_next(uint64_t from_off, uint64_t to_user) {
    uint64_t pos = kHeap + from_off + 0x10;
    mem_.put(pos, reveal_ptr(pos, to_user));
  }
  FakeMemory mem_;
  GlibcLayout layout_;
  HeapLocation loc_;
};

TEST_F(HeapViewTest, ReadsATcacheList) {
  mem_.put(kHeap + 0x10, 2);                            // counts[0]
  mem_.put(kHeap + 0x10 + 0x80, kHeap + 0x2b0 + 0x10);  // entries[0]
  tcache_next(0x2b0, kHeap + 0x290 + 0x10);
  tcache_next(0x290, 0);
  ArenaSnapshot s = read_arena(mem_, loc_, layout_);
  ASSERT_TRUE(s.valid) << s.invalid_reason;
  EXPECT_EQ(s.tcache_counts[0], 2);
  ASSERT_EQ(s.tcache[0].chunks.size(), 2u);
  EXPECT_EQ(s.tcache[0].chunks[0], (ChunkRef{0x2b0, 0x20, false}));
  EXPECT_EQ(s.tcache[0].chunks[1], (ChunkRef{0x290, 0x20, false}));
  EXPECT_EQ(s.tcache[0].broken, "");
  EXPECT_EQ(s.top, (ChunkRef{0x2d0, 0x20d30, false}));
}

TEST_F(HeapViewTest, ACycleEndsTheWalk) {
  mem_.put(kHeap + 0x10 + 0x80, kHeap + 0x2b0 + 0x10);
  tcache_next(0x2b0, kHeap + 0x290 + 0x10);
  tcache_next(0x290, kHeap + 0x2b0 + 0x10);
  ArenaSnapshot s = read_arena(mem_, loc_, layout_);
  ASSERT_TRUE(s.valid);
  EXPECT_EQ(s.tcache[0].chunks.size(), 2u);
  EXPECT_NE(s.tcache[0].broken.find("cycle"), std::string::npos);
}

TEST_F(HeapViewTest, AWildPointerIsKeptRawAndEndsTheWalk) {
  mem_.put(kArena + layout_.fastbins + 8, kHeap + 0x2b0);  // fastbin[1]
  mem_.put(kHeap + 0x2b0 + 0x10, reveal_ptr(kHeap + 0x2b0 + 0x10, 0x4141414141414140));
  ArenaSnapshot s = read_arena(mem_, loc_, layout_);
  ASSERT_TRUE(s.valid);
  ASSERT_EQ(s.fastbins[1].chunks.size(), 2u);
  EXPECT_TRUE(s.fastbins[1].chunks[1].wild);
  EXPECT_EQ(s.fastbins[1].chunks[1].offset, 0x4141414141414140);
  EXPECT_NE(s.fastbins[1].broken.find("wild"), std::string::npos);
}

TEST_F(HeapViewTest, RefusesAWrongLocation) {
  HeapLocation wrong = loc_;
  wrong.arena = kArena + 0x100;  // not the arena: reads garbage
  mem_.map(kArena + 0x898, 0x200);
  EXPECT_FALSE(read_arena(mem_, wrong, layout_).valid);
  wrong = loc_;
  wrong.mp = kMp + 8;  // sbrk_base read from the wrong place
  ArenaSnapshot s = read_arena(mem_, wrong, layout_);
  EXPECT_FALSE(s.valid);
  EXPECT_NE(s.invalid_reason.find("sbrk_base"), std::string::npos) << s.invalid_reason;
}

TEST_F(HeapViewTest, WalksChunksToTop) {
  std::string broken;
  auto chunks = walk_chunks(mem_, loc_, layout_, &broken);
  EXPECT_EQ(broken, "");
  ASSERT_EQ(chunks.size(), 4u);
  EXPECT_EQ(chunks[0].size, 0x290u);
  EXPECT_TRUE(chunks[3].is_top);
}

}  // namespace
}  // namespace heaptwin
