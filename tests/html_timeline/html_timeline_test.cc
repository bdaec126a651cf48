// The HTML timeline (heaptwin show --html, repro --html) as a browser draws it: headless Chromium
// renders the page the command wrote, and the DOM it prints must hold, for every op and every
// side, every chunk (offset, size, state) and every bin entry (bin, position, offset, size, its
// links) that the heap view reads from the same sides running the same Program in this test
// (walk_chunks, read_arena): nothing from the page's own data. The op the page opens at is the
// executor's first divergence. Without Chromium the test skips and says how to install it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>

#include "oracle/executor.h"
#include "oracle/heap_check.h"
#include "oracle/heap_view.h"
#include "oracle/side.h"
#include "program/heap_format.h"
#include "program/hex.h"
#include "tests/golden_dir.h"
#include "tests/html_timeline/rendered_dom.h"
#include "tests/preload/run_process.h"

namespace heaptwin::html_test {
namespace {

using preload_test::Finished;

std::string temp_path(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir && *dir ? dir : "/tmp") + "/" + name;
}

std::string chromium() {
  const char* env = std::getenv("HEAPTWIN_CHROMIUM");
  const std::string path = env && *env ? env : "/usr/bin/chromium";
  return access(path.c_str(), X_OK) == 0 ? path : "";
}

// The DOM after the page's script ran: `fragment` is "all" (every op drawn) or "" (as opened).
std::string rendered_dom(const std::string& html_path, const std::string& fragment) {
  const std::string profile = temp_path("chromium-profile");
  Finished f =
      preload_test::run({"timeout", "120", chromium(), "--headless", "--no-sandbox",
                         "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                         "--user-data-dir=" + profile, "--virtual-time-budget=5000", "--dump-dom",
                         "file://" + html_path + (fragment.empty() ? "" : "#" + fragment)},
                        preload_test::RunOptions{{"HOME=" + temp_path("")}, "", false, ""});
  EXPECT_EQ(f.exit_code, 0) << f.err;
  return f.out;
}

Finished heaptwin(std::vector<std::string> args) {
  args.insert(args.begin(), preload_test::runfile("tools/heaptwin"));
  return preload_test::run(args, preload_test::RunOptions{{}, "", false, ""});
}

// ---- what the page must show, read by the heap view from the sides run here

using ChunkKey = std::tuple<std::string, std::string, std::string>;  // offset, size, state
using EntryKey =
    std::tuple<std::string, std::string, std::string, std::string>;  // bin, index, offset, size

struct HeapAfterOp {
  std::set<ChunkKey> chunks;
  std::set<EntryKey> entries;
  // Per entry, how each link must begin: "next -> heap+0x2a0".
  std::map<EntryKey, std::vector<std::string>> links;
  bool safe_linking = false;
};

struct SideRun {
  std::string side;
  Trace trace;
  std::vector<std::optional<HeapAfterOp>> after;  // per op that returned
  // The heap the page shows at op i: after the last op up to i that returned.
  const HeapAfterOp* shown_at(size_t i, long* after_op) const {
    for (size_t k = std::min(i + 1, after.size()); k-- > 0;) {
      if (after[k]) {
        *after_op = static_cast<long>(k);
        return &*after[k];
      }
    }
    *after_op = -1;
    return nullptr;
  }
};

// A pointer named as readers compare it across processes; "" when it points elsewhere.
std::string named(uint64_t addr, const HeapLocation& loc) {
  if (addr == 0) return "0";
  if (addr >= loc.arena && addr < loc.arena + 0x898) return "main_arena+" + hex(addr - loc.arena);
  if (addr >= loc.heap_base && addr <= loc.heap_end) return "heap+" + hex(addr - loc.heap_base);
  return "";
}

HeapAfterOp read_heap(const MemoryReader& mem, const HeapLocation& loc, const GlibcLayout& layout) {
  HeapAfterOp h;
  h.safe_linking = layout.safe_linking;
  const ArenaSnapshot s = read_arena(mem, loc, layout);
  std::map<int64_t, std::string> state_of;  // the first list holding each chunk
  auto note = [&](const BinList& list, const std::string& bin, const std::string& state) {
    for (size_t k = 0; k < list.chunks.size(); ++k) {
      const ChunkRef& r = list.chunks[k];
      const bool raw = r.wild && r.link_form == LinkForm::kAsRead;
      const EntryKey key{bin, std::to_string(k), raw ? "wild" : signed_hex(r.offset), size_text(r)};
      h.entries.insert(key);
      if (r.wild) continue;
      state_of.emplace(r.offset, state);
      const uint64_t at = loc.heap_base + static_cast<uint64_t>(r.offset);
      auto link = [&](const char* name, uint64_t pos, bool protected_ptr) {
        uint64_t stored = 0;
        if (!mem.read_u64(pos, &stored)) return;
        const uint64_t to = protected_ptr && layout.safe_linking ? reveal_ptr(pos, stored) : stored;
        if (!named(to, loc).empty())
          h.links[key].push_back(std::string(name) + " -> " + named(to, loc));
      };
      if (state == "tcache") link("next", at + 0x10, true);
      if (state == "fastbin") link("fd", at + 0x10, true);
      if (state == "unsorted" || state == "small" || state == "large") {
        link("fd", at + 0x10, false);
        link("bk", at + 0x18, false);
      }
      if (state == "large") {
        link("fd_nextsize", at + 0x20, false);
        link("bk_nextsize", at + 0x28, false);
      }
    }
  };
  if (s.valid) {
    for (int i = 0; i < kTcacheBins; ++i) note(s.tcache[i], tcache_bin_name(i), "tcache");
    for (int i = 0; i < kFastBins; ++i) note(s.fastbins[i], fastbin_name(i), "fastbin");
    for (int i = 1; i < kBins - 1; ++i) {
      note(s.bins[i], regular_bin_name(i), i == 1 ? "unsorted" : i < 64 ? "small" : "large");
    }
  }
  if (loc.heap_end <= loc.heap_base) return h;
  std::string broken;
  for (const HeapChunk& c : walk_chunks(mem, loc, layout, &broken)) {
    auto it = state_of.find(c.offset);
    h.chunks.insert({hex(static_cast<uint64_t>(c.offset)), hex(c.size),
                     c.is_top               ? "top"
                     : it != state_of.end() ? it->second
                                            : "inuse"});
  }
  return h;
}

Program load(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string error;
  auto program = parse_heap(text.str(), path, &error);
  EXPECT_TRUE(program) << error;
  return program ? *program : Program{};
}

SideRun run_side(const std::string& name, const Program& program) {
  SideRun r;
  r.side = name;
  std::string error;
  auto side = make_side(name, &error);
  EXPECT_TRUE(side) << error;
  if (!side) return r;
  RunOptions options;
  options.inspect = [&](size_t op, const MemoryReader& mem, const HeapLocation& loc,
                        const GlibcLayout& layout) {
    if (r.after.size() <= op) r.after.resize(op + 1);
    r.after[op] = read_heap(mem, loc, layout);
  };
  r.trace = side->run(program, options);
  EXPECT_EQ(r.trace.error, "") << name;
  return r;
}

// ---- the checks

// Every op of the #all rendering against the heap each side showed after it.
void expect_every_step_drawn(const std::string& dom, const Program& program,
                             const std::vector<SideRun>& runs) {
  ASSERT_NE(dom.find("data-ready=\"all\""), std::string::npos)
      << "the page's script did not finish";
  std::map<std::pair<std::string, std::string>, std::set<ChunkKey>> chunks;  // (step, side)
  std::map<std::pair<std::string, std::string>, std::set<EntryKey>> entries;
  std::map<std::pair<std::string, std::string>, std::string> after_op;
  std::map<std::tuple<std::string, std::string, EntryKey>, std::vector<std::string>> links;
  std::map<std::pair<std::string, std::string>, std::string> outcomes;
  for (const DomElement& e : elements(dom, "chunk", "</div></div>")) {
    chunks[{e.attr("data-step"), e.attr("data-side")}].insert(
        {e.attr("data-off"), e.attr("data-size"), e.attr("data-state")});
    after_op[{e.attr("data-step"), e.attr("data-side")}] = e.attr("data-after");
  }
  for (const DomElement& e : elements(dom, "entry", "</span>")) {
    const EntryKey key{e.attr("data-bin"), e.attr("data-index"),
                       e.attr("data-form") == "wild" ? "wild" : e.attr("data-off"),
                       e.attr("data-size")};
    entries[{e.attr("data-step"), e.attr("data-side")}].insert(key);
    links[{e.attr("data-step"), e.attr("data-side"), key}] = link_lines(e.inner);
  }
  std::vector<DomElement> steps = elements(dom, "step", ">");
  ASSERT_EQ(steps.size(), program.ops.size());
  size_t checked_chunks = 0, checked_entries = 0, checked_links = 0;
  for (size_t i = 0; i < program.ops.size(); ++i) {
    const std::string step = std::to_string(i);
    for (const SideRun& run : runs) {
      long shown_after = -1;
      const HeapAfterOp* want = run.shown_at(i, &shown_after);
      const std::set<ChunkKey> no_chunks;
      const std::set<EntryKey> no_entries;
      const auto& want_chunks = want ? want->chunks : no_chunks;
      const auto& want_entries = want ? want->entries : no_entries;
      const std::pair<std::string, std::string> at{step, run.side};
      EXPECT_EQ(chunks[at], want_chunks) << run.side << " op " << i << ": the chunks";
      EXPECT_EQ(entries[at], want_entries) << run.side << " op " << i << ": the bin entries";
      if (!want_chunks.empty()) {
        EXPECT_EQ(after_op[at], std::to_string(shown_after)) << run.side << " op " << i;
      }
      checked_chunks += want_chunks.size();
      checked_entries += want_entries.size();
      if (!want) continue;
      for (const auto& [key, lines] : want->links) {
        const auto& drawn = links[std::make_tuple(step, run.side, key)];
        for (const std::string& line : lines) {
          bool found = false;
          for (const std::string& d : drawn) {
            if (d.rfind(line, 0) != 0) continue;
            found = true;
            // A safe-linked pointer is shown revealed, with what is stored beside it.
            const bool protected_link =
                line.rfind("next", 0) == 0 || std::get<0>(key).rfind("fastbins", 0) == 0;
            if (want->safe_linking && protected_link) {
              EXPECT_NE(d.find("(stored 0x"), std::string::npos) << d;
              EXPECT_NE(d.find("safe-linked)"), std::string::npos) << d;
            }
          }
          EXPECT_TRUE(found) << run.side << " op " << i << " " << std::get<0>(key) << "["
                             << std::get<1>(key) << "]: no link line starting '" << line << "'";
          ++checked_links;
        }
      }
    }
  }
  EXPECT_GT(checked_chunks, 0u);
  // The outcome of every op that ran, on every side.
  std::vector<DomElement> shown = elements(dom, "outcome", "</span>");
  size_t ran = 0;
  for (const SideRun& run : runs) ran += run.trace.outcomes.size();
  EXPECT_EQ(shown.size(), ran);
  for (const SideRun& run : runs) {
    for (size_t i = 0; i < run.trace.outcomes.size(); ++i) {
      const std::string want = "-> " + to_string(run.trace.outcomes[i]);
      bool found = false;
      for (const DomElement& e : shown) found |= text_of(e.inner) == want;
      EXPECT_TRUE(found) << run.side << " op " << i << ": " << want;
    }
  }
  std::printf("checked %zu chunks, %zu bin entries, %zu links over %zu ops\n", checked_chunks,
              checked_entries, checked_links, program.ops.size());
}

// Everything in the page is inline: no address a browser would fetch.
void expect_self_contained(const std::string& html) {
  for (const char* s : {"http:", "https:", "src=", "<link", "url(", "@import", "@font-face"}) {
    EXPECT_EQ(html.find(s), std::string::npos) << s;
  }
}

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class HtmlTimeline : public ::testing::Test {
 protected:
  void SetUp() override {
    if (chromium().empty()) {
      GTEST_SKIP() << "Chromium is not installed, so the HTML timeline is not rendered: "
                      "apt-get install chromium (./heaptwin test installs it)";
    }
  }

  // `heaptwin show --html` of a golden scenario on `sides`, checked op by op; the #all DOM.
  std::string show_and_check(const std::string& scenario, const std::vector<std::string>& sides) {
    const std::string heap = golden_dir() + "/" + scenario + ".heap";
    const std::string html = temp_path(scenario + ".html");
    std::string on;
    for (const auto& s : sides) on += (on.empty() ? "" : ",") + s;
    Finished f = heaptwin({"show", heap, "--on", on, "--html", html});
    EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
    expect_self_contained(read_all(html));
    const Program program = load(heap);
    std::vector<SideRun> runs;
    for (const auto& s : sides) runs.push_back(run_side(s, program));
    std::string dom = rendered_dom(html, "all");
    expect_every_step_drawn(dom, program, runs);
    return dom;
  }
};

TEST_F(HtmlTimeline, SafeLinkedPointersAreShownRevealedBesideWhatIsStored) {
  show_and_check("tcache_poisoning", {"twin", "glibc"});
}

TEST_F(HtmlTimeline, AProgramEndingInAnAbortShowsTheHeapBeforeIt) {
  show_and_check("abort_double_free_fasttop", {"twin", "glibc"});
}

TEST_F(HtmlTimeline, UnsortedAndLargeBinsWithTheirLinks) {
  show_and_check("sort_into_largebin", {"twin", "glibc"});
}

TEST_F(HtmlTimeline, MmappedChunksBesideTheHeap) {
  const std::string dom = show_and_check("realloc_mmapped", {"twin", "glibc"});
  const Program program = load(golden_dir() + "/realloc_mmapped.heap");
  // The slots holding an mmapped chunk after each op, from this run's outcomes, as "op side:slot
  // length"; the page must draw exactly those.
  std::set<std::string> want, drawn;
  for (const char* name : {"twin", "glibc"}) {
    const SideRun run = run_side(name, program);
    std::map<SlotId, uint64_t> held;
    for (size_t i = 0; i < run.trace.outcomes.size(); ++i) {
      const Op& op = program.ops[i];
      const Outcome& o = run.trace.outcomes[i];
      if (op.kind == OpKind::kFree || op.kind == OpKind::kRealloc) held.erase(op.src);
      if (op.allocates()) held.erase(op.dst);
      if (op.allocates() && o.kind == OutcomeKind::kMmapped) held[op.dst] = o.size;
      for (const auto& [slot, length] : held) {
        want.insert(std::to_string(i) + " " + std::string(name) + ":" +
                    std::string(program.slot_names[slot]) + " " + hex(length));
      }
    }
  }
  for (const auto& b : elements(dom, "mmapped", "</div></div>")) {
    drawn.insert(b.attr("data-step") + " " + b.attr("data-side") + ":" + b.attr("data-slot") + " " +
                 b.attr("data-size"));
  }
  EXPECT_FALSE(want.empty());
  EXPECT_EQ(drawn, want);
}

// A real divergence, found by the executor between the twin of 2.31 and the host's glibc 2.36
// (a calloc before any malloc goes through malloc_hook_ini before 2.34), through repro --html:
// the page opens at it, marks it, and draws both heaps there.
TEST_F(HtmlTimeline, ReproOpensAtTheFirstDivergence) {
  const std::string heap = golden_dir() + "/calloc_before_any_malloc.heap";
  const std::string html = temp_path("calloc_before_any_malloc.html");
  const std::vector<std::string> sides = {"twin-2.31", "glibc"};
  Finished f =
      heaptwin({"repro", heap, "--sides", "twin-2.31,glibc", "--no-minimize", "--html", html});
  ASSERT_EQ(f.exit_code, 1) << f.out << f.err;  // reproduced
  const Program program = load(heap);
  JudgeConfig config;
  config.sides = sides;
  std::string error;
  auto executor = Executor::create(config, &error);
  ASSERT_TRUE(executor) << error;
  const Verdict verdict = executor->judge(program);
  ASSERT_EQ(verdict.kind, Verdict::Kind::kFinding);
  const std::string first = std::to_string(verdict.diff.first.op_index);

  const std::string opened = rendered_dom(html, "");
  EXPECT_NE(opened.find("data-selected=\"" + first + "\""), std::string::npos)
      << opened.substr(0, 2000);
  std::vector<DomElement> steps = elements(opened, "step", ">");
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].attr("data-step"), first);
  EXPECT_EQ(elements(opened, "divergence", "</div>").size(), 1u);
  for (const DomElement& item : elements(opened, "stepitem", "</li>")) {
    const bool marked = item.attr("class").find("diverge") != std::string::npos;
    EXPECT_EQ(marked, item.attr("data-step") == first) << "op " << item.attr("data-step");
  }

  std::vector<SideRun> runs;
  for (const auto& s : sides) runs.push_back(run_side(s, program));
  expect_every_step_drawn(rendered_dom(html, "all"), program, runs);
}

// A name that is markup stays text: the input's path is in the page's data, escaped, and the
// renderer sets it as text.
TEST_F(HtmlTimeline, NamesAreTextNeverMarkup) {
  const std::string hostile = temp_path(
      "<img src=x onerror=\"document.body.setAttribute('data-pwned',1)\">"
      "</script><script>document.body.setAttribute('data-pwned',2)</script>.heap");
  std::filesystem::create_directories(
      std::filesystem::path(hostile).parent_path());  // '/' of </script>
  {
    std::ofstream out(hostile);
    out << read_all(golden_dir() + "/tcache_poisoning.heap");
  }
  const std::string html = temp_path("hostile.html");
  Finished f = heaptwin({"show", hostile, "--on", "twin", "--html", html});
  ASSERT_EQ(f.exit_code, 0) << f.out << f.err;
  const std::string page = read_all(html);
  EXPECT_EQ(page.find("<img"), std::string::npos);
  EXPECT_EQ(page.find("</script><script>"), std::string::npos);
  const std::string dom = rendered_dom(html, "");
  EXPECT_NE(dom.find("data-ready=\"step\""), std::string::npos)
      << "the page's script did not finish";
  EXPECT_EQ(dom.find("data-pwned=\""), std::string::npos);  // as an attribute, not as text
  EXPECT_EQ(dom.find("<img"), std::string::npos);
  const size_t title = dom.find("<h1 id=\"title\">");
  ASSERT_NE(title, std::string::npos);
  EXPECT_EQ(text_of(dom.substr(title, dom.find("</h1>", title) - title)), hostile);
}

TEST(HtmlTimelineOutput, AnUnwritableOutputIsExit2WithTheReason) {
  const std::string heap = golden_dir() + "/tcache_poisoning.heap";
  const std::string missing = temp_path("no/such/folder/t.html");
  Finished f = heaptwin({"show", heap, "--on", "twin", "--html", missing});
  EXPECT_EQ(f.exit_code, 2);
  EXPECT_NE(f.err.find(missing + ": no such file or directory"), std::string::npos) << f.err;
  f = heaptwin({"show", heap, "--on", "twin", "--html", temp_path("")});
  EXPECT_EQ(f.exit_code, 2);
  EXPECT_NE(f.err.find(": is a directory"), std::string::npos) << f.err;
  f = heaptwin({"repro", heap, "--sides", "twin,model", "--html", missing});
  EXPECT_EQ(f.exit_code, 2);
  EXPECT_NE(f.err.find(missing + ": no such file or directory"), std::string::npos) << f.err;
}

}  // namespace
}  // namespace heaptwin::html_test
