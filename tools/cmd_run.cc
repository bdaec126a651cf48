// heaptwin run: one .heap script on one side; prints its trace, optionally the bins after each op.
#include <cstdio>

#include "oracle/side.h"
#include "oracle/trace_text.h"
#include "program/heap_format.h"
#include "tools/cli_util.h"
#include "tools/side_options.h"

namespace heaptwin::cli {

namespace {

void print_usage() {
  std::printf(
      "usage: heaptwin run FILE.heap [--on SIDE] [--state|--full] [--json] [--glibc V|--libc "
      "PATH]\n"
      "                    [--tunable NAME=VALUE]... [--timeout MS] [--no-check]\n"
      "                    [--full-check-every N]\n\n"
      "Runs the script on one side (default: glibc, the host's real malloc) and prints, per op,\n"
      "its outcome: a pointer as an offset from the heap base, 'mmapped SIZE', NULL, abort with\n"
      "glibc's message, fault, or timeout.\n\n"
      "  --state      the bins after every op (tcachebins, fastbins, unsortedbin, smallbins,\n"
      "               largebins, top, last_remainder; chunk offsets from the heap base)\n"
      "  --full       --state with every section, binmap, system_mem and mp_ (the golden form)\n"
      "  --json       one JSON object per op: index, op, outcome, offset/size/value, message\n"
      "  --glibc V    glibc release V: the side glibc is real glibc V (2.31, 2.41, 2.43, 2.44; set "
      "up in\n"
      "               ~/.cache/heaptwin on first use), twin its twin (2.23, 2.27 .. 2.41, 2.43, "
      "2.44)\n"
      "  --libc PATH  the real side runs under this libc.so.6 (or the folder holding it and its\n"
      "               ld-linux-x86-64.so.2); its release is read from it and picks the twin\n"
      "  --tunable    a GLIBC_TUNABLES entry, e.g. tcache_count=0 (glibc.malloc. is implied)\n"
      "  --no-check   on the twin: skip its checks after every op (the heap checker and the\n"
      "               block rules); a broken rule is reported after the trace, exit 1\n"
      "  --full-check-every N  on the twin: the heap checker checks what each op touched, the\n"
      "               whole heap after the last op, and with this after every Nth op too\n"
      "\nsides: ");
  for (const auto& n : side_names()) std::printf("%s ", n.c_str());
  std::printf("\n");
}

}  // namespace

int cmd_run(const Args& args) {
  if (printed_help(args, print_usage)) return kExitOk;
  std::string file, on = "glibc", version;
  bool state = false, json = false, full = false;
  RunOptions options;
  options.check_heap = options.check_contents = true;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const char* what) -> const std::string* {
      if (i + 1 >= args.size()) return nullptr;
      (void)what;
      return &args[++i];
    };
    if (a == "--state") {
      state = true;
    } else if (a == "--no-check") {
      options.check_heap = options.check_contents = false;
    } else if (a == "--full-check-every") {
      auto v = value("n");
      if (!v || !parse_count(*v, &options.full_check_every)) {
        return usage_error("run", "--full-check-every needs a positive number of ops");
      }
    } else if (a == "--full") {
      state = full = true;
    } else if (a == "--json") {
      json = true;
    } else if (a == "--on" || a == "--side") {
      auto v = value("a side");
      if (!v) return usage_error("run", a + " needs a side name");
      on = *v;
    } else if (std::string e; take_side_option(args, &i, &version, &options.tunables, &e)) {
      if (!e.empty()) return usage_error("run", e);
    } else if (a == "--timeout") {
      auto v = value("ms");
      if (!v) return usage_error("run", "--timeout needs milliseconds");
      options.timeout_ms = std::atoi(v->c_str());
    } else if (std::string e; !take_operand(a, "file", &file, &e)) {
      return usage_error("run", e);
    }
  }
  if (file.empty()) return usage_error("run", "expected a .heap file");
  auto program = load_program_or_report(file);
  if (!program) return kExitUsage;
  std::string error;
  auto side = make_side(side_for_version(on, version), &error);
  if (!side) {
    std::fprintf(stderr, "heaptwin run: %s\n", error.c_str());
    return kExitUsage;
  }
  options.snapshots = state;
  Trace trace = side->run(*program, options);
  if (json) {
    std::fputs(format_trace_json(*program, trace).c_str(), stdout);
  } else {
    std::printf("# %s on %s\n", file.c_str(), side->name().c_str());
    if (state) {
      std::printf(
          "# bins list chunk starts as heap+OFFSET (SIZE); tcache entries and user\n"
          "# pointers are 0x10 further. Empty bins are left out (--full shows all).\n");
    }
    std::fputs(format_trace(*program, trace, state, full).c_str(), stdout);
  }
  if (!trace.violation.empty()) {
    std::printf("%s broke a rule after op %zu: %s\n  %s\n", side->name().c_str(),
                trace.violation_op,
                trace.violation_op < program->ops.size()
                    ? print_op(*program, program->ops[trace.violation_op]).c_str()
                    : "?",
                trace.violation.c_str());
  }
  return trace.error.empty() && trace.violation.empty() ? kExitOk : kExitFound;
}

}  // namespace heaptwin::cli
