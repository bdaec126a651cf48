// The twin side runs Program after Program in one simulated memory, clearing between them only
// what the last one can have written (SimulatedMemory::reset with the write log's high mark):
// every Program must see what a fresh process sees. Random Programs over the whole op set run
// back to back agree op by op, digest by digest, with each run alone on a fresh side, and the
// block rules (calloc'd memory reads as zeros: glibc skips clearing memory fresh from top) find
// nothing stale.
#include "oracle/twin_side.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <vector>

#include "oracle/differ.h"
#include "oracle/exact_digests.h"
#include "oracle/heap_view.h"
#include "oracle/model/random_programs.h"
#include "program/fuzz_encoding.h"
#include "program/heap_format.h"

namespace heaptwin {
namespace {

// The regular files of a folder of the runfiles (sorted: a failure names the same file each run).
std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> files;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      const std::string path = dir + "/" + e->d_name;
      struct stat st;
      if (e->d_name[0] != '.' && stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode))
        files.push_back(path);
    }
    closedir(d);
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(TwinSide, ProgramsRunBackToBackSeeAFreshHeap) {
  std::string error;
  auto reused = make_twin_side("twin", &error);
  ASSERT_NE(reused, nullptr) << error;
  RunOptions options;
  options.digests = true;
  options.check_heap = options.check_contents = true;
  for (uint64_t seed = 1; seed <= 150; ++seed) {
    model::RandomProgramOptions generator;
    generator.ops = 150;
    const Program p = model::random_program(seed, generator);
    auto fresh = make_twin_side("twin", &error);
    std::vector<Trace> traces = {reused->run(p, options), fresh->run(p, options)};
    traces[1].side = "fresh twin";
    const DiffResult d = diff_traces(traces);
    ASSERT_TRUE(d.agree()) << "seed " << seed << "\n"
                           << format_divergence(p, traces, d) << print_heap(p);
  }
}

// The committed fuzz seeds and regressions (write8 into headers, bins and user memory, calloc
// and M_PERTURB over big heaps, trims, mappings) back to back on one side: after each, every page
// no noted write reached reads as zeros (HEAPTWIN_CHECK_CLEARING). The twin clears only marked
// pages, and calloc skips unmarked ones, so a write the side does not mark (a Program's own
// write8 was once "unknown", clearing everything) shows here. (Not compared with a fresh side:
// the two heaps lie at different addresses, and safe-linked values written by write8 differ.)
TEST(TwinSide, ProgramsThatWriteMemoryLeaveOnlyMarkedPages) {
  ASSERT_EQ(setenv("HEAPTWIN_CHECK_CLEARING", "1", 1), 0);
  std::string error;
  auto reused = make_twin_side("twin", &error);
  ASSERT_NE(reused, nullptr) << error;
  RunOptions options;
  int programs = 0, writing = 0;
  // A write8 into a page nothing else wrote (the middle of a block), and one into the next
  // Program's heap-to-be above top: only marking the Program's own writes clears them.
  std::string e;
  const auto own = parse_heap(
      "a = malloc 0x10000\nwrite8 a 0x8000 0x4141414141414141\n"
      "write8 a 0x12000 0x4242424242424242\nfree a\n",
      "own.heap", &e);
  ASSERT_TRUE(own.has_value()) << e;
  ASSERT_EQ(reused->run(*own, options).error, "");
  // As twin_vs_model runs them too: the heap checker's log, and the contents rules' patterns
  // (BlockInvariants::each_written), which must be marked as exactly as the allocator's writes.
  RunOptions judged;
  judged.check_heap = true;
  judged.check_contents = true;
  for (const char* dir : {"corpus/attack", "corpus/regressions/attack", "corpus/twin_vs_glibc",
                          "corpus/regressions/twin_vs_glibc", "corpus/twin_vs_model",
                          "corpus/regressions/twin_vs_model", "corpus/threads"}) {
    for (const std::string& path : files_in(dir)) {
      if (path.size() > 5 && path.compare(path.size() - 5, 5, ".heap") == 0) continue;  // scripts
      std::ifstream in(path, std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
      const Program p = decode_fuzz(bytes);
      ++programs;
      for (const Op& op : p.ops) writing += op.kind == OpKind::kWrite8;
      for (const RunOptions* o : {&options, &judged}) {
        const Trace t = reused->run(p, *o);
        ASSERT_EQ(t.error, "") << path << (o == &judged ? " (judged)" : "") << "\n"
                               << print_heap(p);
      }
    }
  }
  unsetenv("HEAPTWIN_CHECK_CLEARING");
  EXPECT_GT(programs, 250);
  EXPECT_GT(writing, 100);  // the seeds do corrupt
}

// The twin's main_arena lies where each release's libc has it within its page (GlibcLayout::libc,
// from the libcs' debug symbols), whatever the release's arena overlay (16 bytes into the
// objects before 2.27, 0x58 from 2.43): a bin head's address read back keeps the low bits real
// glibc gives it (corpus/regressions/twin_vs_glibc/perturbed_low_byte_of_a_bin_address differed
// by 0x40).
// Until the twin has non-main arenas and per-thread tcaches, a Program's first op on a thread
// other than t0 is where it stops having an opinion; what ran before is compared as ever.
// Each op on its thread; a thread's chunk named by its arena and heap. Every expected outcome is
// real glibc 2.36's (tests/golden/threads/thread_first_malloc.expected): creating t1 callocs its
// dtv from main_arena's top (0x2c0 .. 0x3e0), t1's first chunk is arena1+0xb70, and what t1
// frees comes back to t1, not to t0.
TEST(TwinSide, EachOpRunsOnItsThread) {
  std::string error;
  auto side = make_twin_side("twin", &error);
  ASSERT_NE(side, nullptr) << error;
  std::string e;
  const auto p = parse_heap(
      "a = malloc 0x18\nt1: b = malloc 0x18\nt1: free b\ne = malloc 0x18\nt1: d = malloc 0x18\n",
      "t.heap", &e);
  ASSERT_TRUE(p.has_value()) << e;
  Trace t = side->run(*p, RunOptions{});
  ASSERT_EQ(t.outcomes.size(), 5u) << t.unmodelled << t.error;
  EXPECT_EQ(t.outcomes[0], Outcome::pointer(0x2a0));
  EXPECT_EQ(t.outcomes[1], Outcome::arena_pointer(1, 0, 0xb70));
  EXPECT_EQ(t.outcomes[3], Outcome::pointer(0x3e0));
  EXPECT_EQ(t.outcomes[4], Outcome::arena_pointer(1, 0, 0xb70));
  EXPECT_TRUE(t.unmodelled.empty()) << t.unmodelled;
}

// A twin whose release's arenas are not laid out (2.43's malloc_state) has no opinion from the
// first op on another thread.
TEST(TwinSide, ThreadsOutsideTheModelledReleasesAreUnmodelled) {
  std::string error;
  auto side = make_twin_side("twin-2.43", &error);
  ASSERT_NE(side, nullptr) << error;
  std::string e;
  const auto p =
      parse_heap("a = malloc 0x18\nt1: b = malloc 0x18\nc = malloc 0x18\n", "t.heap", &e);
  ASSERT_TRUE(p.has_value()) << e;
  Trace t = side->run(*p, RunOptions{});
  ASSERT_EQ(t.outcomes.size(), 2u);
  EXPECT_EQ(t.outcomes[1].kind, OutcomeKind::kNoOpinion);
  EXPECT_NE(t.unmodelled.find("runs on thread t1"), std::string::npos) << t.unmodelled;
}

TEST(TwinSide, MainArenaLiesAtItsLibcsPageOffset) {
  for (const char* v : {"2.23", "2.27", "2.31", "2.35", "2.36", "2.41", "2.43", "2.44"}) {
    std::string error;
    auto side = make_twin_side(std::string("twin-") + v, &error);
    ASSERT_NE(side, nullptr) << v << ": " << error;
    std::string e;
    const auto p = parse_heap("a = malloc 0x18\n", "one.heap", &e);
    ASSERT_TRUE(p.has_value()) << e;
    uint64_t arena = 0;
    RunOptions options;
    options.inspect = [&](size_t, const MemoryReader&, const HeapLocation& loc,
                          const GlibcLayout&) { arena = loc.arena; };
    side->run(*p, options);
    ASSERT_NE(arena, 0u) << v;
    EXPECT_EQ(arena & 0xfff, glibc_layout(v)->libc.main_arena & 0xfff) << v;
  }
}

// read8 reads and write8 writes, for a Program, only memory the twin holds as glibc does: the
// heap, the mappings and main_arena. Elsewhere in libc's data it has no opinion (glibc's libc
// holds there what the twin does not); anywhere else the read faults where glibc's would, with
// the address, and nothing outside the twin's memory is read.
TEST(TwinSide, ReadsReachOnlyWhatTheTwinHoldsAsGlibcDoes) {
  std::string error;
  auto twin = make_twin_side("twin", &error);
  ASSERT_NE(twin, nullptr) << error;
  auto run = [&](const std::string& text) {
    std::string e;
    auto p = parse_heap(text, "t.heap", &e);
    EXPECT_TRUE(p.has_value()) << e;
    return twin->run(*p, RunOptions{});
  };
  const std::string leak = "a = malloc 0x500\ng = malloc 0x18\nfree a\nfd = read8 a 0\n";
  Trace t = run(leak + "bins = read8 fd 0x10\nw = read8 fd 0x828\n");
  ASSERT_EQ(t.outcomes.size(), 6u);
  EXPECT_EQ(to_string(t.outcomes[3]), "read main_arena+0x60");
  EXPECT_EQ(to_string(t.outcomes[4]), "read heap+0x290");
  EXPECT_EQ(to_string(t.outcomes[5]), "read 0x21000");  // system_mem, near main_arena's end
  // Past main_arena (0x898 bytes on 2.36), in the twin's libc data: no opinion, and why.
  t = run(leak + "x = read8 fd 0x840\n");
  ASSERT_EQ(t.outcomes.size(), 5u);
  EXPECT_EQ(t.outcomes[4].kind, OutcomeKind::kNoOpinion);
  EXPECT_EQ(t.unmodelled, "the Program reads or writes libc's data outside main_arena");
  // And so is a write there.
  t = run(leak + "write8 fd 0x1000 1\n");
  EXPECT_EQ(t.outcomes.back().kind, OutcomeKind::kNoOpinion);
  // Far from everything: a fault at that address, as glibc's.
  t = run("a = malloc 0x18\nwrite8 a 0 0x4141414140\np = read8 a 0\nx = read8 p 8\n");
  EXPECT_EQ(to_string(t.outcomes.back()), "fault: SIGSEGV at 0x4141414148");
  // Below the heap (a raw address, as faults there are reported), and past its break.
  t = run("a = malloc 0x18\nx = read8 a -0x1000\n");
  EXPECT_EQ(t.outcomes.back().kind, OutcomeKind::kFault);
  EXPECT_FALSE(t.outcomes.back().address_in_heap);
  t = run("a = malloc 0x18\nx = read8 a 0x21000\n");
  EXPECT_EQ(to_string(t.outcomes.back()), "fault: SIGSEGV at heap+0x212a0");
}

// The side digests its arena in place (arena_digest_here, with the fast path for lists that end
// normally); the same states walked through a MemoryReader (the exact event walk) must give the
// same digests, on clean heaps and on heaps a Program corrupted (wild, unaligned and looping
// lists, which the fast path hands back to the exact walk).
TEST(TwinSide, DigestsInPlaceEqualTheExactWalk) {
  std::string error;
  auto twin = make_twin_side("twin", &error);
  ASSERT_NE(twin, nullptr) << error;
  std::vector<uint64_t> walked;
  const RunOptions options = digests_beside_exact_walks(&walked);
  std::mt19937_64 rng(5);
  DecodeOptions corrupting;
  corrupting.allow_corruption = true;
  corrupting.max_ops = 200;
  size_t compared = 0;
  for (int k = 0; k < 600; ++k) {
    Program p;
    if (k % 2 == 0) {
      model::RandomProgramOptions generator;
      generator.ops = 200;
      p = model::random_program(k + 1, generator);
    } else {
      std::string bytes(1, 1);
      for (int i = 0; i < 600; ++i) bytes += static_cast<char>(rng());
      p = decode_fuzz(bytes, corrupting);
    }
    walked.clear();
    const Trace t = twin->run(p, options);
    ASSERT_EQ(t.digests.size(), walked.size());
    for (size_t i = 0; i < walked.size(); ++i) {
      ASSERT_EQ(t.digests[i], walked[i]) << "Program " << k << " op " << i << "\n" << print_heap(p);
    }
    compared += walked.size();
  }
  EXPECT_GT(compared, 50000u);
  // Lists broken on purpose, each kind the fast path must hand back to the exact walk.
  const std::string fill =
      "t0 = malloc 0x18\nt1 = malloc 0x18\nt2 = malloc 0x18\nt3 = malloc 0x18\n"
      "t4 = malloc 0x18\nt5 = malloc 0x18\nt6 = malloc 0x18\n"
      "a = malloc 0x18\nb = malloc 0x18\ng = malloc 0x18\n"
      "free t0\nfree t1\nfree t2\nfree t3\nfree t4\nfree t5\nfree t6\n"
      "free a\nfree b\n";  // tcache[0] full; fastbin: b -> a
  const std::string big = "x = malloc 0x500\ny = malloc 0x18\nfree x\n";  // unsorted: x, first
  for (const std::string& broken : {
           // tcache entries hold user pointers, safe-linked at the entry
           "write8 t6 0 protect(t6, t5+8)\n",                // unaligned
           "write8 t5 0 protect(t5, t6)\n",                  // a cycle
           "write8 t6 0 protect(t6, 0x4141414141414140)\n",  // wild, far
           "write8 t6 0 protect(t6, heap-0x1000)\n",         // wild, near
           // fastbin links hold chunk addresses, safe-linked at the chunk's fd
           "write8 b 0 protect(b, a-8)\n",  // unaligned
           // unaligned, and the list ends after it (its "fd" reveals to NULL)
           "write8 b 0 protect(b, a-8)\nwrite8 a 8 protect(a+8, 0x0)\n",
           "write8 a 0 protect(a, b-0x10)\n",              // a cycle
           "write8 b 0 protect(b, 0x4141414141414140)\n",  // wild
           // the unsorted bin: x's fd to itself, to heap+0x10 (the tcache struct), far away
           "write8 x 0 x-0x10\n",
           "write8 x 0 heap+0x10\n",
           "write8 x 0 0x4141414141414140\n",
       }) {
    std::string e;
    auto parsed = parse_heap(big + fill + broken + "malloc_usable_size g\n", "broken.heap", &e);
    ASSERT_TRUE(parsed.has_value()) << e;
    walked.clear();
    const Trace t = twin->run(*parsed, options);
    ASSERT_EQ(t.digests.size(), walked.size());
    for (size_t i = 0; i < walked.size(); ++i)
      ASSERT_EQ(t.digests[i], walked[i]) << broken << "op " << i;
  }
}

}  // namespace
}  // namespace heaptwin
