#include "oracle/error_in_message.h"

#include <cstdlib>

namespace heaptwin {

std::string error_in_message(const std::string& rest, const ReadPlaces& places) {
  std::string out = rest;
  const size_t at = out.rfind(": 0x");  // malloc_printerr's pointer, before 2.26
  if (at != std::string::npos) {
    const uint64_t address = std::strtoull(out.c_str() + at + 2, nullptr, 16);
    const ReadName name = read_name(&places, address);
    if (name.base != READ_NUMBER) {
      char text[64];
      read_name_text(&name, text, sizeof text);
      const size_t end = out.find(' ', at + 2);
      out = out.substr(0, at + 2) + text + (end == std::string::npos ? "" : out.substr(end));
    }
  }
  return kErrorInPrefix + out;
}

}  // namespace heaptwin
