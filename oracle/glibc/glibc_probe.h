// Finding main_arena, mp_ and global_max_fast without debug symbols: a probe Program runs in a
// paused child, and its state after each op says where they are.
//  - a freed 0x510 chunk's fd is the unsorted bin head (main_arena + bins - 0x10);
//  - mp_ is the word pattern in libc's data whose sbrk_base is the heap base;
//  - global_max_fast is the one word of libc's data that `mallopt M_MXFAST 0x48` turns into 0x50.
// read_arena's self-check then vouches for the result.
#ifndef HEAPTWIN_ORACLE_GLIBC_GLIBC_PROBE_H_
#define HEAPTWIN_ORACLE_GLIBC_GLIBC_PROBE_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "oracle/heap_view.h"
#include "program/op.h"

namespace heaptwin {

class ArenaProbe {
 public:
  explicit ArenaProbe(const GlibcLayout& layout) : layout_(layout) {}

  // The Program to run, paused after each op.
  static Program program();
  // After op `index` returned `pointer` (heap_base: the child's), with the child paused.
  void step(pid_t child, size_t index, uint64_t pointer, uint64_t heap_base);

  // The addresses found (absolute in the runner), or 0; why not, in error().
  uint64_t arena() const { return arena_; }
  uint64_t mp() const { return mp_; }
  uint64_t global_max_fast() const { return max_fast_; }
  const std::string& error() const { return error_; }

 private:
  bool read_data(pid_t child, std::vector<uint64_t>* words);
  void find_words(const std::vector<uint64_t>& after, uint64_t heap_base);

  GlibcLayout layout_;
  uint64_t chunk_user_ = 0, arena_ = 0, mp_ = 0, max_fast_ = 0;
  uint64_t data_start_ = 0, data_end_ = 0;
  std::vector<uint64_t> before_;
  std::string error_;
};

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_GLIBC_GLIBC_PROBE_H_
