// `heaptwin exec --trace FILE`: the program's malloc-family calls as a .heap script, written with
// write(2) to a file descriptor (never stdio, which would allocate). Every returned pointer gets a
// slot (p1, p2, ...; a freed pointer's slot is reused, so the number of slots is the most pointers
// live at once); a live table maps addresses back to slots for free and realloc. The table is a
// private anonymous mapping made on first use.
//
// A TraceWriter is constant-initialised (every member has a constant initialiser, so the global
// needs no constructor): a library that runs before ours in the init order (ls's libselinux
// mallocs from its constructor) must find it closed, not zero-filled with fd 0 "open".
#ifndef HEAPTWIN_ALLOCATOR_PRELOAD_TRACE_WRITER_H_
#define HEAPTWIN_ALLOCATOR_PRELOAD_TRACE_WRITER_H_

#include <cstdint>

namespace heaptwin::preload {

class TraceWriter {
 public:
  // max_ops: stop after that many ops; the trace then also stops, with a comment saying why,
  // before a call that would need a slot beyond the format's 4095, so what was written is a
  // script heaptwin diff replays. 0: the whole run, whatever its size.
  void open(int fd, uint64_t max_ops);
  constexpr bool active() const { return open_; }

  // `verb` with its arguments, its result stored in a new slot (0 result: "null" noted).
  void allocation(uint64_t result, const char* verb, uint64_t a, uint64_t b = 0, int nargs = 1);
  void realloc(uint64_t result, uint64_t old, uint64_t bytes);
  void free(uint64_t mem);
  void usable_size(uint64_t mem);
  void mallopt(int param, int value);
  void trim(uint64_t pad);
  void comment(const char* text);
  void flush();

 private:
  struct Entry {
    uint64_t addr;   // 0 empty, 1 deleted
    uint64_t slot;
  };
  uint64_t new_slot(uint64_t addr);
  uint64_t take_slot();
  void release_slot(uint64_t slot);
  bool slot_of(uint64_t addr, uint64_t* slot, bool remove);
  void put(const char* s);
  void put_hex(uint64_t v);
  void put_dec(uint64_t v);
  void put_slot(uint64_t slot);
  void end_line();

  bool open_ = false;
  int fd_ = 0;  // meaningful only while open_
  Entry* table_ = nullptr;
  uint32_t* free_slots_ = nullptr;  // slot numbers free for reuse (a stack)
  uint64_t free_count_ = 0;
  uint64_t live_ = 0;               // tracked pointers
  uint64_t mask_ = 0;
  uint64_t next_slot_ = 0;  // the last slot handed out (p1 is the first)
  uint64_t ops_ = 0;
  uint64_t max_ops_ = 0;
  // Stops the trace with `why` as its last line.
  void stop(const char* why);
  bool slot_fits(uint64_t slot);
  char buf_[1 << 16] = {};
  uint64_t used_ = 0;
};

}  // namespace heaptwin::preload

#endif  // HEAPTWIN_ALLOCATOR_PRELOAD_TRACE_WRITER_H_
