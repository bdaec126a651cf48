// A picture of a ptmalloc heap in pwndbg's vocabulary, for `heaptwin show`: `heap` (every chunk
// from the heap start to top: offset, size, flags, what holds it, fd/bk), `bins` (tcachebins,
// fastbins, unsortedbin, smallbins, largebins) and a vis_heap_chunks-like hexdump of the first
// chunks. Reads through a MemoryReader like the checker, so a corrupted heap still draws.
#ifndef HEAPTWIN_ORACLE_HEAP_PICTURE_H_
#define HEAPTWIN_ORACLE_HEAP_PICTURE_H_

#include <cstddef>
#include <string>

#include "oracle/heap_view.h"
#include "oracle/memory_reader.h"

namespace heaptwin {

struct PictureOptions {
  bool heap = true;          // the chunk list
  bool bins = true;          // the bins
  size_t vis_chunks = 6;     // hexdump of this many chunks from the heap start (0: none)
  size_t vis_max_rows = 48;  // at most this many 16-byte rows of hexdump
  bool check = true;         // the checker's verdict at the end
};

std::string draw_heap(const MemoryReader& mem, const HeapLocation& loc, const GlibcLayout& layout,
                      const PictureOptions& options = {});

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_HEAP_PICTURE_H_
