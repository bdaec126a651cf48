#include "allocator/preload/statistics.h"

#include <stdio.h>

#include <cstring>

#include "allocator/abort_messages.h"
#include "allocator/chunk.h"

namespace heaptwin::preload {

namespace {

using alloc::Addr;

// The chunks are this process's memory: a wild pointer faults here where it faults in glibc.
uint64_t load(Addr a) { return *reinterpret_cast<const volatile uint64_t*>(a); }
uint64_t chunksize(Addr p) { return load(p + 8) & ~alloc::kSizeBits; }

}  // namespace

struct mallinfo2 main_arena_info(const alloc::Allocator& twin, alloc::FatalHandler* fatal) {
  struct mallinfo2 m;
  std::memset(&m, 0, sizeof m);
  const alloc::MallocState& av = *twin.libc().main_arena;
  uint64_t avail = chunksize(av.top);
  uint64_t nblocks = 1;  // top always exists
  uint64_t nfastblocks = 0, fastavail = 0;
  // From 2.43 there are no fastbins: the struct's fastbinsY are not the release's memory.
  for (int i = 0; twin.profile().fastbins && i < alloc::kNFastBins; ++i) {
    for (Addr p = av.fastbinsY[i]; p != 0; p = alloc::protect_ptr(p + 0x10, load(p + 0x10))) {
      if (alloc::misaligned_chunk(alloc::ChunkAddr{p}))
        alloc::report_abort(fatal, alloc::msg::kMallinfoUnaligned);
      ++nfastblocks;
      fastavail += chunksize(p);
    }
  }
  avail += fastavail;
  // Regular bins: bin_at(i) is the pseudo-chunk whose fd/bk are bins[2i-2], bins[2i-1].
  Addr arena = reinterpret_cast<Addr>(&av);
  for (int i = 1; i < alloc::kNBins; ++i) {
    Addr b = arena + 0x60 + (static_cast<uint64_t>(i) - 1) * 0x10;
    for (Addr p = load(b + 0x18); p != b; p = load(p + 0x18)) {
      ++nblocks;
      avail += chunksize(p);
    }
  }
  m.smblks = nfastblocks;
  m.ordblks = nblocks;
  m.fordblks = avail;
  m.uordblks = av.system_mem - avail;
  m.arena = av.system_mem;
  m.fsmblks = fastavail;
  m.hblks = static_cast<size_t>(twin.mp().n_mmaps);
  m.hblkhd = twin.mp().mmapped_mem;
  m.usmblks = 0;
  m.keepcost = chunksize(av.top);
  return m;
}

void print_malloc_stats(const alloc::Allocator& twin, alloc::FatalHandler* fatal) {
  struct mallinfo2 mi = main_arena_info(twin, fatal);
  const alloc::MallocParFields& mp = twin.mp();
  unsigned int in_use_b = static_cast<unsigned int>(mp.mmapped_mem), system_b = in_use_b;
  fprintf(stderr, "Arena %d:\n", 0);
  fprintf(stderr, "system bytes     = %10u\n", static_cast<unsigned int>(mi.arena));
  fprintf(stderr, "in use bytes     = %10u\n", static_cast<unsigned int>(mi.uordblks));
  system_b += static_cast<unsigned int>(mi.arena);
  in_use_b += static_cast<unsigned int>(mi.uordblks);
  fprintf(stderr, "Total (incl. mmap):\n");
  fprintf(stderr, "system bytes     = %10u\n", system_b);
  fprintf(stderr, "in use bytes     = %10u\n", in_use_b);
  fprintf(stderr, "max mmap regions = %10u\n", static_cast<unsigned int>(mp.max_n_mmaps));
  fprintf(stderr, "max mmap bytes   = %10lu\n", static_cast<unsigned long>(mp.max_mmapped_mem));
}

}  // namespace heaptwin::preload
