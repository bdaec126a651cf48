#include "allocator/preload/call_stack.h"

#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

namespace heaptwin::preload {

namespace {

struct Range {
  uint64_t lo = 0, hi = 0;
  bool holds(uint64_t a, uint64_t n) const { return a >= lo && a < hi && hi - a >= n; }
};

// Each thread's stack mapping, found once (the walk must stay inside mapped memory), in a small
// table keyed by the thread pointer. Not thread-local storage: a TLS segment in the library
// gives every thread's DTV one more entry, and glibc callocs each new thread's DTV in the heap,
// so every pthread_create's chunk was 0x10 bigger than without the library. The library's lock
// is held (capture_stack runs inside a call).
struct ThreadStack {
  uintptr_t thread = 0;
  Range stack;
};
constexpr int kThreadStacks = 16;
ThreadStack g_stacks[kThreadStacks];
int g_next_stack = 0;  // the entry a thread not in the table takes (round robin)

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }
uint64_t hex_value(char c) { return c <= '9' ? uint64_t(c - '0') : uint64_t(c - 'a' + 10); }

// The mapping of /proc/self/maps that holds `addr`, read with plain system calls (no stdio, no
// malloc), parsed as it streams in: "lo-hi perms ..." a line.
Range mapping_of(uint64_t addr) {
  Range found;
  int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return found;
  char buf[4096];
  uint64_t lo = 0, hi = 0;
  int field = 0;  // 0: lo, 1: hi, 2: the rest of the line
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; ++i) {
      const char c = buf[i];
      if (c == '\n') {
        if (addr >= lo && addr < hi) {
          found = {lo, hi};
          close(fd);
          return found;
        }
        lo = hi = 0;
        field = 0;
      } else if (field == 0) {
        if (is_hex(c))
          lo = lo << 4 | hex_value(c);
        else
          field = 1;  // '-'
      } else if (field == 1) {
        if (is_hex(c))
          hi = hi << 4 | hex_value(c);
        else
          field = 2;
      }
    }
  }
  close(fd);
  return found;
}

// The stack mapping holding `fp` for the calling thread: its entry, or /proc/self/maps read
// again (a new thread, or a signal stack).
Range stack_holding(uint64_t fp) {
  const uintptr_t thread = reinterpret_cast<uintptr_t>(__builtin_thread_pointer());
  ThreadStack* entry = nullptr;
  for (ThreadStack& e : g_stacks) {
    if (e.thread == thread) entry = &e;
  }
  if (entry != nullptr && entry->stack.holds(fp, 16)) return entry->stack;
  if (entry == nullptr) {
    entry = &g_stacks[g_next_stack];
    g_next_stack = (g_next_stack + 1) % kThreadStacks;
  }
  *entry = ThreadStack{thread, mapping_of(fp)};
  return entry->stack;
}

}  // namespace

void capture_stack(const void* frame, CallStack* out) {
  out->depth = 0;
  uint64_t fp = reinterpret_cast<uint64_t>(frame);
  const Range stack = stack_holding(fp);
  while (out->depth < kMaxFrames && stack.holds(fp, 16) && fp % 8 == 0) {
    const uint64_t* record = reinterpret_cast<const uint64_t*>(fp);  // {saved rbp, return address}
    const uint64_t pc = record[1];
    if (pc < 4096) break;  // the end of the chain (or not a frame record)
    out->pcs[out->depth++] = pc;
    const uint64_t caller = record[0];
    if (caller <= fp) break;  // frames grow toward higher addresses; anything else is not a chain
    fp = caller;
  }
}

}  // namespace heaptwin::preload
