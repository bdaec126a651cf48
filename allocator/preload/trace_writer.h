// `heaptwin exec --trace FILE`: the program's malloc-family calls as a .heap script, written with
// write(2) to a file descriptor (never stdio, which would allocate). Every returned pointer gets a
// slot (p1, p2, ...; a freed pointer's slot is reused, so the number of slots is the most pointers
// live at once); a table of live pointers maps addresses back to slots for free and realloc
// (pointer_table.h: mappings that grow, no malloc). The whole run is traced, however long and
// however many pointers it holds at once: the .heap format has no limit to stop at.
//
// A TraceWriter is constant-initialised (every member has a constant initialiser, so the global
// needs no constructor): a library that runs before ours in the init order (ls's libselinux
// mallocs from its constructor) must find it closed, not zero-filled with fd 0 "open".
#ifndef HEAPTWIN_ALLOCATOR_PRELOAD_TRACE_WRITER_H_
#define HEAPTWIN_ALLOCATOR_PRELOAD_TRACE_WRITER_H_

#include <cstdint>

#include "allocator/preload/pointer_table.h"

namespace heaptwin::preload {

class TraceWriter {
 public:
  // max_ops: stop after that many ops (a comment says so; what was written is a script that
  // replays). 0: the whole run.
  void open(int fd, uint64_t max_ops);
  constexpr bool active() const { return open_; }

  // Each call below costs one inline test when no trace is open: they run on every malloc and
  // free of the program.
  // `verb` with its arguments, its result stored in a new slot (0 result: "null" noted).
  void allocation(uint64_t result, const char* verb, uint64_t a, uint64_t b = 0, int nargs = 1) {
    if (open_) write_allocation(result, verb, a, b, nargs);
  }
  void realloc(uint64_t result, uint64_t old, uint64_t bytes) {
    if (open_) write_realloc(result, old, bytes);
  }
  void free(uint64_t mem) {
    if (open_ && mem != 0) write_free(mem);
  }
  void usable_size(uint64_t mem) {
    if (open_) write_usable_size(mem);
  }
  void mallopt(int param, int value) {
    if (open_) write_mallopt(param, value);
  }
  void trim(uint64_t pad) {
    if (open_) write_trim(pad);
  }
  void comment(const char* text) {
    if (open_) write_comment(text);
  }
  void flush();

 private:
  void write_allocation(uint64_t result, const char* verb, uint64_t a, uint64_t b, int nargs);
  void write_realloc(uint64_t result, uint64_t old, uint64_t bytes);
  void write_free(uint64_t mem);
  void write_usable_size(uint64_t mem);
  void write_mallopt(int param, int value);
  void write_trim(uint64_t pad);
  void write_comment(const char* text);
  // A slot for a pointer `addr` just returned (0: a NULL result, which gets a slot too), and
  // its entry in the table. 0 when the trace had to stop (a comment says why).
  uint64_t new_slot(uint64_t addr);
  // Records that `addr` (not 0) is now held by `slot`; false when the trace had to stop.
  bool track(uint64_t addr, uint64_t slot);
  // A pointer returned again without a traced free (freed behind our back): its old slot goes.
  void forget_stale(uint64_t addr);
  void release_slot(uint64_t slot);
  void put(const char* s);
  void put_hex(uint64_t v);
  void put_dec(uint64_t v);
  void put_slot(uint64_t slot);
  void end_line();

  bool open_ = false;
  int fd_ = 0;         // meaningful only while open_
  PointerTable live_;  // live pointer -> its slot
  SlotPool slots_;
  uint64_t ops_ = 0;
  uint64_t max_ops_ = 0;
  // Stops the trace with `why` as its last line.
  void stop(const char* why);
  char buf_[1 << 16] = {};
  uint64_t used_ = 0;
};

}  // namespace heaptwin::preload

#endif  // HEAPTWIN_ALLOCATOR_PRELOAD_TRACE_WRITER_H_
