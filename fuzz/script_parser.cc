// Fuzz target: the .heap parser on arbitrary text. It must only ever return errors, never
// crash, and whatever it accepts must print back to a script that parses to the same Program.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "program/heap_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::string error;
  auto program = heaptwin::parse_heap(text, "input", &error);
  if (!program) {
    if (error.rfind("input:", 0) != 0) {
      // What was found in one line first (as every finding's report), then the detail.
      std::fprintf(stderr,
                   "\n==== heaptwin script_parser finding: a parse error without file:line\n%s\n",
                   error.c_str());
      std::abort();
    }
    return 0;
  }
  std::string printed = heaptwin::print_heap(*program);
  auto again = heaptwin::parse_heap(printed, "printed", &error);
  if (!again || !(*again == *program)) {
    std::fprintf(
        stderr,
        "\n==== heaptwin script_parser finding: the printed program does not parse back to it\n"
        "%s\n==== the input as a .heap script:\n%s====\n",
        error.c_str(), printed.c_str());
    std::abort();
  }
  return 0;
}
