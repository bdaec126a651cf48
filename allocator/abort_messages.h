// Every message glibc prints through malloc_printerr (2.36's set; older releases have a subset),
// one named constant each. The twin aborts with exactly these strings; tests use them.
#ifndef HEAPTWIN_ALLOCATOR_ABORT_MESSAGES_H_
#define HEAPTWIN_ALLOCATOR_ABORT_MESSAGES_H_

namespace heaptwin::alloc::msg {

// unlink_chunk
inline constexpr char kUnlinkSizeVsPrevSize[] = "corrupted size vs. prev_size";
inline constexpr char kUnlinkDoubleLinkedList[] = "corrupted double-linked list";
inline constexpr char kUnlinkNotSmall[] = "corrupted double-linked list (not small)";
// sysmalloc
inline constexpr char kBreakAdjusted[] = "break adjusted to free malloc space";
// munmap_chunk, mremap_chunk
inline constexpr char kMunmapInvalidPointer[] = "munmap_chunk(): invalid pointer";
inline constexpr char kMremapInvalidPointer[] = "mremap_chunk(): invalid pointer";
// tcache
inline constexpr char kUnalignedTcacheChunk[] = "malloc(): unaligned tcache chunk detected";
inline constexpr char kTcacheShutdownUnaligned[] =
    "tcache_thread_shutdown(): unaligned tcache chunk detected";
// realloc
inline constexpr char kReallocInvalidPointer[] = "realloc(): invalid pointer";
inline constexpr char kReallocInvalidOldSize[] = "realloc(): invalid old size";
inline constexpr char kReallocInvalidNextSize[] = "realloc(): invalid next size";
// _int_malloc
inline constexpr char kUnalignedFastbin[] = "malloc(): unaligned fastbin chunk detected";
inline constexpr char kUnalignedFastbin2[] = "malloc(): unaligned fastbin chunk detected 2";
inline constexpr char kUnalignedFastbin3[] = "malloc(): unaligned fastbin chunk detected 3";
inline constexpr char kFastbinCorruption[] = "malloc(): memory corruption (fast)";
inline constexpr char kSmallbinCorrupted[] = "malloc(): smallbin double linked list corrupted";
inline constexpr char kMemoryCorruption[] = "malloc(): memory corruption";  // before 2.29
inline constexpr char kUnsortedInvalidSize[] = "malloc(): invalid size (unsorted)";
inline constexpr char kUnsortedInvalidNextSize[] = "malloc(): invalid next size (unsorted)";
inline constexpr char kUnsortedMismatchPrevSize[] =
    "malloc(): mismatching next->prev_size (unsorted)";
inline constexpr char kUnsortedDoubleLinkedList[] =
    "malloc(): unsorted double linked list corrupted";
inline constexpr char kUnsortedNextPrevInuse[] = "malloc(): invalid next->prev_inuse (unsorted)";
inline constexpr char kUnsortedCorrupted3[] = "malloc(): corrupted unsorted chunks 3";
inline constexpr char kLargebinNextsize[] =
    "malloc(): largebin double linked list corrupted (nextsize)";
inline constexpr char kLargebinBk[] = "malloc(): largebin double linked list corrupted (bk)";
inline constexpr char kUnsortedCorrupted[] = "malloc(): corrupted unsorted chunks";
inline constexpr char kUnsortedCorrupted2[] = "malloc(): corrupted unsorted chunks 2";
inline constexpr char kCorruptedTopSize[] = "malloc(): corrupted top size";
// _int_free
inline constexpr char kFreeInvalidPointer[] = "free(): invalid pointer";
inline constexpr char kFreeInvalidSize[] = "free(): invalid size";
inline constexpr char kFreeTooManyTcache[] = "free(): too many chunks detected in tcache";
inline constexpr char kFreeUnalignedTcache2[] = "free(): unaligned chunk detected in tcache 2";
inline constexpr char kFreeDoubleFreeTcache2[] = "free(): double free detected in tcache 2";
inline constexpr char kFreeInvalidNextSizeFast[] = "free(): invalid next size (fast)";
inline constexpr char kDoubleFreeFasttop[] = "double free or corruption (fasttop)";
inline constexpr char kInvalidFastbinEntry[] = "invalid fastbin entry (free)";
inline constexpr char kDoubleFreeTop[] = "double free or corruption (top)";
inline constexpr char kDoubleFreeOut[] = "double free or corruption (out)";
inline constexpr char kDoubleFreePrev[] = "double free or corruption (!prev)";
inline constexpr char kFreeInvalidNextSizeNormal[] = "free(): invalid next size (normal)";
inline constexpr char kConsolidatingPrevSize[] = "corrupted size vs. prev_size while consolidating";
inline constexpr char kFreeCorruptedUnsorted[] = "free(): corrupted unsorted chunks";
inline constexpr char kFreeSmallbinCorrupted[] = "free(): chunks in smallbin corrupted";  // 2.41
// malloc_consolidate
inline constexpr char kConsolidateUnaligned[] =
    "malloc_consolidate(): unaligned fastbin chunk detected";
inline constexpr char kConsolidateInvalidSize[] = "malloc_consolidate(): invalid chunk size";
inline constexpr char kConsolidatePrevSize[] = "corrupted size vs. prev_size in fastbins";
// statistics
inline constexpr char kMallinfoUnaligned[] = "int_mallinfo(): unaligned fastbin chunk detected";
inline constexpr char kMallocInfoUnaligned[] = "__malloc_info(): unaligned fastbin chunk detected";

// Assertions are in assertions.h: their text depends on the release.

}  // namespace heaptwin::alloc::msg

#endif  // HEAPTWIN_ALLOCATOR_ABORT_MESSAGES_H_
