#include "oracle/error_in_message.h"

#include <cstdio>
#include <cstdlib>

namespace heaptwin {

std::string error_in_message(const std::string& rest, const ReadPlaces& places) {
  std::string out = rest;
  const size_t at = out.rfind(": 0x");  // malloc_printerr's pointer, before 2.26
  if (at != std::string::npos) {
    const uint64_t address = std::strtoull(out.c_str() + at + 2, nullptr, 16);
    const ReadName name = read_name(&places, address);
    char text[64];
    if (name.base != READ_NUMBER) {
      read_name_text(&name, text, sizeof text);
    } else if (address >= READ_SMALL_TARGET) {
      // An address of this process's own elsewhere (a mapping, other libc data): only its
      // place in its page is the same in every process.
      std::snprintf(text, sizeof text, "elsewhere+0x%llx",
                    static_cast<unsigned long long>(address & 0xfff));
    } else {
      text[0] = '\0';  // a small number (a forged pointer) is the same everywhere
    }
    if (text[0] != '\0') {
      const size_t end = out.find(' ', at + 2);
      out = out.substr(0, at + 2) + text + (end == std::string::npos ? "" : out.substr(end));
    }
  }
  return kErrorInPrefix + out;
}

}  // namespace heaptwin
