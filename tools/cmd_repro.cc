// heaptwin repro: replay a fuzz input (or a .heap script) on every side, minimise it while it
// fails the same way, and explain the first divergence with the heap before and after it.
#include <sys/stat.h>

#include <cstdio>
#include <memory>

#include "oracle/executor.h"
#include "oracle/trace_text.h"
#include "program/fuzz_encoding.h"
#include "program/heap_format.h"
#include "program/minimize.h"
#include "tools/cli_util.h"
#include "tools/html_timeline.h"
#include "tools/side_options.h"

namespace heaptwin::cli {

namespace {

constexpr const char* kHelp =
    "usage: heaptwin repro INPUT [--sides a,b,...] [--target T] [--glibc V|--libc PATH]\n"
    "                      [--no-minimize] [--save NAME] [--html OUT.html]\n\n"
    "Replays INPUT on every side, minimises it (fewest ops, then smallest sizes) while it keeps\n"
    "failing the same way, and prints the minimal .heap script, the first divergence, and the\n"
    "heap and bins on each side before and after that op.\n\n"
    "INPUT is a fuzz input (bytes, docs/fuzz-encoding.md) or a .heap script (by its extension).\n"
    "  --sides LIST    sides to compare (default: the target's own)\n"
    "  --target T      the fuzz target the input came from: twin_vs_glibc, twin_vs_model,\n"
    "                  attack or threads (default: attack, which decodes write8 corruption\n"
    "                  too; only threads decodes tN: ops)\n"
    "  --glibc V       the release the finding came from (heaptwin fuzz --glibc V): its twin\n"
    "                  and real glibc V\n"
    "  --libc PATH     real glibc from this libc.so.6 (or its folder); its release picks the twin\n"
    "  --no-minimize   explain the input as it is\n"
    "  --save NAME     keep the minimal input as corpus/regressions/<target>/NAME (bytes) with\n"
    "                  NAME.heap beside it; ./heaptwin test replays it from then on\n"
    "  --html OUT      also write the minimal program's run as one self-contained HTML page: per\n"
    "                  op each side's heap (chunks by state and bin, the bins with their links),\n"
    "                  side by side, the first divergence marked and shown at open "
    "(docs/show.md)\n\n"
    "exit: 0 the sides agree (nothing to reproduce); 1 reproduced; 2 bad usage or input\n";

// How a run failed, coarsely enough that a smaller Program failing "the same way" matches.
struct Failure {
  bool failed = false;
  std::string kind;  // "side error: <side>: <message up to '(op'>" or "outcome/state a|b kinds"

  bool operator==(const Failure& o) const { return failed == o.failed && kind == o.kind; }
};

// A finding's kind, from the executor's verdict on it (the same verdict its fuzz target gave).
Failure classify(Executor& executor, const Program& p) {
  Failure f;
  const Verdict v = executor.judge(p);
  if (!v.finding()) return f;
  f.failed = true;
  const DiffResult& r = v.diff;
  if (!r.side_errors.empty()) {
    const std::string& e = r.side_errors.front();
    f.kind = "side error: " + e.substr(0, e.find("(op"));
    return f;
  }
  if (!r.diverged) {
    const auto& violation = r.violations.front();
    f.kind = "broken rule: " + v.traces[violation.side].side + ": " +
             violation.what.substr(0, violation.what.find(':'));
    return f;
  }
  const Trace& a = v.traces[r.first.side_a];
  const Trace& b = v.traces[r.first.side_b];
  auto kind_at = [&](const Trace& t) {
    return r.first.op_index < t.outcomes.size()
               ? std::to_string(static_cast<int>(t.outcomes[r.first.op_index].kind))
               : std::string("-");
  };
  f.kind = std::string(r.first.in_state ? "state " : "outcome ") + a.side + "|" + b.side + " " +
           kind_at(a) + "|" + kind_at(b) + " " + op_name(p.ops[r.first.op_index].kind);
  return f;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void explain(const Program& p, Executor& executor) {
  const Verdict verdict = executor.judge(p);
  std::printf("finding: %s\n", verdict.headline(p).c_str());  // what was found, in one line first
  std::printf("== minimal program (%zu ops)\n%s\n", p.ops.size(), print_heap(p).c_str());
  std::printf("== first divergence\n%s\n", verdict.report(p).c_str());
  if (!verdict.diff.diverged) return;
  const size_t i = verdict.diff.first.op_index;
  const std::vector<Trace> traces = executor.run_with_snapshots(p);
  for (const Trace& t : traces) {
    if (t.states.empty()) continue;
    std::printf("== %s: heap before op %zu\n", t.side.c_str(), i);
    if (i == 0)
      std::printf("    (pristine)\n");
    else if (i - 1 < t.states.size())
      std::printf("%s", format_state(t.states[i - 1], "    ", false).c_str());
    std::printf("== %s: heap after op %zu (%s)\n", t.side.c_str(), i,
                print_op(p, p.ops[i]).c_str());
    if (i < t.states.size())
      std::printf("%s", format_state(t.states[i], "    ", false).c_str());
    else
      std::printf("    (the op ended the program: %s)\n",
                  i < t.outcomes.size() ? to_string(t.outcomes[i]).c_str() : "no outcome");
  }
}

// Keeps `program` as corpus/regressions/<target>/<name> (fuzz bytes) with its .heap form beside
// it; every file there is replayed by `./heaptwin test`.
int save_regression(const Program& program, const std::string& target, const std::string& name,
                    const std::string& header) {
  std::string error;
  auto encoded = encode_fuzz(program, &error);
  if (!encoded) return usage_error("repro", "cannot save: " + error);
  struct stat st;
  if (stat("corpus", &st) != 0 || !S_ISDIR(st.st_mode)) {
    return usage_error("repro", "--save runs from the repository root (no corpus/ here)");
  }
  ::mkdir("corpus/regressions", 0755);
  std::string dir = "corpus/regressions/" + target;
  ::mkdir(dir.c_str(), 0755);
  if (!write_file_atomic(dir + "/" + name, *encoded, &error) ||
      !write_file_atomic(dir + "/" + name + ".heap", header + print_heap(program), &error)) {
    return usage_error("repro", error);
  }
  std::printf("saved %s/%s and %s.heap\n", dir.c_str(), name.c_str(), name.c_str());
  return kExitOk;
}

// --html: the run of `program` as one page (tools/html_timeline.h).
int write_html(Executor& executor, const Program& program, const Verdict& verdict,
               const std::string& input, const std::string& out) {
  TimelinePage page;
  page.title = input + " (" + std::to_string(program.ops.size()) + " ops)";
  page.command = "heaptwin repro --html";
  std::string error;
  if (!write_html_timeline(executor, program, verdict, page, out, &error)) {
    return usage_error("repro", error);
  }
  std::fprintf(stderr, "wrote %s\n", out.c_str());
  return kExitOk;
}

}  // namespace

int cmd_repro(const Args& args) {
  if (printed_help(args, kHelp)) return kExitOk;
  std::string input, save, target = "attack", release, html;
  std::vector<std::string> side_names_wanted;  // default: the target's own
  bool do_minimize = true;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const char* what) -> std::optional<std::string> {
      if (i + 1 >= args.size()) return std::nullopt;
      (void)what;
      return args[++i];
    };
    if (a == "--sides") {
      auto v = value("--sides");
      if (!v) return usage_error("repro", "--sides needs a list, e.g. twin,glibc");
      side_names_wanted = comma_list(*v);
    } else if (a == "--target") {
      auto v = value("--target");
      if (!v) return usage_error("repro", "--target needs a name");
      target = *v;
      if (fuzz_target_config(target) == nullptr) {
        return usage_error("repro", "unknown target '" + target +
                                        "' (twin_vs_glibc, twin_vs_model, attack, threads)");
      }
    } else if (a == "--save") {
      auto v = value("--save");
      if (!v || v->empty() || v->find('/') != std::string::npos) {
        return usage_error("repro", "--save needs a plain NAME (no '/')");
      }
      save = *v;
    } else if (std::string e; take_release_option(args, &i, &release, &e)) {
      if (!e.empty()) return usage_error("repro", e);
    } else if (a == "--html") {
      auto v = value("--html");
      if (!v || v->empty()) {
        return usage_error("repro", "--html needs an output file, e.g. finding.html");
      }
      html = *v;
    } else if (a == "--no-minimize") {
      do_minimize = false;
    } else if (!a.empty() && a[0] == '-') {
      return usage_error("repro", "unknown option '" + a + "'");
    } else if (input.empty()) {
      input = a;
    } else {
      return usage_error("repro", "expected one INPUT, got also '" + a + "'");
    }
  }
  if (input.empty()) return usage_error("repro", "expected an INPUT (fuzz input or .heap)");
  if (!side_names_wanted.empty() && side_names_wanted.size() < 2) {
    return usage_error("repro", "--sides needs at least two sides");
  }

  std::string error;
  if (!html.empty() && !output_path_writable(html, &error)) return usage_error("repro", error);
  auto bytes = read_file(input, &error);
  if (!bytes) return usage_error("repro", error);
  Program program;
  if (ends_with(input, ".heap")) {
    auto parsed = parse_heap(*bytes, input, &error);
    if (!parsed) {
      std::fprintf(stderr, "%s\n", error.c_str());
      return kExitUsage;
    }
    program = *parsed;
  } else {
    program = decode_input(*fuzz_target_config(target), release,
                           reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size());
  }

  // Judged as the target judged it: its sides (unless told otherwise), checks and rules.
  JudgeConfig config = *fuzz_target_config(target);
  if (!side_names_wanted.empty()) config.sides = side_names_wanted;
  for (std::string& side : config.sides) side = side_for_version(side, release);
  auto executor = Executor::create(config, &error);
  if (!executor) return usage_error("repro", error);
  Failure original = classify(*executor, program);
  if (!original.failed) {
    const Verdict v = executor->judge(program);
    std::printf("%s (%zu ops): %s", input.c_str(), program.ops.size(), v.report(program).c_str());
    if (!html.empty()) {
      if (int rc = write_html(*executor, program, v, input, html); rc != kExitOk) return rc;
    }
    // A finding fixed before it was saved is still worth keeping: as it is, unminimised.
    if (!save.empty()) {
      return save_regression(
          program, target, save,
          "# regression (sides agreed when saved, after the fix)\n# from " + input + "\n");
    }
    return kExitOk;
  }
  std::fprintf(stderr, "reproduced: %s\n", original.kind.c_str());

  Program minimal = program;
  if (do_minimize) {
    MinimizeStats stats;
    minimal = minimize(
        program, [&](const Program& p) { return classify(*executor, p) == original; }, &stats,
        [](size_t ops) { std::fprintf(stderr, "\rminimising: %zu ops   ", ops); });
    std::fprintf(stderr, "\rminimised %zu -> %zu ops in %zu runs\n", stats.ops_before,
                 stats.ops_after, stats.tries);
  }
  explain(minimal, *executor);
  if (!html.empty()) {
    const Verdict verdict = executor->judge(minimal);
    if (int rc = write_html(*executor, minimal, verdict, input, html); rc != kExitOk) return rc;
  }

  if (!save.empty()) {
    int rc = save_regression(minimal, target, save,
                             "# regression: " + original.kind + "\n# from " + input + "\n");
    if (rc != kExitOk) return rc;
  }
  return kExitFound;
}

}  // namespace heaptwin::cli
