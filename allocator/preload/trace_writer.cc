#include "allocator/preload/trace_writer.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

namespace heaptwin::preload {

namespace {
constexpr uint64_t kTableEntries = uint64_t{1} << 22;  // 4M live pointers (64 MiB, touched lazily)
constexpr uint64_t kEmpty = 0, kDeleted = 1;

uint64_t hash(uint64_t a) { return (a >> 4) * 0x9e3779b97f4a7c15ull; }

// Compiles only while TraceWriter's default constructor is constexpr, i.e. while the library's
// global TraceWriter is initialised at compile time rather than by a constructor.
static_assert(!TraceWriter().active(), "TraceWriter must be constant-initialised");
}  // namespace

// The table is mapped at a fixed hint beside the library (linked at 0x7e0000000000, see
// BUILD.bazel), away from the mmap area, so tracing does not move the program's own mappings.
constexpr uintptr_t kTableHint = 0x7e0100000000;

// The .heap format's slots (program/op.h kMaxSlots - 1: slot 0 is null).
constexpr uint64_t kMaxSlot = 4095;

void TraceWriter::open(int fd, uint64_t max_ops) {
  max_ops_ = max_ops;
  uint64_t bytes = kTableEntries * sizeof(Entry) + kTableEntries * sizeof(uint32_t);
  void* t = mmap(reinterpret_cast<void*>(kTableHint), bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (t == MAP_FAILED) return;
  table_ = static_cast<Entry*>(t);
  free_slots_ = reinterpret_cast<uint32_t*>(table_ + kTableEntries);
  mask_ = kTableEntries - 1;
  fd_ = fd;
  open_ = true;
  put("# heaptwin exec --trace: the malloc calls of one process, in order. A slot name is\n"
      "# reused once its pointer is freed (the format allows reassigning a slot).\n");
}

uint64_t TraceWriter::take_slot() {
  if (free_count_ > 0) return free_slots_[--free_count_];
  return ++next_slot_;
}

void TraceWriter::release_slot(uint64_t slot) {
  if (free_count_ < kTableEntries) free_slots_[free_count_++] = static_cast<uint32_t>(slot);
}

uint64_t TraceWriter::new_slot(uint64_t addr) {
  if (addr == 0) return take_slot();
  uint64_t stale;
  if (slot_of(addr, &stale, true)) release_slot(stale);  // freed behind our back
  uint64_t slot = take_slot();
  if (live_ >= mask_) return slot;  // table full: this pointer is not tracked
  uint64_t i = hash(addr) & mask_;
  while (table_[i].addr != kEmpty) i = (i + 1) & mask_;
  table_[i].addr = addr;
  table_[i].slot = slot;
  ++live_;
  return slot;
}

// Linear probing with backward-shift deletion (no tombstones, so lookups stay short however
// many pointers come and go).
bool TraceWriter::slot_of(uint64_t addr, uint64_t* slot, bool remove) {
  uint64_t i = hash(addr) & mask_;
  while (table_[i].addr != addr) {
    if (table_[i].addr == kEmpty) return false;
    i = (i + 1) & mask_;
  }
  if (slot) *slot = table_[i].slot;
  if (!remove) return true;
  --live_;
  uint64_t hole = i;
  for (uint64_t j = (i + 1) & mask_; table_[j].addr != kEmpty; j = (j + 1) & mask_) {
    uint64_t home = hash(table_[j].addr) & mask_;
    // Move j into the hole unless its home lies cyclically in (hole, j].
    bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
    if (!stays) {
      table_[hole] = table_[j];
      hole = j;
    }
  }
  table_[hole].addr = kEmpty;
  return true;
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

bool TraceWriter::slot_fits(uint64_t slot) {
  if (slot <= kMaxSlot || max_ops_ == 0) return true;  // 0: the whole run, replayable or not
  stop("more than 4095 pointers live at once (the .heap format's slots)");
  return false;
}

void TraceWriter::end_line() {
  put("\n");
  ++ops_;
  if (max_ops_ != 0 && ops_ >= max_ops_) {
    put("# trace stopped after ");
    put_dec(ops_);
    put(" calls (heaptwin exec --trace-max-ops; the glibc runner replays at most 65536)\n");
    flush();
    open_ = false;
  }
}

void TraceWriter::allocation(uint64_t result, const char* verb, uint64_t a, uint64_t b, int nargs) {
  if (!active()) return;
  uint64_t slot = new_slot(result);
  if (!slot_fits(slot)) return;
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

void TraceWriter::realloc(uint64_t result, uint64_t old, uint64_t bytes) {
  if (!active()) return;
  uint64_t old_slot = 0;
  bool known = old != 0 && slot_of(old, &old_slot, false);
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
    slot_of(old, nullptr, true);
    slot = old_slot;  // "p5 = realloc p5 0x100": the slot follows the block
    if (result != 0) {
      uint64_t stale;
      if (slot_of(result, &stale, true)) release_slot(stale);
      if (live_ < mask_) {
        uint64_t i = hash(result) & mask_;
        while (table_[i].addr != kEmpty) i = (i + 1) & mask_;
        table_[i].addr = result;
        table_[i].slot = slot;
        ++live_;
      }
    }
  } else {
    slot = new_slot(result);
  }
  if (!slot_fits(slot)) return;
  put_slot(slot);
  put(" = realloc ");
  if (known) put_slot(old_slot);
  else put("null");
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

void TraceWriter::free(uint64_t mem) {
  if (!active() || mem == 0) return;
  uint64_t slot;
  if (!slot_of(mem, &slot, true)) {
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

void TraceWriter::usable_size(uint64_t mem) {
  if (!active()) return;
  uint64_t slot;
  if (mem == 0 || !slot_of(mem, &slot, false)) return;
  put("malloc_usable_size ");
  put_slot(slot);
  end_line();
}

void TraceWriter::mallopt(int param, int value) {
  if (!active()) return;
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

void TraceWriter::trim(uint64_t pad) {
  if (!active()) return;
  put("trim ");
  put_hex(pad);
  end_line();
}

void TraceWriter::comment(const char* text) {
  if (!active()) return;
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
