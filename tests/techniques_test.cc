// The technique table (heaptwin techniques, docs/techniques.md): every scenario in
// tests/techniques/ run on the twins and on real glibc. What a technique does on a release comes
// from real glibc: the twin's cell must equal real glibc's on every release that has both, and a
// few cells must say what glibc's history says (docs/glibc-versions.md, docs/techniques.md).
// Real glibc 2.31 is Debian's package, fetched on first use; skipped where it cannot be.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "oracle/read_value.h"
#include "oracle/side.h"
#include "program/heap_format.h"
#include "tests/preload/run_process.h"
#include "tools/technique_scenario.h"
#include "tools/technique_table.h"

namespace heaptwin::techniques {
namespace {

std::string srcdir_path(const std::string& path) {
  if (const char* d = std::getenv("TEST_SRCDIR"); d && *d)
    return std::string(d) + "/heaptwin/" + path;
  return path;
}

std::string scenario_dir() { return srcdir_path("tests/techniques"); }

Technique parse_ok(const std::string& text) {
  std::string error;
  auto t = parse_technique(text, "t.heap", &error);
  EXPECT_TRUE(t.has_value()) << error;
  return t ? *t : Technique{};
}

std::string parse_error(const std::string& text) {
  std::string error;
  auto t = parse_technique(text, "t.heap", &error);
  EXPECT_FALSE(t.has_value()) << text;
  return error;
}

// ---- The header -------------------------------------------------------------------------

TEST(TechniqueScenario, TheHeaderNamesTheTechniqueItsGoalAndHowProtectIsMeant) {
  const Technique t = parse_ok(
      "# technique: poison\n"
      "# how2heap: tcache_poisoning.c\n"
      "# A line of prose: not a field.\n"
      "# goal: d == t+0x10 and d overlaps t and no abort\n"
      "# protect: as written\n"
      "t = malloc 0x48\n"
      "d = malloc 0x18\n");
  EXPECT_EQ(t.name, "poison");
  EXPECT_EQ(t.how2heap, "tcache_poisoning.c");
  EXPECT_EQ(t.protect, ProtectMode::kAsWritten);
  ASSERT_EQ(t.goals.size(), 3u);
  EXPECT_EQ(t.goals[0].kind, Goal::Kind::kEquals);
  EXPECT_EQ(t.goals[0].address.delta, 0x10);
  EXPECT_EQ(t.goals[1].kind, Goal::Kind::kOverlaps);
  EXPECT_EQ(t.goals[2].kind, Goal::Kind::kNoAbort);
  // Without the optional fields: the file's name, protect by release.
  std::string error;
  auto plain = parse_technique("# goal: no abort\na = malloc 1\n", "dir/my_name.heap", &error);
  ASSERT_TRUE(plain) << error;
  EXPECT_EQ(plain->name, "my_name");
  EXPECT_EQ(plain->protect, ProtectMode::kByRelease);
}

TEST(TechniqueScenario, AScenarioWithoutAGoalIsRefusedAtItsFirstLine) {
  EXPECT_EQ(
      parse_error("# technique: x\na = malloc 0x18\n").rfind("t.heap:1: expected a '# goal:'", 0),
      0u);
  // A goal after the first op is not in the header.
  EXPECT_NE(parse_error("a = malloc 0x18\n# goal: no abort\n").find("t.heap:1:"),
            std::string::npos);
}

TEST(TechniqueScenario, AMalformedHeaderNamesItsLine) {
  const std::string ops = "a = malloc 0x18\nb = malloc 0x18\n";
  struct Case {
    const char* header;
    const char* says;
  } cases[] = {
      {"# x\n# goal: a = b\n", "t.heap:2: expected 'SLOT == ADDR'"},
      {"# goal:\n", "t.heap:1: expected a goal"},
      {"# goal: a == 0x2a0\n", "t.heap:1: expected an address"},
      {"# goal: a == c\n", "t.heap:1: goal names 'c', which no op"},
      {"# goal: heap == a\n", "t.heap:1: expected a slot on the left"},
      {"# goal: a == b+zz\n", "t.heap:1: expected a number after '+'"},
      {"# goal: a == b and\n", "t.heap:1: expected 'SLOT == ADDR'"},
      {"# goal: no abort\n# protect: sometimes\n",
       "t.heap:2: expected 'by release' or 'as written'"},
      {"# technique: two words\n# goal: no abort\n", "t.heap:1: expected one word"},
  };
  for (const Case& c : cases) {
    const std::string error = parse_error(std::string(c.header) + ops);
    EXPECT_EQ(error.rfind(c.says, 0), 0u) << c.header << " gave: " << error;
  }
  // An error in the Program is parse_heap's, with its line.
  EXPECT_EQ(parse_error("# goal: no abort\na = malloc\n").rfind("t.heap:2:", 0), 0u);
}

// ---- protect() by release ---------------------------------------------------------------

TEST(TechniqueScenario, ProtectedPointersArePlainOnReleasesWithoutSafeLinking) {
  const Technique t = parse_ok(
      "# goal: no abort\n"
      "a = malloc 0x18\nb = malloc 0x18\nfree a\nfree b\n"
      "write8 b 0 protect(b, a+0x10)\n"
      "write8 b 8 protect(heap+0x2a0, heap+0x90)\n"
      "write8 b 16 protect(b, 0)\n");
  std::string error;
  auto plain = parse_heap(
      "a = malloc 0x18\nb = malloc 0x18\nfree a\nfree b\n"
      "write8 b 0 a+0x10\nwrite8 b 8 heap+0x90\nwrite8 b 16 0\n",
      "plain.heap", &error);
  ASSERT_TRUE(plain) << error;
  EXPECT_EQ(print_heap(with_plain_pointers(t.program)), print_heap(*plain));
  EXPECT_TRUE(with_plain_pointers(t.program) == *plain);
  // Only releases before 2.32 get the rewrite, and only when the header says "by release".
  EXPECT_TRUE(program_for_side(t, "twin-2.31") == *plain);
  EXPECT_TRUE(program_for_side(t, "glibc-2.31") == *plain);
  EXPECT_TRUE(program_for_side(t, "twin") == t.program);
  EXPECT_TRUE(program_for_side(t, "glibc-2.41") == t.program);
  Technique as_written = t;
  as_written.protect = ProtectMode::kAsWritten;
  EXPECT_TRUE(program_for_side(as_written, "glibc-2.31") == t.program);
}

// ---- Verdicts ---------------------------------------------------------------------------

Trace trace_of(std::vector<Outcome> outcomes) {
  Trace t;
  t.side = "test";
  t.outcomes = std::move(outcomes);
  return t;
}

TEST(TechniqueVerdict, EachCellSaysWhatHappened) {
  const Technique t = parse_ok(
      "# goal: d == t+0x10 and d overlaps t\n"
      "t = malloc 0x48\nfree t\nd = malloc 0x18\n");
  const Outcome done = Outcome::done();
  auto verdict = [&](std::vector<Outcome> o) {
    return judge(t, t.program, trace_of(std::move(o)));
  };

  EXPECT_EQ(verdict({Outcome::pointer(0x2a0), done, Outcome::pointer(0x2b0)}).kind,
            Verdict::Kind::kWorks);

  Verdict missed = verdict({Outcome::pointer(0x2a0), done, Outcome::pointer(0x300)});
  EXPECT_EQ(missed.kind, Verdict::Kind::kGoalNotMet);
  EXPECT_EQ(verdict_text(missed), "goal not met (d == t+0x10: d is heap+0x300, wanted heap+0x2b0)");

  Verdict stopped = verdict({Outcome::pointer(0x2a0), Outcome::abort("free(): invalid pointer")});
  EXPECT_EQ(verdict_text(stopped), "stopped at op 1: free(): invalid pointer");

  EXPECT_EQ(verdict_text(verdict({Outcome::pointer(0x2a0), done, Outcome::fault(11, 0x2b8, true)})),
            "fault at op 2 at heap+0x2b8");
  // A raw address is each process's own: left out, so that two faults compare equal.
  EXPECT_EQ(verdict_text(verdict({Outcome::fault(11, 0x7f0000001000, false)})), "fault at op 0");
  EXPECT_EQ(verdict_text(verdict({Outcome::pointer(0x2a0), Outcome::timeout()})),
            "timeout at op 1");
  EXPECT_EQ(verdict({Outcome::pointer(0x2a0), done, Outcome::null(12)}).kind,
            Verdict::Kind::kGoalNotMet);
  // d at t+0x10 but t's block is 0x48 long: they overlap; at t+0x50 they would not.
  const Technique apart = parse_ok("# goal: d overlaps t\nt = malloc 0x48\nd = malloc 0x18\n");
  EXPECT_EQ(
      judge(apart, apart.program, trace_of({Outcome::pointer(0x2a0), Outcome::pointer(0x2a8)}))
          .kind,
      Verdict::Kind::kWorks);
  EXPECT_EQ(
      judge(apart, apart.program, trace_of({Outcome::pointer(0x2a0), Outcome::pointer(0x2f0)}))
          .kind,
      Verdict::Kind::kGoalNotMet);
  Trace failed;
  failed.error = "runner died";
  EXPECT_EQ(verdict_text(judge(t, t.program, failed)), "error: runner died");
}

// A read8's value meets a goal by its name: main_arena+N, a heap address (a safe-linked one once
// revealed), or null for 0.
TEST(TechniqueVerdict, ReadValuesMeetGoalsByName) {
  const Technique t = parse_ok(
      "# goal: fd == main_arena+0x60 and next == a and last == null\n"
      "a = malloc 0x500\nfd = read8 a 0\nnext = read8 a 0\nlast = read8 a 0\n");
  auto named = [](uint32_t base, uint64_t offset, bool safe_linked) {
    ReadValue v{};
    v.value.base = base;
    v.value.offset = offset;
    v.safe_linked = safe_linked;
    if (safe_linked) v.position.base = READ_HEAP;
    return Outcome::read(v);
  };
  // fd reads main_arena+fd; next reads heap+next and last the number `last`, each safe-linked
  // or not.
  auto verdict = [&](uint64_t fd, uint64_t next, bool next_safe_linked, uint64_t last,
                     bool last_safe_linked) {
    const Outcome reads[] = {named(READ_MAIN_ARENA, fd, false),
                             named(READ_HEAP, next, next_safe_linked),
                             named(READ_NUMBER, last, last_safe_linked)};
    return verdict_text(
        judge(t, t.program, trace_of({Outcome::pointer(0x2a0), reads[0], reads[1], reads[2]})));
  };
  EXPECT_EQ(verdict(0x60, 0x2a0, true, 0, true), "works");
  EXPECT_EQ(verdict(0x70, 0x2a0, true, 0, false),
            "goal not met (fd == main_arena+0x60: fd is main_arena+0x70, wanted main_arena+0x60)");
  EXPECT_EQ(verdict(0x60, 0x2b0, true, 0, false),
            "goal not met (next == a: next is heap+0x2b0 (revealed), wanted heap+0x2a0)");
  EXPECT_EQ(verdict(0x60, 0x2a0, false, 0x421, false),
            "goal not met (last == null: last is 0x421, not NULL)");
}

// ---- The scenarios on every side --------------------------------------------------------

const std::vector<Technique>& scenarios() {
  static const std::vector<Technique> all = [] {
    std::string error;
    auto t = load_techniques(scenario_dir(), &error);
    EXPECT_TRUE(t.has_value()) << error;
    return t ? *t : std::vector<Technique>{};
  }();
  return all;
}

TEST(TechniqueTable, EveryScenarioParses) { EXPECT_GE(scenarios().size(), 20u); }

// Debian's 2.31 is fetched on first use (as `--glibc 2.31` does); skipped where it cannot be.
bool real_2_31_available() {
  static const bool ok = [] {
    std::string error;
    if (make_side("glibc-2.31", &error)) return true;
    std::fprintf(stderr, "glibc-2.31 not available here: %s\n", error.c_str());
    return false;
  }();
  return ok;
}

// The table over every release that has both a twin and a real side here (2.31 when its
// package can be had, the host's 2.36, and any release whose twin lands later), both sides each.
std::vector<std::string> releases_with_both() {
  std::vector<std::string> out;
  const std::vector<std::string> real = real_releases();
  for (const std::string& r : twin_releases()) {
    if (std::find(real.begin(), real.end(), r) == real.end()) continue;
    std::string error;
    if (!make_side(side_for_release("glibc", r), &error)) {
      std::fprintf(stderr, "real glibc %s not available here: %s\n", r.c_str(), error.c_str());
      continue;
    }
    out.push_back(r);
  }
  return out;
}

const Table& table() {
  static const Table t = run_table(scenarios(), columns_for(releases_with_both(), true, true));
  return t;
}

TEST(TechniqueTable, EveryTwinCellEqualsRealGlibcsOnItsRelease) {
  const Table& t = table();
  ASSERT_TRUE(t.unavailable.empty()) << t.unavailable[0];
  size_t pairs = 0;
  for (size_t c = 0; c < t.columns.size(); ++c) {
    if (!t.columns[c].twin) continue;
    for (size_t g = 0; g < t.columns.size(); ++g) {
      if (t.columns[g].twin || t.columns[g].release != t.columns[c].release) continue;
      ++pairs;
      for (size_t r = 0; r < t.rows.size(); ++r) {
        const Row& row = t.rows[r];
        // Where a comparability rule excuses the pair, the details may differ with each
        // process's addresses (a safe-linked value written on a release without safe-linking
        // faults where that process's heap address takes it): the same kind at the same op.
        const bool excused =
            std::any_of(t.disagreements.begin(), t.disagreements.end(), [&](const Disagreement& d) {
              return d.row == r && d.release == t.columns[c].release && !d.excused.empty();
            });
        if (excused) {
          EXPECT_EQ(row.cells[c].kind, row.cells[g].kind)
              << row.technique->name << " on " << t.columns[c].release;
          EXPECT_EQ(row.cells[c].op, row.cells[g].op)
              << row.technique->name << " on " << t.columns[c].release;
          continue;
        }
        EXPECT_EQ(verdict_text(row.cells[c]), verdict_text(row.cells[g]))
            << row.technique->name << " on " << t.columns[c].release;
      }
    }
  }
  EXPECT_EQ(pairs, releases_with_both().size());
  EXPECT_GE(pairs, 1u);  // the host's 2.36 at least
  // And op by op: every outcome, and the arena after every op.
  EXPECT_FALSE(t.disagrees()) << format_table(t);
  for (const Disagreement& d : t.disagreements) {
    EXPECT_FALSE(d.excused.empty()) << d.what << "\n" << format_table(t);
  }
}

// Real glibc's cell of `technique` on side `side`.
std::string real(const std::string& technique, const std::string& side) {
  const Verdict* v = table().cell(technique, side);
  return v ? verdict_text(*v) : "(no cell for " + technique + " on " + side + ")";
}

// Facts of glibc's history (the release that brought each check: docs/techniques.md,
// docs/glibc-versions.md), seen on real glibc.
TEST(TechniqueTable, RealGlibcShowsTheChecksEachReleaseBrought) {
  const char* const kUnaligned = "stopped at op 7: malloc(): unaligned tcache chunk detected";
  const char* const kOneChunk = "goal not met (d == t+0x10: d is heap+0x310, wanted heap+0x2d0)";
  const char* const kTcacheDup = "stopped at op 2: free(): double free detected in tcache 2";
  const char* const kTopSize = "stopped at op 2: malloc(): corrupted top size";
  const char* const kNextsize =
      "stopped at op 16: malloc(): largebin double linked list corrupted (nextsize)";
  // Each technique's cell on real 2.36 and, where named, on real 2.31.
  const struct {
    const char* technique;
    const char* on_2_36;
    const char* on_2_31;  // nullptr: not held here
  } kFacts[] = {
      // 2.32 safe-linking: the poisoned pointer is written plain on 2.31, protect()ed on 2.36;
      // an unaligned target is stopped only since 2.32; the safe-linked form is wild on 2.31.
      {"tcache_poisoning", "works", "works"},
      {"tcache_poisoning_unaligned", kUnaligned, "works"},
      {"tcache_poisoning_protect_as_written", "works", "fault at op 7"},
      // 2.30: malloc takes from the tcache only while the bin's count is above zero.
      {"tcache_poisoning_one_chunk", kOneChunk, kOneChunk},
      // 2.29 tcache key: a plain double free is found, one with the key cleared is not.
      {"tcache_dup", kTcacheDup, kTcacheDup},
      {"tcache_dup_key_overwrite", "works", nullptr},
      // 2.29: top's size, the unsorted list and next chunk, prev_size when consolidating.
      {"house_of_force", kTopSize, kTopSize},
      {"unsorted_bin_attack", "stopped at op 5: malloc(): unsorted double linked list corrupted",
       nullptr},
      // Leaks and forged frees through a read value: no check stands in the way.
      {"decrypt_safe_linking", "works", nullptr},
      {"tcache_house_of_spirit", "works", nullptr},
      {"poison_null_byte", "stopped at op 11: corrupted size vs. prev_size while consolidating",
       nullptr},
      // 2.30: the large-bin insertion checks one branch only.
      {"large_bin_attack", "works", nullptr},
      {"large_bin_attack_bk", kNextsize, kNextsize},
  };
  for (const auto& f : kFacts) EXPECT_EQ(real(f.technique, "glibc"), f.on_2_36) << f.technique;

  if (!real_2_31_available()) GTEST_SKIP() << "Debian's glibc 2.31 cannot be fetched here";
  for (const auto& f : kFacts) {
    if (f.on_2_31 != nullptr) EXPECT_EQ(real(f.technique, "glibc-2.31"), f.on_2_31) << f.technique;
  }
}

// 2.41 (no twin yet): calloc takes from the tcache first, so the techniques that rely on calloc
// skipping it (fastbin_dup, tcache_stashing_unlink_attack) no longer do what they did.
TEST(TechniqueTable, RealGlibc241CallocTakesFromTheTcache) {
  std::string error;
  if (!make_side("glibc-2.41", &error)) {
    GTEST_SKIP() << "Debian's glibc 2.41 cannot be fetched here: " << error;
  }
  const Table t = run_table(scenarios(), {{"2.41", "glibc-2.41", false}});
  ASSERT_EQ(t.columns.size(), 1u);
  auto cell = [&](const std::string& name) { return verdict_text(*t.cell(name, "glibc-2.41")); };
  EXPECT_EQ(cell("tcache_poisoning"), "works");
  EXPECT_EQ(cell("tcache_poisoning_unaligned"),
            "stopped at op 7: malloc(): unaligned tcache chunk detected");
  EXPECT_EQ(cell("fastbin_dup"), "stopped at op 20: free(): double free detected in tcache 2");
  EXPECT_EQ(cell("tcache_stashing_unlink_attack").rfind("goal not met (x == t+0x10: ", 0), 0u)
      << cell("tcache_stashing_unlink_attack");
}

// ---- A twin that disagrees is marked ----------------------------------------------------

// The twin with one outcome changed (op `op` of every Program long enough), or with the arena
// digest after that op changed (the outcomes left alone).
class PlantedSide : public Side {
 public:
  PlantedSide(std::unique_ptr<Side> inner, size_t op, std::optional<Outcome> planted)
      : inner_(std::move(inner)), op_(op), planted_(std::move(planted)) {}
  std::string name() const override { return inner_->name(); }
  Trace run(const Program& program, const RunOptions& options) override {
    Trace t = inner_->run(program, options);
    if (!planted_) {
      if (t.digests.size() > op_) t.digests[op_] ^= 1;
    } else if (t.outcomes.size() > op_) {
      t.outcomes[op_] = *planted_;
      if (planted_->is_fatal()) t.outcomes.resize(op_ + 1);
    }
    return t;
  }

 private:
  std::unique_ptr<Side> inner_;
  size_t op_;
  std::optional<Outcome> planted_;
};

Table twin_against_planted(size_t op, std::optional<Outcome> planted) {
  const std::vector<Column> columns = {{"2.36", "twin", true}, {"2.36", "planted", false}};
  return run_table(scenarios(), columns, {},
                   [&](const std::string& name, std::string* error) -> std::unique_ptr<Side> {
                     auto twin = make_side("twin", error);
                     if (name == "twin" || !twin) return twin;
                     return std::make_unique<PlantedSide>(std::move(twin), op, planted);
                   });
}

TEST(TechniqueTable, ATwinThatStopsElsewhereIsMarkedAsDisagreeing) {
  const Table t = twin_against_planted(3, Outcome::abort("planted"));
  EXPECT_TRUE(t.disagrees());
  const std::string text = format_table(t);
  EXPECT_NE(text.find("<< DISAGREE on 2.36"), std::string::npos) << text;
  EXPECT_NE(text.find("!! stopped at op 3"), std::string::npos) << text;
  EXPECT_NE(
      text.find("DISAGREE: tcache_poisoning on 2.36: twin: works; glibc: stopped at op 3: planted"),
      std::string::npos)
      << text;
}

TEST(TechniqueTable, OutcomesAreComparedEvenWhereTheVerdictsAgree) {
  // Op 0's pointer moved: most techniques still work (or stop) alike, but the runs differ.
  const Table t = twin_against_planted(0, Outcome::pointer(0x12340));
  ASSERT_TRUE(t.disagrees());
  const std::string text = format_table(t);
  EXPECT_NE(text.find("first differ at op 0"), std::string::npos) << text;
  EXPECT_NE(text.find("outcome 0x2a0 vs 0x12340"), std::string::npos) << text;
}

TEST(TechniqueTable, TheArenaAfterEveryOpIsComparedToo) {
  const Table t = twin_against_planted(1, std::nullopt);
  ASSERT_TRUE(t.disagrees());
  const std::string text = format_table(t);
  EXPECT_NE(text.find("first differ at op 1 (p2 = malloc 0x8): the arena after it"),
            std::string::npos)
      << text;
}

// ---- The command ------------------------------------------------------------------------

preload_test::Finished heaptwin(std::vector<std::string> args) {
  args.insert(args.begin(), preload_test::runfile("tools/heaptwin"));
  return preload_test::run(args, preload_test::RunOptions{{}, "", false, ""});
}

std::string temp_dir(const std::string& name) {
  const char* d = std::getenv("TEST_TMPDIR");
  const std::string dir = std::string(d && *d ? d : "/tmp") + "/" + name;
  std::system(("rm -rf '" + dir + "' && mkdir -p '" + dir + "'").c_str());
  return dir;
}

void write(const std::string& path, const std::string& text) {
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr) << path;
  std::fputs(text.c_str(), f);
  std::fclose(f);
}

TEST(TechniquesCommand, HelpExplainsTheTable) {
  auto f = heaptwin({"techniques", "--help"});
  EXPECT_EQ(f.exit_code, 0) << f.err;
  for (const char* words : {"works", "goal not met", "stopped at op N", "DISAGREE", "# goal:"}) {
    EXPECT_NE(f.out.find(words), std::string::npos) << words;
  }
}

TEST(TechniquesCommand, AnUnknownReleaseIsRefusedWithTheKnownOnes) {
  auto f = heaptwin({"techniques", "--glibc", "2.31,2.99", scenario_dir()});
  EXPECT_EQ(f.exit_code, 2);
  EXPECT_NE(f.err.find("unknown glibc version '2.99'"), std::string::npos) << f.err;
  EXPECT_NE(f.err.find("2.31, 2.35, 2.36"), std::string::npos) << f.err;
}

TEST(TechniquesCommand, AScenarioWithoutAWellFormedGoalIsRefusedByFileAndLine) {
  const std::string dir = temp_dir("bad_goal");
  write(dir + "/a.heap", "# goal: no abort\na = malloc 0x18\n");
  write(dir + "/b.heap", "# technique: b\n# goal: x == a\na = malloc 0x18\n");
  auto f = heaptwin({"techniques", "--on", "twin", dir});
  EXPECT_EQ(f.exit_code, 2);
  EXPECT_NE(f.err.find(dir + "/b.heap:2: goal names 'x'"), std::string::npos) << f.err;
  write(dir + "/b.heap", "# technique: b\na = malloc 0x18\n");
  f = heaptwin({"techniques", "--on", "twin", dir});
  EXPECT_EQ(f.exit_code, 2);
  EXPECT_NE(f.err.find(dir + "/b.heap:1: expected a '# goal:'"), std::string::npos) << f.err;
}

TEST(TechniquesCommand, PrintsTheTableOfTheTwinsAndExitsZero) {
  auto f = heaptwin({"techniques", "--on", "twin", scenario_dir()});
  EXPECT_EQ(f.exit_code, 0) << f.err;
  EXPECT_NE(f.out.find("tcache_poisoning_unaligned"), std::string::npos) << f.out;
  EXPECT_NE(f.out.find("malloc(): unaligned tcache chunk detected"), std::string::npos) << f.out;
  // No column of kind "glibc" (2.43's assertion messages say "Fatal glibc error" themselves).
  std::istringstream lines(f.out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    bool kinds_row = !line.empty(), real = false;
    for (std::string w; words >> w;) {
      kinds_row &= w == "twin" || w == "glibc";
      real |= w == "glibc";
    }
    EXPECT_FALSE(kinds_row && real) << "--on twin ran a real side:\n" << f.out;
  }
}

}  // namespace
}  // namespace heaptwin::techniques
