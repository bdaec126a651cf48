// Each comparability rule (oracle/comparability.h) with a scenario of its own, run on the twin
// and real glibc: with the rules the executor refuses or excuses it by that rule, and without
// them the sides really differ (what the rule excuses is there, the rule is not a blanket).
//
// A scenario is tests/comparability/<rule>.heap; its header says what real glibc did:
//   # rule: <id>
//   # without the rule: finding | agree     (agree: the rule is about cost, not about what differs)
//   # without the rule: varies   (whether the sides differ depends on where each process's heap
//                                lies; when they do, it is this rule that excuses it)
//   # glibc: 2.31                (optional: the release both sides run)
//   # target: twin_vs_glibc      (optional: the judge; default attack)
#include <dirent.h>
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "oracle/comparability_threads.h"
#include "oracle/executor.h"
#include "oracle/read_value.h"
#include "program/heap_format.h"
#include "program/parse_for_tests.h"

namespace heaptwin {
namespace {

struct Scenario {
  std::string path, rule;
  std::string glibc;   // "# glibc: 2.31": the release both sides run (default: the host's)
  std::string target;  // "# target: twin_vs_glibc": the judge (default: attack, no states)
  bool differs_without_rule = true;
  bool varies = false;  // the sides may agree, depending on the heaps' addresses
  // "# or rule: ID": where the heaps' addresses decide it, an earlier rule may excuse the
  // scenario first (a varying scenario only).
  std::string or_rule;
  Program program;
};

std::string header_value(const std::string& text, const std::string& key) {
  const std::string prefix = "# " + key + ": ";
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
  }
  return "";
}

std::vector<Scenario> scenarios() {
  std::vector<Scenario> out;
  const std::string dir = "tests/comparability";
  DIR* d = opendir(dir.c_str());
  EXPECT_NE(d, nullptr) << dir;
  while (dirent* e = d ? readdir(d) : nullptr) {
    const std::string name = e->d_name;
    if (name.size() < 6 || name.substr(name.size() - 5) != ".heap") continue;
    Scenario s;
    s.path = dir + "/" + name;
    std::ifstream in(s.path);
    std::stringstream text;
    text << in.rdbuf();
    s.rule = header_value(text.str(), "rule");
    s.or_rule = header_value(text.str(), "or rule");
    s.glibc = header_value(text.str(), "glibc");
    s.target = header_value(text.str(), "target");
    if (s.target.empty()) s.target = "attack";
    const std::string without = header_value(text.str(), "without the rule");
    EXPECT_TRUE(without == "finding" || without == "agree" || without == "varies")
        << s.path << ": '" << without << "'";
    s.differs_without_rule = without == "finding";
    s.varies = without == "varies";
    std::string error;
    auto program = parse_heap(text.str(), s.path, &error);
    EXPECT_TRUE(program.has_value()) << error;
    if (program) s.program = *program;
    out.push_back(std::move(s));
  }
  if (d) closedir(d);
  return out;
}

JudgeConfig config(bool rules, const Scenario& s) {
  // By default the attack target's configuration: scenarios corrupt memory; states are not
  // compared.
  JudgeConfig c = *fuzz_target_config(s.target);
  const std::string& glibc = s.glibc;
  c.apply_rules = rules;
  if (!glibc.empty()) {
    for (std::string& side : c.sides) side = side_for_release(side, glibc);
  }
  return c;
}

TEST(Comparability, EveryRuleHasAScenario) {
  std::set<std::string> covered;
  for (const Scenario& s : scenarios()) covered.insert(s.rule);
  for (const ComparabilityRule& r : comparability_rules()) {
    EXPECT_EQ(covered.count(r.id), 1u) << "no tests/comparability/*.heap for rule " << r.id;
  }
}

TEST(Comparability, EachScenarioIsExcusedByItsRuleAndDiffersWithoutIt) {
  const auto all = scenarios();
  ASSERT_FALSE(all.empty());
  for (const Scenario& s : all) {
    std::string error;
    auto with_rules = Executor::create(config(true, s), &error);
    ASSERT_NE(with_rules, nullptr) << s.path << ": " << error;
    auto without_rules = Executor::create(config(false, s), &error);
    ASSERT_NE(without_rules, nullptr) << s.path << ": " << error;
    const Verdict v = with_rules->judge(s.program);
    if (s.varies) {
      // Each judgement runs the sides anew, and where each side's heap lies decides whether they
      // differ: with the rule, agree or excused by it; without, agree or a finding.
      if (v.kind != Verdict::Kind::kAgree) {
        ASSERT_TRUE(v.rule.has_value()) << s.path << ":\n" << v.report(s.program);
        EXPECT_TRUE(v.rule->id == s.rule || (!s.or_rule.empty() && v.rule->id == s.or_rule))
            << s.path << ": excused by " << v.rule->id;
      }
      const Verdict bare = without_rules->judge(s.program);
      EXPECT_TRUE(bare.kind == Verdict::Kind::kAgree || bare.finding()) << s.path << ":\n"
                                                                        << bare.report(s.program);
      continue;
    }
    EXPECT_TRUE(s.or_rule.empty()) << s.path << ": '# or rule' is for varying scenarios";
    ASSERT_TRUE(v.rule.has_value()) << s.path << ":\n" << v.report(s.program);
    EXPECT_EQ(v.rule->id, s.rule) << s.path;
    EXPECT_TRUE(v.kind == Verdict::Kind::kRefused || v.kind == Verdict::Kind::kExcused) << s.path;
    const Verdict bare = without_rules->judge(s.program);
    if (s.differs_without_rule) {
      EXPECT_TRUE(bare.finding()) << s.path << ": without the rules the sides agree:\n"
                                  << bare.report(s.program);
    } else {
      EXPECT_EQ(bare.kind, Verdict::Kind::kAgree) << s.path << ":\n" << bare.report(s.program);
    }
  }
}

// reads_safe_linked_across_heaps on outcomes made by hand (its scenario may agree, as heaps fall):
// a safe-linked read whose word, position and target are not all in one heap, a thread's among
// them, on every side; not within one heap, not a plain value, not on one side only.
TEST(Comparability, SafeLinkedAcrossHeapsNeedsAThreadsHeapOnEverySide) {
  // a: a thread's chunk (arena2, its second heap); m: a main-heap chunk.
  const Program program = parse_script("t1: a = malloc 0x18\nm = malloc 0x18\nr = read8 a 0x0\n");
  auto read = [](uint8_t position_base, uint64_t position, uint8_t base, uint64_t value) {
    Outcome o;
    o.kind = OutcomeKind::kRead;
    o.read_safe_linked = true;
    o.read_position_base = position_base;
    o.address = position;
    o.read_base = base;
    o.value = value;
    return o;
  };
  const uint64_t arena2_heap1 = READ_ARENA_HEAP_OFFSET(2, 1, 0x1000040);
  const uint64_t arena4 = READ_ARENA_HEAP_OFFSET(4, 0, 0xb70);
  auto sides = [&](const Outcome& twin, const Outcome& glibc) {
    std::vector<Trace> traces(2);
    for (Trace& t : traces)
      t.outcomes = {Outcome::arena_pointer(2, 1, 0x1000040), Outcome::pointer(0x2a0)};
    traces[0].outcomes.push_back(twin);
    traces[1].outcomes.push_back(glibc);
    return reads_safe_linked_across_heaps(program, traces, 2);
  };
  // Revealed where it was read, at a place in another arena: a stale next copied here.
  const Outcome across = read(READ_ARENA_HEAP, arena2_heap1, READ_ARENA_HEAP, arena4 + 0x7000);
  EXPECT_TRUE(sides(across, read(READ_ARENA_HEAP, arena2_heap1, READ_ARENA_HEAP, arena4 + 0xf000)));
  // Found copied from a position in the target's heap, while read in arena2's: found by fuzzing.
  EXPECT_TRUE(sides(read(READ_ARENA_HEAP, arena4 - 0xb70, READ_ARENA_HEAP, arena4 + 0x7001),
                    read(READ_ARENA_HEAP, arena2_heap1, READ_ARENA_HEAP, arena4 + 0x10001)));
  // All in the thread's heap where it was read: one process's page numbers, named alike.
  EXPECT_FALSE(sides(read(READ_ARENA_HEAP, arena2_heap1, READ_ARENA_HEAP, arena2_heap1 + 0x20),
                     read(READ_ARENA_HEAP, arena2_heap1, READ_ARENA_HEAP, arena2_heap1 + 0x30)));
  // A plain value named in a heap.
  Outcome plain = across;
  plain.read_safe_linked = false;
  EXPECT_FALSE(sides(plain, across));
  // The other side finds no name for it (found by fuzzing: the twin read 0x7f68caf43b71).
  Outcome number = read(READ_HEAP, 0, READ_NUMBER, 0x7f68caf43b71);
  number.read_safe_linked = false;
  EXPECT_TRUE(sides(number, across));
  // Or neither (found by fuzzing: 0x7f0c35bbcc80 and 0x7ff826fd0c80 read in arena4's second heap).
  EXPECT_TRUE(sides(number, number));
  // But not a small number, nor a number read in the main heap.
  Outcome small = number;
  small.value = 0x41;
  EXPECT_FALSE(sides(across, small));
  const Program in_main = parse_script("m = malloc 0x18\nr = read8 m 0x0\n");
  std::vector<Trace> numbers(2);
  for (Trace& t : numbers) t.outcomes = {Outcome::pointer(0x2a0), number};
  EXPECT_FALSE(reads_safe_linked_across_heaps(in_main, numbers, 1));
  // The main heap throughout (reads_safe_linked_past_48_mib's business): read through m.
  const Program main_only = parse_script("m = malloc 0x18\nr = read8 m 0x0\n");
  std::vector<Trace> traces(2);
  for (Trace& t : traces) {
    t.outcomes = {Outcome::pointer(0x2a0), read(READ_HEAP, 0x2a0, READ_HEAP, 0x300)};
  }
  EXPECT_FALSE(reads_safe_linked_across_heaps(main_only, traces, 1));
}

// Read in an mmapped chunk: only one that realloc filled from a thread's heap.
TEST(Comparability, SafeLinkedCopiedIntoAMappingNeedsAThreadsHeapAsTheSource) {
  auto read = [](bool safe_linked, uint8_t base, uint64_t value) {
    Outcome o;
    o.kind = OutcomeKind::kRead;
    o.read_safe_linked = safe_linked;
    o.read_position_base = READ_MAPPING;
    o.address = 0x10;
    o.read_base = base;
    o.value = value;
    return o;
  };
  const Outcome named = read(true, READ_HEAP, 0x17d3f),
                number = read(false, READ_NUMBER, 0x77e7bf13c280);
  auto judge = [&](const std::string& script, const Outcome& first, const Outcome& twin,
                   const Outcome& glibc) {
    const Program program = parse_script(script);
    std::vector<Trace> traces(2);
    for (Trace& t : traces) t.outcomes = {first, Outcome::mmapped(0x1000, 0x10)};
    traces[0].outcomes.push_back(twin);
    traces[1].outcomes.push_back(glibc);
    return reads_safe_linked_across_heaps(program, traces, 2);
  };
  const std::string copied = "t3: a = malloc 0x0\nt3: b = realloc a 0x100\nr = read8 b 0x0\n";
  const Outcome in_arena1 = Outcome::arena_pointer(1, 0, 0x20e50);
  EXPECT_TRUE(judge(copied, in_arena1, number, named));
  EXPECT_TRUE(judge(copied, in_arena1, named, named));
  // A small number is a value, not a link.
  EXPECT_FALSE(judge(copied, in_arena1, read(false, READ_NUMBER, 0x41), named));
  // Filled from the main heap: one process's heap, named alike (reads_safe_linked_past_48_mib's).
  EXPECT_FALSE(judge(copied, Outcome::pointer(0x2a0), number, named));
  // An mmapped chunk malloc made (not a copy): fresh pages.
  EXPECT_FALSE(
      judge("t3: a = malloc 0x0\nb = malloc 0x100\nr = read8 b 0x0\n", in_arena1, number, named));
}

}  // namespace
}  // namespace heaptwin
