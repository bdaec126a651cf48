// heaptwin decode: the .heap form of any fuzz input (every byte string decodes).
#include <cstdio>
#include <iostream>
#include <iterator>

#include "program/fuzz_encoding.h"
#include "program/heap_format.h"
#include "tools/cli_util.h"

namespace heaptwin::cli {

namespace {

constexpr const char* kHelp =
    "usage: heaptwin decode INPUT [-o OUT.heap] [--no-corruption] [--no-threads]\n\n"
    "Prints the .heap script that a fuzz input stands for (docs/fuzz-encoding.md). Every byte\n"
    "string decodes to a valid script. INPUT '-' reads standard input.\n\n"
    "  -o FILE           write the script to FILE (atomically) instead of standard output\n"
    "  --no-corruption   decode as the non-corrupting targets do (write8 opcodes read as malloc,\n"
    "                    and a slot a read8 assigned reads as null where an op names it)\n"
    "  --no-threads      decode as the fuzz targets do for now (the thread nibbles of formats v3\n"
    "                    and v4 are ignored: every op runs on t0)\n";

}  // namespace

int cmd_decode(const Args& args) {
  if (printed_help(args, kHelp)) return kExitOk;
  std::string input, output;
  DecodeOptions options;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "-o") {
      if (i + 1 >= args.size()) return usage_error("decode", "-o needs a file name");
      output = args[++i];
    } else if (args[i] == "--no-corruption") {
      options.allow_corruption = false;
    } else if (args[i] == "--no-threads") {
      options.allow_threads = false;
    } else if (!args[i].empty() && args[i][0] == '-' && args[i] != "-") {
      return usage_error("decode", "unknown option '" + args[i] + "'");
    } else if (input.empty()) {
      input = args[i];
    } else {
      return usage_error("decode", "expected one INPUT, got also '" + args[i] + "'");
    }
  }
  if (input.empty()) return usage_error("decode", "expected an INPUT file");
  std::string bytes, error;
  if (input == "-") {
    bytes.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    auto data = read_file(input, &error);
    if (!data) return usage_error("decode", error);
    bytes = *data;
  }
  options.max_ops = SIZE_MAX;
  Program program = decode_fuzz(bytes, options);
  std::string text = "# decoded from " + (input == "-" ? std::string("stdin") : input) + " (" +
                     std::to_string(bytes.size()) + " bytes, " +
                     std::to_string(program.ops.size()) + " ops)\n" + print_heap(program);
  if (output.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return std::fflush(stdout) == 0 ? kExitOk : kExitUsage;
  }
  if (!write_file_atomic(output, text, &error)) return usage_error("decode", error);
  return kExitOk;
}

}  // namespace heaptwin::cli
