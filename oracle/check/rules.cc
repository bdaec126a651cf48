#include "oracle/check/rules.h"

namespace heaptwin::check {

const Rule kRules[] = {
    {"arena.unreadable", "main_arena, mp_ or global_max_fast cannot be read"},
    {"top.outside_heap", "av->top is an aligned chunk inside the heap"},
    {"top.size", "top is at least MINSIZE (do_check_chunk)"},
    {"top.prev_inuse", "top's PREV_INUSE is set (do_check_chunk)"},
    {"chunk.flags", "no chunk of the brk heap has IS_MMAPPED or NON_MAIN_ARENA set"},
    {"top.past_heap_end", "top ends at or before the program break"},
    {"top.not_at_heap_end", "top ends exactly at the program break (contiguous main arena)"},
    {"arena.system_mem", "mp_.sbrk_base + system_mem is the end of top (do_check_malloc_state)"},
    {"arena.max_fast", "global_max_fast <= request2size(MAX_FAST_SIZE) (do_check_malloc_state)"},
    {"chunk.unreadable", "walking the heap by size fields reads every chunk up to top"},
    {"chunk.bad_size", "every chunk is >= MINSIZE, 16-aligned and ends at or before top"},
    {"chunk.first_prev_inuse", "the heap's first chunk has PREV_INUSE set"},
    {"free.footer", "a free chunk's size equals the next chunk's prev_size"},
    {"binmap.clear_for_nonempty", "a non-empty bin has its binmap bit set (a set bit on an empty bin is allowed)"},
    {"bin.bad_pointer", "a bin list only reaches aligned chunks inside the heap"},
    {"bin.cycle", "a bin list returns to its head"},
    {"bin.fd_bk_mismatch", "for every link of a bin, p->fd->bk == p (and the head's bk is the last chunk)"},
    {"bin.wrong_bin", "a small or large bin holds only sizes whose bin_index is that bin"},
    {"largebin.unsorted", "a large bin is sorted by size, largest at head->fd"},
    {"unsorted.nextsize_set", "a large chunk in the unsorted bin has NULL fd_nextsize/bk_nextsize"},
    {"largebin.nextsize", "fd_nextsize/bk_nextsize ring exactly the first chunk of each size; others NULL"},
    {"fastbin.beyond_max_fast", "fastbins above global_max_fast are empty (do_check_malloc_state)"},
    {"fastbin.bad_pointer", "fastbin next pointers (revealed) are aligned chunks inside the heap"},
    {"fastbin.cycle", "a fastbin list ends"},
    {"fastbin.wrong_size", "a fastbin holds only chunks of its size"},
    {"fastbin.have_fastchunks", "have_fastchunks is true while a fastbin holds chunks"},
    {"tcache.unreadable", "the tcache struct can be read"},
    {"tcache.beyond_bins", "tcache bins past mp_.tcache_bins are empty"},
    {"tcache.count_over_limit", "counts[i] <= mp_.tcache_count"},
    {"tcache.bad_pointer", "tcache next pointers (revealed) are aligned chunks inside the heap"},
    {"tcache.cycle", "a tcache list ends"},
    {"tcache.wrong_size", "a tcache bin holds only chunks of its size"},
    {"tcache.key", "every tcache entry carries the same key (the tcache struct before 2.34)"},
    {"tcache.count_mismatch", "counts[i] equals the length of entries[i]"},
    {"chunk.in_two_bins", "no chunk is in two bins (or twice in one)"},
    {"bin.not_a_chunk", "every binned chunk is a chunk met walking the heap"},
    {"bin.chunk_in_use", "a chunk in unsorted/small/large bins is free (next chunk's PREV_INUSE clear)"},
    {"free.neighbours", "no two free chunks are neighbours outside fastbins and tcache"},
    {"fastbin.chunk_free", "a fastbin chunk stays marked in use"},
    {"tcache.chunk_free", "a tcache chunk stays marked in use"},
    {"free.not_in_bin", "every free chunk is in an unsorted, small or large bin"},
};

const size_t kRuleCount = sizeof kRules / sizeof kRules[0];

}  // namespace heaptwin::check
