#include "oracle/error_in_message.h"

#include <cstdio>
#include <cstdlib>

namespace heaptwin {

std::string error_in_message(const std::string& rest, uint64_t heap_base) {
  constexpr uint64_t kHeapWindow = uint64_t{1} << 32;
  std::string out = rest;
  // "MESSAGE: 0x%016lx ***" (malloc_printerr's pointer, before 2.26).
  const size_t at = out.rfind(": 0x");
  if (at != std::string::npos) {
    const uint64_t address = std::strtoull(out.c_str() + at + 2, nullptr, 16);
    if (address >= heap_base && address - heap_base < kHeapWindow) {
      char offset[32];
      std::snprintf(offset, sizeof offset, "heap+0x%llx",
                    static_cast<unsigned long long>(address - heap_base));
      const size_t end = out.find(' ', at + 2);
      out = out.substr(0, at + 2) + offset + (end == std::string::npos ? "" : out.substr(end));
    }
  }
  return kErrorInPrefix + out;
}

}  // namespace heaptwin
