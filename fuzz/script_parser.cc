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
      std::fprintf(stderr, "error without file:line: %s\n", error.c_str());
      std::abort();
    }
    return 0;
  }
  std::string printed = heaptwin::print_heap(*program);
  auto again = heaptwin::parse_heap(printed, "printed", &error);
  if (!again || !(*again == *program)) {
    std::fprintf(stderr, "print/parse round trip lost the program:\n%s\n%s\n", printed.c_str(),
                 error.c_str());
    std::abort();
  }
  return 0;
}
