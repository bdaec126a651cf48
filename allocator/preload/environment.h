// The process's initial environment, read without allocating: GLIBC_TUNABLES (glibc.malloc.*),
// the MALLOC_*_ aliases glibc's tunables honour (elf/dl-tunables.list), and heaptwin's own
// HEAPTWIN_* settings. glibc reads tunables once, from the environment the process started with
// (ld.so's __tunables_init); `environ` still holds it when the first malloc runs (ld.so's
// minimal malloc serves everything before libc is up), /proc/self/environ is the fallback.
#ifndef HEAPTWIN_ALLOCATOR_PRELOAD_ENVIRONMENT_H_
#define HEAPTWIN_ALLOCATOR_PRELOAD_ENVIRONMENT_H_

#include <cstdint>

#include "allocator/preload/libc_placement.h"
#include "allocator/profile.h"

namespace heaptwin::preload {

struct PreloadSettings {
  alloc::GlibcTunables tunables;
  int trace_fd = -1;  // HEAPTWIN_TRACE_FD: write the .heap trace here
  int check_fd = -1;  // HEAPTWIN_CHECK_FD / HEAPTWIN_CHECK_REPLY_FD: the checker channel
  int check_reply_fd = -1;
  uint64_t check_every = 1;  // HEAPTWIN_CHECK_EVERY: (before the in-library checker) every Nth call
  uint64_t full_check_every = 0;  // HEAPTWIN_FULL_CHECK_EVERY: --check's full check every Nth
                                  // call too (0: at exit only)
  uint64_t trace_max_ops = 0;     // HEAPTWIN_TRACE_MAX_OPS: stop the trace after N ops (0: never)
  int64_t owner_pid = -1;         // HEAPTWIN_PID: trace and check only in this process
  char glibc[8] = "";         // HEAPTWIN_GLIBC: the release to twin ("2.41"; "": the host's 2.36)
  LibcDataRequest libc_data;  // HEAPTWIN_LIBC_DATA: malloc's objects at libc's addresses
  bool libc_data_malformed = false;
};

// Fills `out` from the initial environment. Allocates nothing.
void read_settings(PreloadSettings* out);

}  // namespace heaptwin::preload

#endif  // HEAPTWIN_ALLOCATOR_PRELOAD_ENVIRONMENT_H_
