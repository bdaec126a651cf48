// The incremental check's direct path for a tcache or fastbin push or pop (oracle/check/
// cached_op.cc): ops of that shape with one word corrupted beside them (in the chunk, its
// neighbours, the tcache struct, main_arena), or the chunk filed into the next bin up, are found
// exactly when the full check finds them, with every rule it names, whether the direct path or
// the general check took them; and clean ones are taken directly.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "allocator/test_support.h"
#include "oracle/heap_check.h"
#include "oracle/heap_check_for_tests.h"
#include "oracle/heap_check_incremental.h"
#include "oracle/heap_check_planted.h"
#include "oracle/heap_image.h"
#include "oracle/twin_heap_for_tests.h"

namespace heaptwin {
namespace {

using testing::describe;
using testing::rules_of;
using testing::TwinHeap;

// One tcache op on a heap holding every kind of bin: the images before and after it, the words it
// stored (the write log), and the chunk it pushed or popped.
struct CachedOp {
  HeapImage before, after;
  std::vector<uint64_t> written;
  uint64_t chunk = 0;
};

// Kinds 0-9: a tcache op, 10-12: a fastbin op.
CachedOp cached_op(int kind) {
  TwinHeap h;
  alloc::Allocator& t = h.twin.twin;
  // Chunks of a size the bins below do not hold (0x40 or 0x80), taken from top first.
  const uint64_t request = kind % 2 == 0 || kind >= 10 ? 0x38 : 0x78;
  std::vector<alloc::Addr> held;
  for (int i = 0; i < 10; ++i) held.push_back(t.malloc(request).raw());
  h.fill_every_kind_of_bin(96, 24);
  CachedOp op;
  auto chunk = [](alloc::Addr p) { return alloc::mem2chunk(alloc::UserAddr{p}).raw(); };
  if (kind >= 10) {
    for (int i = 0; i < 7; ++i) t.free(alloc::UserAddr{held[i]});  // the tcache bin is full
    if (kind >= 11) t.free(alloc::UserAddr{held[7]});              // one in the fastbin
    if (kind == 12) {
      for (int i = 0; i < 7; ++i) t.malloc(request);  // the tcache bin empties
    }
    op.before = HeapImage::capture(h.reader, h.loc(), h.layout);
    h.inc.write_log()->clear();
    if (kind == 12) {  // a pop of the fastbin's only chunk: nothing to move into the tcache
      op.chunk = chunk(t.malloc(request).raw());
    } else {  // a push, into an empty fastbin or onto one chunk
      op.chunk = chunk(held[8]);
      t.free(alloc::UserAddr{held[8]});
    }
  } else {
    const int frees = kind < 2 ? 0 : (kind < 4 || kind >= 8 ? 1 : 5);
    for (int i = 0; i < frees; ++i) t.free(alloc::UserAddr{held[5 - i]});
    op.before = HeapImage::capture(h.reader, h.loc(), h.layout);
    h.inc.write_log()->clear();
    if (kind >= 6) {  // a pop, from a bin of five or one
      op.chunk = chunk(t.malloc(request).raw());
    } else {  // a push, into an empty bin, one holding one chunk, or five
      op.chunk = chunk(held[0]);
      t.free(alloc::UserAddr{held[0]});
    }
  }
  const alloc::WriteLog& log = *h.inc.write_log();
  op.written.assign(log.entries, log.entries + log.size);
  op.after = HeapImage::capture(h.reader, h.loc(), h.layout);
  return op;
}

// A word beside the op: in the chunk, the chunks around it, the tcache struct or main_arena.
uint64_t target(const CachedOp& op, uint64_t r, bool* logged) {
  const HeapImage& m = op.after;
  const uint64_t size = m.u64(op.chunk + 8) & ~uint64_t{7};
  *logged = true;
  switch (r % 6) {
    case 0: return op.chunk + 8 * (r / 6 % 4);         // prev_size, size, next, key
    case 1: return op.chunk + size + 8 * (r / 6 % 4);  // the next chunk
    case 2: return op.chunk - 0x40 + 8 * (r / 6 % 8);  // below it
    case 3: *logged = false; return m.loc.tcache + 2 * (r / 6 % 64) / 8 * 8;  // the counts
    case 4: *logged = false; return m.loc.tcache + 0x80 + 8 * (r / 6 % 64);   // the entries
    default: *logged = false; return m.loc.arena + 8 * (r / 6 % (0x898 / 8));
  }
}

// A push filed into the next bin up instead of its own (tcache_put or a fastbin push with a wrong
// index): the heads (and tcache counts) and the chunk's link as that op leaves them. Only that
// bin changed; the chunk's size is of the other one.
bool misfile(const CachedOp& op, bool fastbin, HeapImage* m) {
  const uint64_t h = op.chunk, size = m->u64(h + 8) & ~uint64_t{7};
  const uint64_t protect = (h + 0x10) >> 12;
  if (fastbin) {
    const uint64_t fb = op.after.loc.arena + 0x10, i = (size >> 4) - 2, j = i + 1;
    const uint64_t old_j = op.before.u64(fb + 8 * j);
    return m->write_u64(fb + 8 * i, op.before.u64(fb + 8 * i)) && m->write_u64(fb + 8 * j, h) &&
           m->write_u64(h + 0x10, protect ^ old_j);
  }
  const uint64_t tc = op.after.loc.tcache;
  const uint64_t i = (size - 0x11) >> 4, j = i + 1;
  auto set_count = [&](uint64_t bin, uint64_t value) {
    const uint64_t at = tc + 2 * bin / 8 * 8, shift = 16 * (bin % 4);
    return m->write_u64(at, (m->u64(at) & ~(uint64_t{0xffff} << shift)) | value << shift);
  };
  auto count_of = [&](const HeapImage& img, uint64_t bin) {
    return img.u64(tc + 2 * bin / 8 * 8) >> (16 * (bin % 4)) & 0xffff;
  };
  const uint64_t old_j = op.before.u64(tc + 0x80 + 8 * j);
  return set_count(i, count_of(op.before, i)) && set_count(j, count_of(op.before, j) + 1) &&
         m->write_u64(tc + 0x80 + 8 * i, op.before.u64(tc + 0x80 + 8 * i)) &&
         m->write_u64(tc + 0x80 + 8 * j, h + 0x10) && m->write_u64(h + 0x10, protect ^ old_j);
}

TEST(TwinHeaps, CachedOpsCheckedDirectlyFindWhatTheFullCheckFinds) {
  uint64_t seed = 0x2545f4914f6cdd1d;
  auto next = [&] {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  size_t direct = 0, found_by_both = 0, rounds = 0;
  for (int kind = 0; kind < 13; ++kind) {
    const CachedOp op = cached_op(kind);
    ASSERT_TRUE(check_heap(op.after, op.after.loc, op.after.layout).empty()) << "kind " << kind;
    IncrementalHeapChecker inc;
    for (int round = 0; round < 400; ++round, ++rounds) {
      HeapImage m = op.after;
      std::vector<uint64_t> written = op.written;
      const bool push = kind < 6 || kind == 10 || kind == 11;
      if (round % 8 == 4 && push) {
        ASSERT_TRUE(misfile(op, kind >= 10, &m));  // the chunk's line was written anyway
      } else if (round % 8 != 0) {                 // else clean
        bool logged = false;
        const uint64_t at = target(op, next(), &logged);
        const uint64_t was = m.u64(at);
        uint64_t value;
        switch (next() % 5) {
          case 0: value = was ^ (uint64_t{1} << (next() % 64)); break;
          case 1: value = was + 0x10; break;
          case 2: value = was - 0x10; break;
          case 3: value = 0; break;
          default: value = op.after.loc.heap_base + next() % 0x8000 / 16 * 16; break;
        }
        if (!m.write_u64(at, value)) continue;
        if (logged) written.push_back(at);
      }
      ASSERT_TRUE(inc.full_check(op.before, op.before.loc, op.before.layout).empty());
      const auto full_before = inc.stats().full, direct_before = inc.stats().cached_ops;
      inc.check_op(m, m.loc, m.layout, written.data(), written.size(), 200);
      const auto full = check_heap(m, m.loc, m.layout, CheckOptions{200});
      const bool incremental = inc.stats().full == full_before;
      const std::vector<Violation> found = incremental ? inc.last_incremental() : full;
      ASSERT_EQ(found.empty(), full.empty())
          << "kind " << kind << " round " << round << "\nincremental:\n"
          << describe(found) << "full:\n"
          << describe(full);
      if (inc.stats().cached_ops != direct_before) ++direct;
      if (round % 8 == 0) {
        EXPECT_EQ(inc.stats().cached_ops, direct_before + 1)
            << "kind " << kind << ": clean, direct";
      }
      if (!full.empty()) ++found_by_both;
      const std::set<std::string> full_rules = rules_of(full);
      if (full_rules.count("chunk.bad_size") || full_rules.count("chunk.unreadable")) continue;
      for (const std::string& rule : full_rules) {
        EXPECT_TRUE(rules_of(found).count(rule))
            << "kind " << kind << " round " << round << ": " << rule << "\nincremental:\n"
            << describe(found) << "full:\n"
            << describe(full);
      }
    }
  }
  EXPECT_GT(direct, rounds / 8) << "the clean ops and some harmless corruptions go direct";
  EXPECT_GT(found_by_both, rounds / 4);
}

}  // namespace
}  // namespace heaptwin
