#include "allocator/preload/trace_writer.h"

#include <unistd.h>

#include <cstring>

namespace heaptwin::preload {

namespace {
// Compiles only while TraceWriter's default constructor is constexpr, i.e. while the library's
// global TraceWriter is initialised at compile time rather than by a constructor.
static_assert(!TraceWriter().active(), "TraceWriter must be constant-initialised");
}  // namespace

void TraceWriter::open(int fd, uint64_t max_ops) {
  max_ops_ = max_ops;
  fd_ = fd;
  open_ = true;
  put("# heaptwin exec --trace: the malloc calls of one process, in order. A slot name is\n"
      "# reused once its pointer is freed (the format allows reassigning a slot).\n");
}

void TraceWriter::release_slot(uint64_t slot) { slots_.release(slot); }

void TraceWriter::forget_stale(uint64_t addr) {
  uint64_t stale;
  if (live_.lookup(addr, &stale, true)) release_slot(stale);  // freed behind our back
}

bool TraceWriter::track(uint64_t addr, uint64_t slot) {
  forget_stale(addr);
  if (live_.insert(addr, slot)) return true;
  stop("the table of live pointers cannot grow (out of memory)");
  return false;
}

uint64_t TraceWriter::new_slot(uint64_t addr) {
  if (addr != 0) forget_stale(addr);  // first, so that its slot is the one reused
  uint64_t slot = slots_.take();
  if (slot == 0) {
    stop("more than 4294967294 pointers live at once (the .heap format's slot ids are 32 bits)");
    return 0;
  }
  if (addr != 0 && !track(addr, slot)) return 0;
  return slot;
}

void TraceWriter::put(const char* s) {
  size_t n = std::strlen(s);
  if (used_ + n > sizeof buf_) flush();
  std::memcpy(buf_ + used_, s, n);
  used_ += n;
}

void TraceWriter::put_hex(uint64_t v) {
  char tmp[24];
  int i = 23;
  tmp[i] = '\0';
  do {
    tmp[--i] = "0123456789abcdef"[v & 15];
    v >>= 4;
  } while (v);
  tmp[--i] = 'x';
  tmp[--i] = '0';
  put(tmp + i);
}

void TraceWriter::put_dec(uint64_t v) {
  char tmp[24];
  int i = 23;
  tmp[i] = '\0';
  do {
    tmp[--i] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v);
  put(tmp + i);
}

void TraceWriter::put_slot(uint64_t slot) {
  put("p");
  put_dec(slot);
}

void TraceWriter::stop(const char* why) {
  put("# trace stopped: ");
  put(why);
  put("\n");
  flush();
  open_ = false;
}

void TraceWriter::end_line() {
  put("\n");
  ++ops_;
  if (max_ops_ != 0 && ops_ >= max_ops_) {
    put("# trace stopped after ");
    put_dec(ops_);
    put(" calls (heaptwin exec --trace-max-ops)\n");
    flush();
    open_ = false;
  }
}

void TraceWriter::write_allocation(uint64_t result, const char* verb, uint64_t a, uint64_t b,
                                   int nargs) {
  uint64_t slot = new_slot(result);
  if (slot == 0) return;
  put_slot(slot);
  put(" = ");
  put(verb);
  put(" ");
  put_hex(a);
  if (nargs > 1) {
    put(" ");
    put_hex(b);
  }
  if (result == 0) {
    put("   # NULL");
    release_slot(slot);
  } else {
    put("   # ");
    put_hex(result);
  }
  end_line();
}

void TraceWriter::write_realloc(uint64_t result, uint64_t old, uint64_t bytes) {
  uint64_t old_slot = 0;
  bool known = old != 0 && live_.lookup(old, &old_slot, false);
  if (old != 0 && !known) {
    put("# realloc of a pointer not returned by a traced call: ");
    put_hex(old);
    put("\n");
  }
  // glibc frees the old block when it succeeds, and for realloc(p, 0) (returning NULL); a NULL
  // for a non-zero size leaves it allocated.
  bool old_gone = known && (result != 0 || bytes == 0);
  uint64_t slot;
  if (old_gone) {
    live_.lookup(old, nullptr, true);
    slot = old_slot;  // "p5 = realloc p5 0x100": the slot follows the block
    if (result != 0 && !track(result, slot)) return;
  } else {
    slot = new_slot(result);
    if (slot == 0) return;
  }
  put_slot(slot);
  put(" = realloc ");
  if (known)
    put_slot(old_slot);
  else
    put("null");
  put(" ");
  put_hex(bytes);
  if (result == 0) {
    put("   # NULL");
    release_slot(slot);  // holds NULL now, or was a scratch slot for a failed realloc
  } else {
    put("   # ");
    put_hex(result);
  }
  end_line();
}

void TraceWriter::write_free(uint64_t mem) {
  uint64_t slot;
  if (!live_.lookup(mem, &slot, true)) {
    put("# free of a pointer not returned by a traced call: ");
    put_hex(mem);
    put("\n");
    return;
  }
  put("free ");
  put_slot(slot);
  end_line();
  release_slot(slot);
}

void TraceWriter::write_usable_size(uint64_t mem) {
  uint64_t slot;
  if (mem == 0 || !live_.lookup(mem, &slot, false)) return;
  put("malloc_usable_size ");
  put_slot(slot);
  end_line();
}

void TraceWriter::write_mallopt(int param, int value) {
  put("mallopt ");
  if (param < 0) {
    put("-");
    put_dec(static_cast<uint64_t>(-static_cast<int64_t>(param)));
  } else {
    put_dec(static_cast<uint64_t>(param));
  }
  put(" ");
  if (value < 0) {
    put("-");
    put_dec(static_cast<uint64_t>(-static_cast<int64_t>(value)));
  } else {
    put_dec(static_cast<uint64_t>(value));
  }
  end_line();
}

void TraceWriter::write_trim(uint64_t pad) {
  put("trim ");
  put_hex(pad);
  end_line();
}

void TraceWriter::write_comment(const char* text) {
  put("# ");
  put(text);
  put("\n");
}

void TraceWriter::flush() {
  uint64_t off = 0;
  while (off < used_) {
    ssize_t n = write(fd_, buf_ + off, used_ - off);
    if (n <= 0) break;
    off += static_cast<uint64_t>(n);
  }
  used_ = 0;
}

}  // namespace heaptwin::preload
