// unlink_chunk: takes a free chunk out of its doubly linked bin (and, for a large chunk, out of
// the nextsize skip list), with glibc's integrity checks.
#include "allocator/abort_messages.h"
#include "allocator/allocator.h"
#include "allocator/bins.h"

namespace heaptwin::alloc {

void Allocator::unlink_chunk(ChunkAddr p) {
  if (profile_.unlink_size_check && chunksize(p) != prev_size(chunk_at_offset(p, chunksize(p)))) {
    malloc_printerr(msg::kUnlinkSizeVsPrevSize);
  }
  ChunkAddr fwd = fd(p);
  ChunkAddr bck = bk(p);
  if (bk(fwd) != p || fd(bck) != p) malloc_printerr(msg::kUnlinkDoubleLinkedList, p);
  set_bk(fwd, bck);
  set_fd(bck, fwd);
  if (!in_smallbin_range(chunksize_nomask(p)) && fd_nextsize(p) != 0) {
    if (bk_nextsize(fd_nextsize(p)) != p || fd_nextsize(bk_nextsize(p)) != p) {
      malloc_printerr(msg::kUnlinkNotSmall, p);
    }
    if (fd_nextsize(fwd) == 0) {
      // p led its size group: fwd (same size, next in the list) takes its place in the skip list.
      if (fd_nextsize(p) == p) {
        set_fd_nextsize(fwd, fwd);
        set_bk_nextsize(fwd, fwd);
      } else {
        set_fd_nextsize(fwd, fd_nextsize(p));
        set_bk_nextsize(fwd, bk_nextsize(p));
        set_bk_nextsize(fd_nextsize(p), fwd);
        set_fd_nextsize(bk_nextsize(p), fwd);
      }
    } else {
      set_bk_nextsize(fd_nextsize(p), bk_nextsize(p));
      set_fd_nextsize(bk_nextsize(p), fd_nextsize(p));
    }
  }
}

}  // namespace heaptwin::alloc
