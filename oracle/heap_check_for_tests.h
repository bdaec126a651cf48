// Test support for the heap checkers' suites: what a check reported, as text and as the set of
// rules broken, one real glibc side for a whole suite, and random corruption of a heap image.
// Header-only, in the tests' own sources.
#ifndef HEAPTWIN_ORACLE_HEAP_CHECK_FOR_TESTS_H_
#define HEAPTWIN_ORACLE_HEAP_CHECK_FOR_TESTS_H_

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "oracle/glibc/glibc_side.h"
#include "oracle/heap_check.h"
#include "oracle/heap_image.h"
#include "program/parse_for_tests.h"

namespace heaptwin::testing {

inline std::string describe(const std::vector<Violation>& vs) {
  std::string s;
  for (const auto& v : vs) s += "  " + to_string(v) + "\n";
  return s.empty() ? "  (none)\n" : s;
}

inline std::set<std::string> rules_of(const std::vector<Violation>& vs) {
  std::set<std::string> r;
  for (const auto& v : vs) r.insert(v.rule);
  return r;
}

// One host glibc side for all of a suite's tests (a runner per test would cost more than the
// checks), and runs of a script that hand real glibc's memory after each op to `inspect`.
class GlibcSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string error;
    side_ = make_glibc_side("glibc", &error).release();
    ASSERT_NE(side_, nullptr) << error;
  }
  static void TearDownTestSuite() {
    delete side_;
    side_ = nullptr;
  }
  static Trace run_inspecting(const std::string& text, HeapInspector inspect,
                              std::vector<std::pair<std::string, std::string>> tunables = {}) {
    RunOptions options;
    options.tunables = std::move(tunables);
    options.inspect = std::move(inspect);
    Trace t = side_->run(parse_script(text), options);
    EXPECT_EQ(t.error, "");
    return t;
  }
  static inline Side* side_ = nullptr;
};

// Random corruption of a heap image, the same in every run (xorshift from a fixed seed): 1 to 4
// words, mostly among the chunks, one in eight in a range of main_arena, each set to a random
// value, a heap address (any alignment, or a chunk's), a safe-linked chunk address, a small size
// or another heap word.
class RandomCorruption {
 public:
  // `used`: the bytes from the heap base that hold chunks; main_arena's words are those from
  // offset arena_from, arena_bytes of them.
  RandomCorruption(uint64_t base, uint64_t used, uint64_t arena_from, uint64_t arena_bytes)
      : base_(base), used_(used), arena_from_(arena_from), arena_bytes_(arena_bytes) {}

  // Corrupts *m; the addresses written are appended to *written when given.
  void corrupt(HeapImage* m, std::vector<uint64_t>* written = nullptr) {
    const int writes = 1 + static_cast<int>(next() % 4);
    for (int w = 0; w < writes; ++w) {
      uint64_t at;
      if (next() % 8 == 0) {
        at = m->loc.arena + arena_from_ + (next() % (arena_bytes_ / 8)) * 8;
      } else {
        at = base_ + (next() % (used_ / 8)) * 8;
      }
      uint64_t value;
      switch (next() % 6) {
        case 0: value = next(); break;
        case 1: value = base_ + (next() % used_); break;              // any alignment
        case 2: value = base_ + (next() % (used_ / 16)) * 16; break;  // a chunk-looking address
        case 3: value = (at >> 12) ^ (base_ + (next() % (used_ / 16)) * 16); break;  // safe-linked
        case 4: value = (next() % 0x60) | (next() % 8); break;                       // a small size
        default: value = m->u64(base_ + (next() % (used_ / 8)) * 8); break;  // another heap word
      }
      m->write_u64(at, value);
      if (written != nullptr) written->push_back(at);
    }
  }

 private:
  uint64_t next() {
    seed_ ^= seed_ << 13;
    seed_ ^= seed_ >> 7;
    seed_ ^= seed_ << 17;
    return seed_;
  }
  uint64_t base_, used_, arena_from_, arena_bytes_;
  uint64_t seed_ = 0x9e3779b97f4a7c15;
};

}  // namespace heaptwin::testing

#endif  // HEAPTWIN_ORACLE_HEAP_CHECK_FOR_TESTS_H_
