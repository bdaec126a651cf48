// heaptwin encode: the canonical fuzz bytes of a .heap script.
#include <unistd.h>

#include <cstdio>

#include "program/fuzz_encoding.h"
#include "program/heap_format.h"
#include "tools/cli_util.h"

namespace heaptwin::cli {

namespace {

constexpr const char* kHelp =
    "usage: heaptwin encode FILE.heap [-o OUT]\n\n"
    "Writes the fuzz input bytes of a .heap script (docs/fuzz-encoding.md), e.g. to seed a\n"
    "corpus. Slots named s0..s30 keep their numbers; other names get the free ones (at most 31\n"
    "slots). Without -o the bytes go to standard output, which must not be a terminal.\n\n"
    "  -o FILE   write to FILE (atomically: nothing half-written on error)\n";

}  // namespace

int cmd_encode(const Args& args) {
  if (printed_help(args, kHelp)) return kExitOk;
  std::string input, output;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "-o") {
      if (i + 1 >= args.size()) return usage_error("encode", "-o needs a file name");
      output = args[++i];
    } else if (!args[i].empty() && args[i][0] == '-') {
      return usage_error("encode", "unknown option '" + args[i] + "'");
    } else if (input.empty()) {
      input = args[i];
    } else {
      return usage_error("encode", "expected one FILE.heap, got also '" + args[i] + "'");
    }
  }
  if (input.empty()) return usage_error("encode", "expected a FILE.heap");
  std::string error;
  auto text = read_file(input, &error);
  if (!text) return usage_error("encode", error);
  auto program = parse_heap(*text, input, &error);
  if (!program) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return kExitUsage;
  }
  auto bytes = encode_fuzz(*program, &error);
  if (!bytes) return usage_error("encode", input + ": " + error);
  if (output.empty()) {
    if (isatty(STDOUT_FILENO)) {
      return usage_error("encode", "refusing to write binary bytes to a terminal; use -o FILE");
    }
    std::fwrite(bytes->data(), 1, bytes->size(), stdout);
    return std::fflush(stdout) == 0 ? kExitOk : kExitUsage;
  }
  if (!write_file_atomic(output, *bytes, &error)) return usage_error("encode", error);
  return kExitOk;
}

}  // namespace heaptwin::cli
