// Numbers as heaptwin prints them, in reports, traces and exports alike: 0x and lower-case hex.
#ifndef HEAPTWIN_PROGRAM_HEX_H_
#define HEAPTWIN_PROGRAM_HEX_H_

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <string>

namespace heaptwin {

inline std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

// -0x10 for -16; INT64_MIN too (its magnitude computed unsigned).
inline std::string signed_hex(int64_t v) {
  return v < 0 ? "-" + hex(0 - static_cast<uint64_t>(v)) : hex(static_cast<uint64_t>(v));
}

}  // namespace heaptwin

#endif  // HEAPTWIN_PROGRAM_HEX_H_
