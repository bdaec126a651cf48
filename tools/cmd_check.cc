// heaptwin check: runs scripts on one side with the heap checker after every op and reports the
// first op that leaves a heap breaking an invariant (exit 1), or nothing (exit 0).
#include <cstdio>
#include <cstdlib>

#include "oracle/heap_check.h"
#include "oracle/side.h"
#include "program/heap_format.h"
#include "tools/cli_util.h"
#include "tools/side_options.h"

namespace heaptwin::cli {

namespace {

std::string default_side() {
  for (const auto& n : side_names()) {
    if (n == "twin") return "twin";
  }
  return "glibc";
}

void print_usage() {
  std::printf(
      "usage: heaptwin check FILE.heap... [--on SIDE] [--all] [--glibc V|--libc PATH]\n"
      "                      [--tunable NAME=VALUE]... [--timeout MS]\n"
      "       heaptwin check --rules\n\n"
      "Runs each script on one side (default: %s) and checks the heap after every op: every\n"
      "invariant glibc's MALLOC_DEBUG asserts, and more (bins linked both ways, every free chunk\n"
      "in exactly one bin, tcache counts, safe-linked pointers, large-bin order and nextsize\n"
      "ring, binmap, top, system_mem). Ops after an abort or fault do not run, so are not "
      "checked.\n\n"
      "Prints the first op whose heap breaks a rule, with every violation seen after it, and\n"
      "exits 1; prints nothing and exits 0 when every op leaves a sound heap; exits 2 on bad\n"
      "input or when the side cannot run.\n\n"
      "  --on SIDE    the side to run: twin (the twin's simulated heap) or glibc (real glibc's "
      "heap,\n"
      "               read from the runner process)\n"
      "  --all        every op with violations, not only the first\n"
      "  --rules      list the rules (id and meaning) and exit\n"
      "  --glibc V    glibc release V: real glibc V (2.31, 2.41, 2.43, 2.44) or its twin (2.23, "
      "2.27 .. 2.41, 2.43, 2.44)\n"
      "  --libc PATH  the real side runs under this libc.so.6 (or the folder holding it and its\n"
      "               ld-linux-x86-64.so.2); its release is read from it and picks the twin\n"
      "  --tunable    a GLIBC_TUNABLES entry, e.g. tcache_count=0 (glibc.malloc. is implied)\n"
      "\nsides: ",
      default_side().c_str());
  for (const auto& n : side_names()) std::printf("%s ", n.c_str());
  std::printf("\n");
}

}  // namespace

int cmd_check(const Args& args) {
  if (printed_help(args, print_usage)) return kExitOk;
  std::vector<std::string> files;
  std::string on = default_side(), version;
  bool all = false;
  RunOptions options;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const bool has_value = i + 1 < args.size();
    if (a == "--rules") {
      for (const auto& r : check_rules()) std::printf("%-28s %s\n", r.id, r.meaning);
      return kExitOk;
    } else if (a == "--all") {
      all = true;
    } else if (a == "--on" || a == "--side") {
      if (!has_value) return usage_error("check", a + " needs a side name (twin or glibc)");
      on = args[++i];
    } else if (std::string e; take_side_option(args, &i, &version, &options.tunables, &e)) {
      if (!e.empty()) return usage_error("check", e);
    } else if (a == "--timeout") {
      if (!has_value) return usage_error("check", "--timeout needs milliseconds");
      options.timeout_ms = std::atoi(args[++i].c_str());
      if (options.timeout_ms <= 0)
        return usage_error("check", "--timeout needs a positive number of milliseconds");
    } else if (!a.empty() && a[0] == '-') {
      return usage_error("check", "unknown option " + a);
    } else {
      files.push_back(a);
    }
  }
  if (files.empty()) return usage_error("check", "expected a .heap file");
  if (on == "model")
    return usage_error("check",
                       "the model has no ptmalloc heap to check; use --on twin or --on glibc");

  // Parse everything first: bad input is reported before anything runs.
  std::vector<Program> programs;
  if (!load_programs(files, &programs)) return kExitUsage;
  std::string error;
  auto side = make_side(side_for_version(on, version), &error);
  if (!side) {
    std::fprintf(stderr, "heaptwin check: %s\n", error.c_str());
    return kExitUsage;
  }

  int status = kExitOk;
  bool side_failed = false;  // the side could not run a script: exit 2 once all are done
  for (size_t f = 0; f < files.size(); ++f) {
    const Program& program = programs[f];
    std::vector<std::vector<Violation>> found;  // ops with violations, in order
    options.inspect = [&](size_t op, const MemoryReader& mem, const HeapLocation& loc,
                          const GlibcLayout& layout) {
      if (!all && !found.empty()) return;
      auto vs = check_heap(mem, loc, layout);
      if (vs.empty()) return;
      for (auto& v : vs) v.op_index = static_cast<int64_t>(op);
      found.push_back(std::move(vs));
    };
    Trace trace = side->run(program, options);
    if (!trace.error.empty()) {
      std::fprintf(stderr, "heaptwin check: %s on %s: %s\n", files[f].c_str(), side->name().c_str(),
                   trace.error.c_str());
      side_failed = true;
      continue;
    }
    if (found.empty()) continue;
    status = kExitFound;
    for (const auto& vs : found) {
      const size_t op = static_cast<size_t>(vs.front().op_index);
      std::printf("%s: op %zu on %s: %s  -> %s\n", files[f].c_str(), op, side->name().c_str(),
                  print_op(program, program.ops[op]).c_str(),
                  op < trace.outcomes.size() ? to_string(trace.outcomes[op]).c_str() : "?");
      for (Violation v : vs) {
        v.op_index = -1;  // named on the line above
        std::printf("  %s\n", to_string(v).c_str());
      }
    }
  }
  return side_failed ? kExitUsage : status;
}

}  // namespace heaptwin::cli
