// heaptwin show: the heap and the bins after one op of a script, in pwndbg's vocabulary (heap,
// bins, vis_heap_chunks), for one or several sides one after the other; or (--html) every op of
// the script as one HTML page, the sides side by side (tools/html_timeline.h).
#include <cstdio>
#include <cstdlib>

#include "oracle/executor.h"
#include "oracle/heap_image.h"
#include "oracle/heap_picture.h"
#include "oracle/side.h"
#include "program/heap_format.h"
#include "tools/cli_util.h"
#include "tools/html_timeline.h"
#include "tools/side_options.h"

namespace heaptwin::cli {

namespace {

std::vector<std::string> default_sides() {
  std::vector<std::string> sides;
  for (const auto& n : side_names()) {
    if (n == "twin") sides.push_back("twin");
  }
  sides.push_back("glibc");
  return sides;
}

void print_usage() {
  std::string sides;
  for (const auto& n : default_sides()) sides += (sides.empty() ? "" : ",") + n;
  std::printf(
      "usage: heaptwin show FILE.heap [--at N] [--on SIDE[,SIDE]...] [--chunks K] [--no-vis]\n"
      "                     [--glibc V|--libc PATH] [--tunable NAME=VALUE]... [--html OUT.html]\n\n"
      "Runs the script and draws the heap after op N (default: the last op that ran), for each\n"
      "side (default: %s), one after the other:\n"
      "  heap             every chunk from the heap start to top: offset, size, flags, which bin\n"
      "                   holds it (tcachebins[0x20][0/2] = first of 2), fd/bk (tcache and "
      "fastbin\n"
      "                   pointers revealed, as stored in parentheses)\n"
      "  bins             tcachebins, fastbins, unsortedbin, smallbins, largebins, top\n"
      "  vis_heap_chunks  a hexdump of the first K chunks (default 6), bins and top marked\n"
      "  check            the heap checker's verdict\n"
      "Addresses are offsets from the heap base (heap+0x2a0), so the sides compare directly.\n\n"
      "  --at N       after op N (0-based, as in `heaptwin run`)\n"
      "  --on SIDES   comma-separated sides\n"
      "  --chunks K   hexdump K chunks (0: none); --no-vis is --chunks 0\n"
      "  --glibc V    glibc release V: real glibc V (2.31, 2.41, 2.43, 2.44) and its twin (2.23, "
      "2.27 .. 2.41, 2.43, 2.44)\n"
      "  --libc PATH  the real side runs under this libc.so.6 (or the folder holding it and its\n"
      "               ld-linux-x86-64.so.2); its release is read from it and picks the twin\n"
      "  --tunable    a GLIBC_TUNABLES entry, e.g. tcache_count=0 (glibc.malloc. is implied)\n"
      "  --html OUT   instead, write every op as one self-contained HTML page (a timeline): per\n"
      "               op the heap as chunk boxes coloured by state and bin, the bins with their\n"
      "               links (safe-linked ones revealed), the outcomes, the sides side by side,\n"
      "               the first divergence marked and shown at open (--at N: op N instead);\n"
      "               arrows, the buttons or the op list move between ops (docs/show.md)\n"
      "\nsides: ",
      sides.c_str());
  for (const auto& n : side_names()) std::printf("%s ", n.c_str());
  std::printf("\n");
}

bool parse_count(const std::string& s, long* out) {
  char* end = nullptr;
  long v = std::strtol(s.c_str(), &end, 0);
  if (s.empty() || *end != '\0' || v < 0) return false;
  *out = v;
  return true;
}

// show --html: the sides judged as `diff` judges them (the first divergence to mark), then run
// once more with the heap read after every op, as one page.
int write_html(const std::string& file, const Program& program,
               const std::vector<std::string>& sides, const std::string& version,
               const std::vector<std::pair<std::string, std::string>>& tunables, long at,
               const std::string& out) {
  std::string error;
  if (!output_path_writable(out, &error)) return usage_error("show", error);
  JudgeConfig config;
  config.name = "show";
  for (const auto& name : sides) config.sides.push_back(side_for_version(name, version));
  config.tunables = tunables;
  auto executor = Executor::create(config, &error);
  if (!executor) return usage_error("show", error);
  const Verdict verdict = executor->judge(program);
  TimelinePage page;
  page.title = file;
  page.command = "heaptwin show --html";
  page.open_at = at;
  if (!write_html_timeline(*executor, program, verdict, page, out, &error)) {
    return usage_error("show", error);
  }
  std::string names;
  for (const auto& side : executor->sides()) names += (names.empty() ? "" : ", ") + side->name();
  const std::string verdict_line =
      verdict.diff.diverged
          ? "first divergence at op " + std::to_string(verdict.diff.first.op_index) + "\n"
          : verdict.report(program);
  std::printf("wrote %s: %zu ops on %s; %s", out.c_str(), program.ops.size(), names.c_str(),
              verdict_line.c_str());
  return kExitOk;
}

}  // namespace

int cmd_show(const Args& args) {
  if (printed_help(args, print_usage)) return kExitOk;
  std::string file, version;
  std::vector<std::string> sides = default_sides();
  long at = -1;
  PictureOptions picture;
  RunOptions options;
  std::string html;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const bool has_value = i + 1 < args.size();
    if (a == "--at") {
      if (!has_value || !parse_count(args[++i], &at))
        return usage_error("show", "--at needs an op index (0, 1, ...)");
    } else if (a == "--on" || a == "--side") {
      if (!has_value) return usage_error("show", a + " needs side names, e.g. twin,glibc");
      sides = comma_list(args[++i]);
      if (sides.empty()) return usage_error("show", a + " needs side names, e.g. twin,glibc");
    } else if (a == "--chunks") {
      long k = 0;
      if (!has_value || !parse_count(args[++i], &k))
        return usage_error("show", "--chunks needs a number");
      picture.vis_chunks = static_cast<size_t>(k);
    } else if (a == "--html") {
      if (!has_value || args[i + 1].empty()) {
        return usage_error("show", "--html needs an output file, e.g. t.html");
      }
      html = args[++i];
    } else if (a == "--no-vis") {
      picture.vis_chunks = 0;
    } else if (std::string e; take_side_option(args, &i, &version, &options.tunables, &e)) {
      if (!e.empty()) return usage_error("show", e);
    } else if (std::string e; !take_operand(a, "file", &file, &e)) {
      return usage_error("show", e);
    }
  }
  if (file.empty()) return usage_error("show", "expected a .heap file");
  auto program = load_program_or_report(file);
  if (!program) return kExitUsage;
  std::string error;
  if (program->ops.empty()) return usage_error("show", file + " has no ops");
  if (at >= static_cast<long>(program->ops.size())) {
    return usage_error("show", "--at " + std::to_string(at) + ": " + file + " has ops 0.." +
                                   std::to_string(program->ops.size() - 1));
  }
  for (const auto& name : sides) {
    if (name == "model")
      return usage_error("show", "the model has no ptmalloc heap to draw; use twin or glibc");
  }
  if (!html.empty()) return write_html(file, *program, sides, version, options.tunables, at, html);
  std::vector<std::unique_ptr<Side>> made;
  for (const auto& name : sides) {
    auto side = make_side(side_for_version(name, version), &error);
    if (!side) {
      std::fprintf(stderr, "heaptwin show: %s\n", error.c_str());
      return kExitUsage;
    }
    made.push_back(std::move(side));
  }

  int status = kExitOk;
  for (auto& side : made) {
    // The heap after op `at` (or after the last op that returned, when the run ends first).
    HeapImage image;
    bool have_image = false;
    size_t shown = 0;
    options.inspect = [&](size_t op, const MemoryReader& mem, const HeapLocation& loc,
                          const GlibcLayout& layout) {
      if (at >= 0 && static_cast<long>(op) > at) return;
      image = HeapImage::capture(mem, loc, layout);
      have_image = true;
      shown = op;
    };
    Trace trace = side->run(*program, options);
    std::printf("== %s: %s\n", side->name().c_str(), file.c_str());
    if (!trace.error.empty()) {
      std::printf("error: %s\n\n", trace.error.c_str());
      status = kExitFound;
      continue;
    }
    if (!have_image) {
      std::printf("(no op returned: nothing to draw)\n\n");
      continue;
    }
    if (!trace.outcomes.empty() && trace.outcomes.back().is_fatal()) {
      const size_t ended = trace.outcomes.size() - 1;
      std::printf("the Program ended at op %zu (%s -> %s); showing the heap after op %zu\n", ended,
                  print_op(*program, program->ops[ended]).c_str(),
                  to_string(trace.outcomes[ended]).c_str(), shown);
    }
    std::printf("after op %zu: %s  -> %s\n", shown, print_op(*program, program->ops[shown]).c_str(),
                to_string(trace.outcomes[shown]).c_str());
    std::fputs(draw_heap(image, image.loc, image.layout, picture).c_str(), stdout);
    std::printf("\n");
  }
  return status;
}

}  // namespace heaptwin::cli
