#include "oracle/glibc/runner_outcomes.h"

#include "oracle/error_in_message.h"
#include "oracle/read_arena_heaps.h"

#include <sys/wait.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>

namespace heaptwin {

Outcome outcome_of(const Op& op, const RunnerRecord& r, uint64_t heap_base) {
  Returned returned;
  returned.pointer = r.pointer;
  returned.error = r.error;
  // The runner reports an mmapped chunk's size as its mapping's length (runner_ops.c).
  if (r.chunk_size & 0x2) returned.mapping_bytes = r.chunk_size & ~uint64_t{7};
  returned.value = r.value;
  returned.heap_end = r.heap_end;
  returned.arena = r.arena;
  returned.arena_heap = r.arena_heap;
  returned.arena_heap_offset = r.arena_heap_offset;
  return returned_outcome(op, returned, heap_base);
}

ReadPlaces runner_read_places(uint64_t heap_base, uint64_t heap_end, uint64_t libc_base,
                              const LibcSymbols* symbols, const ArenaLayout& layout) {
  ReadPlaces p{};
  p.heap_base = heap_base;
  p.heap_end = heap_end;
  if (libc_base == 0 || symbols == nullptr) return p;
  p.arena = libc_base + symbols->main_arena;
  p.arena_bytes = layout.arena_bytes;
  p.mp = libc_base + symbols->mp;
  p.mp_bytes = layout.mp_bytes;
  p.global_max_fast = libc_base + symbols->global_max_fast;
  return p;
}

ReadPlaces runner_read_places_of(const RunnerRecord& r, uint64_t heap_base, uint64_t libc_base,
                                 const LibcSymbols* symbols, const ArenaLayout& layout,
                                 ReadArenaHeap* heaps) {
  ReadPlaces places = runner_read_places(heap_base, r.heap_end, libc_base, symbols, layout);
  for (uint64_t w : r.read_heaps) {
    if (w != 0) heaps[places.arena_heap_count++] = read_arena_heap_unpack(w);
  }
  places.arena_heaps = heaps;
  return places;
}

namespace {

std::string trim_newlines(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace

std::string process_independent_message(const std::string& message, const std::string& program_path,
                                        const ReadPlaces& places) {
  const std::string name = program_path.substr(program_path.rfind('/') + 1) + ": ";
  if (message.rfind(name, 0) == 0) return message.substr(name.size());
  // "*** Error in `PROGRAM': " whatever the program's name is (glibc prints argv[0], which a
  // runner started from a file descriptor may leave empty).
  const std::string error_in = "*** Error in `";
  if (message.rfind(error_in, 0) != 0) return message;
  // Its first line: what follows comes from the backtrace glibc takes after it (frames and the
  // memory map where libgcc_s loads; before runner_backtrace.c, a second "*** Error in" from the
  // backtrace's allocations on the corrupted heap, found by ./heaptwin fuzz --target attack
  // --libc 2.23 in 40 s).
  const std::string first = message.substr(0, message.find('\n'));
  const size_t end = first.find("': ", error_in.size());
  if (end == std::string::npos) return message;
  return error_in_message(first.substr(end + 3), places);
}

void add_death(int status, const std::string& message, Trace* trace) {
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT) {
    trace->outcomes.push_back(Outcome::abort(trim_newlines(message)));
  } else if (WIFSIGNALED(status) && (WTERMSIG(status) == SIGPROF || WTERMSIG(status) == SIGKILL)) {
    trace->outcomes.push_back(Outcome::timeout());
  } else if (WIFSIGNALED(status)) {
    trace->outcomes.push_back(Outcome::fault(WTERMSIG(status), 0, false));
  } else {
    trace->error = "the runner's child exited with status " + std::to_string(WEXITSTATUS(status)) +
                   " after op " + std::to_string(trace->outcomes.size()) +
                   (message.empty() ? "" : ": " + trim_newlines(message));
  }
}

}  // namespace heaptwin
