// `heaptwin exec --check`: the library checks the program's heap itself, after every
// malloc-family call (oracle/check/incremental.h: what the call touched, read in place, no round
// trip), and the whole heap every HEAPTWIN_CHECK_EVERY calls and at exit. It tells the heaptwin
// process that started it only when something is wrong: a CheckReport followed by the report's
// text (what heaptwin prints on stdout, where it printed its own reports before), then it waits
// for one byte (kCheckOk) so the report is out before the program aborts. heaptwin exits 1.
#ifndef HEAPTWIN_ALLOCATOR_PRELOAD_CHECK_PROTOCOL_H_
#define HEAPTWIN_ALLOCATOR_PRELOAD_CHECK_PROTOCOL_H_

#include <cstdint>

namespace heaptwin::preload {

inline constexpr uint64_t kCheckMagic = 0x32656b6377746868ull;  // "hhtwcke2": version 2
inline constexpr char kCheckOk = 'k';

struct CheckReport {
  uint64_t magic = kCheckMagic;
  uint64_t op_index = 0;    // the call after which the heap was found broken (1-based)
  uint64_t text_bytes = 0;  // the report's text follows
};

}  // namespace heaptwin::preload

#endif  // HEAPTWIN_ALLOCATOR_PRELOAD_CHECK_PROTOCOL_H_
