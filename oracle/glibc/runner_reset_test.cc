// The persistent runner's reset against fresh runs: a Program must give the same outcomes,
// snapshots and digests whether it runs first in a fresh child or after any other Programs.
// Expected values come from real glibc in a fresh child (fork mode), never from the twin.
#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "oracle/glibc/glibc_side.h"
#include "oracle/glibc/glibc_side_for_tests.h"
#include "oracle/glibc/reset_programs_for_tests.h"
#include "program/heap_format.h"
#include "program/parse_for_tests.h"

namespace heaptwin {

namespace {

// glibc reads the prev_size word at `d`'s chunk (`at`, a heap offset) once `d` claims its
// neighbour is free: 0 there (a fresh heap) ends in glibc's "corrupted size vs. prev_size"
// abort; any other bytes make it follow a wild prev_size and fault. So this Program tells
// whether the heap word at `at` is still zero when it runs. M_TOP_PAD keeps the break high
// enough that the kernel does not drop the page holding `at` before the probe reads it.
Program prev_size_probe(uint64_t at) {
  std::ostringstream s;
  s << "mallopt M_TOP_PAD 0x100000\na = malloc 0x18\n";
  uint64_t end = 0x2b0;  // after the tcache struct and a
  for (int i = 0; end + 0x10010 + 0x20 <= at; ++i, end += 0x10010)
    s << "f" << i << " = malloc 0x10000\n";
  if (at > end) s << "g = malloc 0x" << std::hex << (at - end - 0x10) << std::dec << "\n";
  s << "d = malloc 0x500\nwrite8 d -8 0x510\nfree d\n";
  return parse_script(s.str());
}

const Outcome kClean = Outcome::abort("corrupted size vs. prev_size while consolidating");

// What `probe` ends in on `side`: kClean when its word was zero. The side's own error fails the
// test.
Outcome probe_end(Side& side, const Program& probe) {
  Trace t = side.run(probe, RunOptions());
  EXPECT_EQ(t.error, "");
  return t.outcomes.empty() ? Outcome() : t.outcomes.back();
}

// The persistent runner after `dirty`, whose op `op` returns `block` and gives a tail with
// M_PERTURB's bytes back to top (top ends at `top`, lower than it was inside the op): the next
// Program finds the word at `probe_at`, in that tail, zeroed.
void expect_tail_given_back_zeroed(const char* dirty, size_t op, uint64_t block, uint64_t top,
                                   uint64_t probe_at) {
  auto persistent = glibc_side_for_test(RunnerMode::kPersistent);
  ASSERT_NE(persistent, nullptr);
  Trace d = persistent->run(parse_script(dirty), with_snapshots());
  ASSERT_EQ(d.error, "");
  ASSERT_EQ(d.outcomes[op], Outcome::pointer(block));
  ASSERT_EQ(d.states[op].top.offset, top);  // top went back down
  EXPECT_EQ(probe_end(*persistent, prev_size_probe(probe_at)), kClean);
}

TEST(GlibcReset, TheProbeSeesAZeroWordInAFreshHeap) {
  auto fresh = glibc_side_for_test(RunnerMode::kFork);
  for (uint64_t at : {0x1200, 0x21300}) {
    EXPECT_EQ(probe_end(*fresh, prev_size_probe(at)), kClean) << "at 0x" << std::hex << at;
  }
}

// The probe sees dirt when it is there: a Program that leaves a perturb pattern at the probed
// word (a block freed with M_PERTURB, still in a bin) makes it fault.
TEST(GlibcReset, TheProbeSeesDirtWhenItIsThere) {
  auto fresh = glibc_side_for_test(RunnerMode::kFork);
  Trace t = fresh->run(
      parse_script("mallopt M_PERTURB 0x41\nmallopt M_TOP_PAD 0x100000\na = malloc 0x18\n"
                   "b = malloc 0xf50\nfree b\nmallopt M_PERTURB 0\n"
                   "b = malloc 0xf40\nd = malloc 0x500\nwrite8 d -8 0x510\nfree d\n"),
      RunOptions());
  ASSERT_EQ(t.error, "");
  EXPECT_NE(t.outcomes.back(), kClean);
}

// _int_memalign carves nb + alignment + MINSIZE from top and gives the tail back to top: after
// the op, top is lower than it was inside it, and the tail holds M_PERTURB's bytes. Here: the
// chunk carved is 0xfd0..0x2110, the aligned block 0xff0..0x1100, and the tail 0x1100..0x2110
// (too large for the tcache) merges into top. The reset must zero up to the highest top, not
// the last.
TEST(GlibcReset, MemalignsTailGivenBackToTopIsZeroedForTheNextProgram) {
  expect_tail_given_back_zeroed(
      "mallopt M_PERTURB 0x41\na = malloc 0x18\npad = malloc 0xd10\nm = memalign 0x1000 0x100\n"
      "b = malloc 0x18\n",
      3, 0x1000, 0x1100, 0x1200);
}

// Above 64 MiB of heap the reset gives the pages back to the kernel instead of clearing them
// (runner_reset.c, kScannedHeapBytes): a perturb pattern left at heap+96 MiB is gone for the
// next Program all the same.
TEST(GlibcReset, DirtAboveTheScannedHeapIsGoneForTheNextProgram) {
  auto persistent = glibc_side_for_test(RunnerMode::kPersistent);
  Trace d =
      persistent->run(parse_script("mallopt M_PERTURB 0x41\nmallopt M_MMAP_THRESHOLD 0x8000000\n"
                                   "a = malloc 0x18\nbig = malloc 0x5ff0000\n"
                                   "b = malloc 0xf50\nc = malloc 0x18\nfree b\n"),
                      RunOptions());
  ASSERT_EQ(d.error, "");
  ASSERT_EQ(d.outcomes[4].kind, OutcomeKind::kPointer) << to_string(d.outcomes[4]);
  const uint64_t at = (static_cast<uint64_t>(d.outcomes[4].offset) + 0x100) & ~uint64_t{0xf};
  ASSERT_GT(at, uint64_t{64} << 20);
  // The probe's first sbrk reaches past `at` (M_TOP_PAD): glibc's own first brk then drops no
  // page below it, and only the reset can have cleared the word.
  Program probe = prev_size_probe(at);
  ASSERT_EQ(probe.ops[0].kind, OpKind::kMallopt);
  probe.ops[0].a = at + 0x100000;
  EXPECT_EQ(probe_end(*persistent, probe), kClean);
}

// _int_realloc's "newp == next" path: top is too small, so _int_malloc grows it and carves the
// new chunk right after the old one (0x1f7d0..0x217e0), then the remainder (the old chunk's
// size, 0x212d0..0x217e0) goes back to top with M_PERTURB's bytes in it.
TEST(GlibcReset, ReallocsRemainderGivenBackToTopIsZeroedForTheNextProgram) {
  expect_tail_given_back_zeroed(
      "mallopt M_PERTURB 0x41\na = malloc 0x18\nx = malloc 0x1f000\np = malloc 0x500\n"
      "p = realloc p 0x2000\n",
      4, 0x1f2d0, 0x212d0, 0x21300);
}

// The one live child of `parent` (-1 when there is none).
pid_t only_child_of(pid_t parent) {
  const std::vector<pid_t> children = children_of(parent);
  return children.empty() ? -1 : children.back();
}

pid_t only_child_of_us() { return only_child_of(getpid()); }

// Anonymous mappings of the runner's only child (/proc/<pid>/maps), as "start-end" lines.
std::vector<std::string> child_anonymous_maps(pid_t server) {
  std::vector<std::string> out;
  std::ifstream maps("/proc/" + std::to_string(only_child_of(server)) + "/maps");
  std::string line;
  while (std::getline(maps, line)) {
    std::istringstream f(line);
    std::string range, perms, offset, dev, inode, path;
    f >> range >> perms >> offset >> dev >> inode >> path;
    if (path.empty()) out.push_back(range + " " + perms);
  }
  return out;
}

// Mappings a Program leaves (live mmapped chunks; with M_MMAP_THRESHOLD 0 even the tcache struct
// is one) are unmapped by the reset: the child's anonymous mappings afterwards are those of a
// child that ran only the trivial Program.
TEST(GlibcReset, MappingsAProgramLeavesAreGone) {
  Program trivial = parse_script("a = malloc 0x18\n");
  std::vector<std::string> clean, after;
  {
    auto s = glibc_side_for_test(RunnerMode::kPersistent);
    ASSERT_EQ(s->run(trivial, RunOptions()).error, "");
    clean = child_anonymous_maps(only_child_of_us());
  }
  auto s = glibc_side_for_test(RunnerMode::kPersistent);
  for (const char* leaves : {"mallopt M_MMAP_THRESHOLD 0\na = malloc 0x18\n",
                             "a = malloc 0x40000\nb = memalign 0x2000 0x30000\n",
                             // glibc's abort path maps a page for its message
                             "a = malloc 0x18\nfree a\nfree a\n"}) {
    Trace t = s->run(parse_script(leaves), RunOptions());
    ASSERT_EQ(t.error, "");
    ASSERT_TRUE(t.outcomes[1].kind == OutcomeKind::kMmapped ||
                t.outcomes.back().kind == OutcomeKind::kAbort)
        << leaves;
    ASSERT_EQ(s->run(trivial, RunOptions()).error, "");
    after = child_anonymous_maps(only_child_of_us());
    EXPECT_EQ(after, clean) << "after " << leaves;
  }
}

// The VmFlags of the runner's child's heap mappings (/proc/<pid>/smaps), one line per mapping.
std::vector<std::string> child_heap_flags(pid_t server) {
  std::vector<std::string> out;
  std::ifstream smaps("/proc/" + std::to_string(only_child_of(server)) + "/smaps");
  std::string line;
  bool in_heap = false;
  while (std::getline(smaps, line)) {
    if (line.find("VmFlags:") == 0) {
      if (in_heap) out.push_back(line);
    } else {
      // A mapping's first line starts with its range, "start-end"; the fields' with "Name:".
      const std::string first = line.substr(0, line.find(' '));
      if (first.find('-') != std::string::npos && first.find(':') == std::string::npos) {
        in_heap = line.find("[heap]") != std::string::npos;
      }
    }
  }
  return out;
}

// glibc's heap growth of 2 MiB or more is advised MADV_HUGEPAGE (runner_thp.c): a calloc of
// tens of MiB then costs a fault per 2 MiB, not per page. The kernel's break stays where the
// Program left it, so the child's heap mapping still carries the advice ("hg") after it.
TEST(GlibcRunner, HeapGrowthOfTwoMiBIsAdvisedHugePages) {
  if (access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK) != 0) {
    GTEST_SKIP() << "no transparent huge pages in this kernel";
  }
  auto s = glibc_side_for_test(RunnerMode::kPersistent);
  Trace t = s->run(parse_script("mallopt M_MMAP_THRESHOLD 0x2000000\na = calloc 0x800000 1\n"),
                   RunOptions());
  ASSERT_EQ(t.error, "");
  ASSERT_EQ(t.outcomes[1].kind, OutcomeKind::kPointer) << to_string(t.outcomes[1]);
  bool advised = false;
  for (const std::string& flags : child_heap_flags(only_child_of_us())) {
    advised = advised || flags.find(" hg") != std::string::npos;
  }
  std::string all;
  for (const std::string& f : child_heap_flags(only_child_of_us())) all += f + "\n";
  EXPECT_TRUE(advised) << "no [heap] mapping of the child has VmFlags hg:\n" << all;
}

// Random Programs that touch every path the reset must undo: perturbed fills, memalign and
// realloc giving tails back to top, mmapped chunks left alive, trims, mallopt, a moved break;
// and between them the prev_size probe at random heap words. Each Program, run after all the
// earlier ones in one persistent child, must match a run in a fresh child: outcomes, snapshots
// and digests.
Program mixed_program(std::mt19937_64& rng) {
  ResetProgramOptions options;
  options.writes = true;
  options.every_mallopt = true;
  return reset_program(rng, options);
}

void expect_same(const Trace& fresh, const Trace& reused, const std::string& what) {
  ASSERT_EQ(fresh.error, "") << what;
  ASSERT_EQ(reused.error, "") << what;
  ASSERT_EQ(fresh.outcomes, reused.outcomes) << what;
  ASSERT_EQ(fresh.states.size(), reused.states.size()) << what;
  for (size_t i = 0; i < fresh.states.size(); ++i) {
    ASSERT_EQ(first_difference(fresh.states[i], reused.states[i]), "") << what << " op " << i;
  }
  ASSERT_EQ(fresh.digests, reused.digests) << what;
}

// Programs that end in glibc's abort or in a fault without writing memory themselves: the
// persistent child survives them (runner_child.c) and must be as pristine afterwards.
const char* const kDying[] = {
    "a = malloc 0x18\nb = malloc 0x18\nfree a\nfree a\n",   // tcache double free
    "a = malloc 0x500\ng = malloc 0x18\nfree a\nfree a\n",  // double free (!prev)
    "mallopt M_PERTURB 0x55\na = memalign 0x1000 0x100\nb = realloc a 0x3000\nfree b\nfree a\n",
    "a = malloc 0x40000\nfree a\nfree a\n",  // fault: unmapped
    "a = calloc 0x10 0x100\nc = malloc 0x30000\nfree c\nfree c\n",
};

// A brk glibc asks for and the kernel refuses returns the kernel's break, which glibc then takes
// as its own (__curbrk). In a fresh process that is the heap base; after a Program that grew
// the heap, the kernel's break is wherever that one left it unless the reset puts it back.
// (Found by fuzzing twin_vs_glibc: glibc's snapshot turned invalid after a calloc of 13 TB.)
TEST(GlibcReset, ARefusedBrkSeesTheBreakOfAFreshProcess) {
  const Program grow = parse_script("mallopt M_MMAP_MAX 0\na = malloc 0x400000\nb = malloc 0x18\n");
  const Program refused = parse_script(
      "mallopt M_MMAP_THRESHOLD 0x1e0\na = malloc 0x318\nb = calloc 0x3825b3 0x36ac0f\n"
      "c = malloc 0x100\nmallopt M_MMAP_THRESHOLD 0x100000\nd = malloc 0x200\n");
  auto fresh = glibc_side_for_test(RunnerMode::kFork);
  auto reused = glibc_side_for_test(RunnerMode::kPersistent);
  ASSERT_TRUE(fresh && reused);
  RunOptions options = with_snapshots();
  options.digests = false;
  const Trace want = fresh->run(refused, options);
  ASSERT_EQ(want.error, "");
  reused->run(grow, options);
  const Trace got = reused->run(refused, options);
  expect_same(want, got, "a refused brk after a Program that grew the heap");
}

TEST(GlibcReset, EveryProgramMatchesAFreshRunWhateverRanBefore) {
  auto fresh = glibc_side_for_test(RunnerMode::kFork);
  auto reused = glibc_side_for_test(RunnerMode::kPersistent);
  std::mt19937_64 rng(7);
  RunOptions with_state;
  with_state.snapshots = true;
  with_state.digests = true;
  for (int round = 0; round < 40; ++round) {
    Program p = mixed_program(rng);
    const RunOptions& options = round % 2 ? with_state : RunOptions();
    expect_same(fresh->run(p, options), reused->run(p, options), "round " + std::to_string(round));
    if (round % 3 == 2) {
      Program dying = parse_script(kDying[(round / 3) % (sizeof kDying / sizeof *kDying)]);
      Trace f = fresh->run(dying, RunOptions()), r = reused->run(dying, RunOptions());
      expect_same(f, r, "dying Program after round " + std::to_string(round));
      ASSERT_TRUE(r.outcomes.back().is_fatal()) << to_string(r.outcomes.back());
    }
    Program probe = prev_size_probe(0x300 + (rng() % 0x8000) * 0x10);
    expect_same(fresh->run(probe, RunOptions()), reused->run(probe, RunOptions()),
                "probe after round " + std::to_string(round));
  }
}

}  // namespace
}  // namespace heaptwin

namespace heaptwin {
namespace {

// The runner server's only child, and its mappings.
pid_t runner_child_pid(pid_t server) { return only_child_of(server); }

// The last word of ld.so's writable data in `pid` (padding nobody reads).
uint64_t ld_so_data_word(pid_t pid) {
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  std::string line;
  uint64_t end = 0;
  while (std::getline(maps, line)) {
    if (line.find("ld-linux") == std::string::npos && line.find("/ld-2.") == std::string::npos)
      continue;
    std::istringstream f(line);
    std::string range, perms;
    f >> range >> perms;
    if (perms.compare(0, 2, "rw") == 0)
      end = std::stoull(range.substr(range.find('-') + 1), nullptr, 16);
  }
  return end - 8;
}

// A Program that wrote memory keeps the persistent child only when it changed nothing a reset
// does not undo: a write into the heap (even above top, where glibc never writes) is undone,
// a write into ld.so's data is not, and the child is replaced.
TEST(GlibcReset, AProgramThatWroteMemoryKeepsTheChildOnlyWhenEverythingIsUndone) {
  auto persistent = glibc_side_for_test(RunnerMode::kPersistent);
  ASSERT_EQ(persistent->run(parse_script("a = malloc 0x18\n"), RunOptions()).error, "");
  const pid_t server = only_child_of_us();
  const pid_t first = runner_child_pid(server);
  ASSERT_GT(first, 0);

  Trace heap_only = persistent->run(
      parse_script("a = malloc 0x18\nwrite8 a 0x8 0x4141\nwrite8 a 0xff0 0x4242\n"), RunOptions());
  ASSERT_EQ(heap_only.error, "");
  EXPECT_EQ(runner_child_pid(server), first) << "a write into the heap is undone by the reset";
  // The word written above top (heap offset 0x1290) reads as zero in the next Program.
  EXPECT_EQ(probe_end(*persistent, prev_size_probe(0x1290)), kClean);

  // (The probe ended in an abort after its own write8: that child is gone.)
  ASSERT_EQ(persistent->run(parse_script("a = malloc 0x18\n"), RunOptions()).error, "");
  const pid_t before = runner_child_pid(server);
  const uint64_t ld_word = ld_so_data_word(before);
  ASSERT_GT(ld_word, 0x1000u);
  ASSERT_LT(ld_word, ~uint64_t{0} - 0x1000);
  std::ostringstream outside;
  outside << "a = malloc 0x18\nwrite8 null 0x" << std::hex << ld_word << " 0x4343\n";
  Trace wrote = persistent->run(parse_script(outside.str()), RunOptions());
  ASSERT_EQ(wrote.error, "");
  ASSERT_EQ(wrote.outcomes.size(), 2u);
  ASSERT_EQ(wrote.outcomes[1], Outcome::done()) << "the write itself succeeds";
  pid_t after = -1;
  for (int i = 0; i < 100 && (after = runner_child_pid(server)) == before; ++i) usleep(10000);
  EXPECT_NE(after, before) << "a write into ld.so's data must cost the child";
  EXPECT_EQ(persistent->run(parse_script("a = malloc 0x18\n"), RunOptions()).outcomes[0],
            Outcome::pointer(0x2a0));
}

}  // namespace
}  // namespace heaptwin

namespace heaptwin {
namespace {

// A heap glibc continued in mmap (M_TOP_PAD -72 makes the first sysmalloc's sbrk fail; its
// fallback maps the space and marks the arena non-contiguous: later chunks are in that mapping)
// is reset, not recycled: the child stays, and it and every Program after it match a run in a
// fresh child.
TEST(GlibcReset, AHeapContinuedInMmapIsResetAndTheChildKept) {
  auto fresh = glibc_side_for_test(RunnerMode::kFork);
  auto reused = glibc_side_for_test(RunnerMode::kPersistent);
  ASSERT_EQ(reused->run(parse_script("a = malloc 0x18\n"), RunOptions()).error, "");
  const pid_t server = only_child_of_us();
  const pid_t child = runner_child_pid(server);
  ASSERT_GT(child, 0);
  const Program continued = parse_script(
      "mallopt M_MMAP_THRESHOLD 0x8\nmallopt M_TOP_PAD -72\na = malloc 0x0\n"
      "mallopt M_MMAP_THRESHOLD -1\nb = malloc 0x0\nc = malloc 0x100\nfree b\nd = malloc 0x500\n"
      "free c\n");
  RunOptions with_state;
  with_state.snapshots = true;
  with_state.digests = true;
  std::mt19937_64 rng(13);
  for (int round = 0; round < 6; ++round) {
    expect_same(fresh->run(continued, with_state), reused->run(continued, with_state),
                "the continued heap, round " + std::to_string(round));
    Program p = mixed_program(rng);
    expect_same(fresh->run(p, with_state), reused->run(p, with_state),
                "a Program after it, round " + std::to_string(round));
    Program probe = prev_size_probe(0x300 + (rng() % 0x8000) * 0x10);
    expect_same(fresh->run(probe, RunOptions()), reused->run(probe, RunOptions()),
                "the probe after it, round " + std::to_string(round));
  }
  // The probe's write8 can cost the child (runner_guard.c); the continued heap must not.
  ASSERT_EQ(reused->run(parse_script("a = malloc 0x18\n"), RunOptions()).error, "");
  const pid_t kept = runner_child_pid(server);
  ASSERT_EQ(reused->run(continued, with_state).error, "");
  ASSERT_EQ(reused->run(parse_script("a = malloc 0x18\n"), RunOptions()).error, "");
  EXPECT_EQ(runner_child_pid(server), kept) << "a non-contiguous heap recycled the child";
  (void)child;
}

}  // namespace
}  // namespace heaptwin
