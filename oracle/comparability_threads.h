// The comparability rules about threads (oracle/comparability.h).
//
// reads_a_threads_dtv: glibc's pthread_create
// callocs the new thread's DTV in the creating thread's arena (a 0x120 chunk; the twin side makes
// the same calloc, docs/threads.md), and ld.so then writes it: its length, the generation, and a
// pointer to the thread's static TLS block, in the thread's stack mapping, each process's own.
// A read8 inside it reads ld.so's data, not malloc's.
#ifndef HEAPTWIN_ORACLE_COMPARABILITY_THREADS_H_
#define HEAPTWIN_ORACLE_COMPARABILITY_THREADS_H_

#include <cstddef>
#include <vector>

#include "oracle/comparability.h"
#include "oracle/trace.h"
#include "program/op.h"

namespace heaptwin {

extern const ComparabilityRule kReadsAThreadsDtv, kReadsSafeLinkedAcrossHeaps;

// Whether op `at` is a read8 of a word inside a DTV the twin's trace (traces[0]) recorded
// (Trace::thread_dtvs, in the main heap or a thread's), at an address known from the twin's
// outcomes before it.
bool reads_a_threads_dtv(const Program& program, const std::vector<Trace>& traces, size_t at);

// reads_safe_linked_across_heaps: whether op `at` is a read8 that each side names safe-linked
// with the word read, the position it is revealed at and the place it reveals not all in one
// heap, a thread's among them, or does not name at all (a number of that process's own, 2^32 or
// more, read in a thread's heap). A read in an mmapped chunk that realloc filled from a thread's
// heap counts too, whatever each side names (safe-linked, or a number of its own, 2^32 or more):
// every word there is that heap's. The allocator links across
// heaps (a thread's tcache holds chunks of every arena), and such links reveal alike on every side;
// but a stale next pointer copied into another heap (realloc moves a block's bytes) mixes two
// heaps' page numbers as each process's mmap placed them, and the namer may reveal it at the new
// place or find it copied from an old one (found by ./heaptwin fuzz --target threads: glibc's and
// the twin's second heaps of an arena lie at different distances from its first).
bool reads_safe_linked_across_heaps(const Program& program, const std::vector<Trace>& traces,
                                    size_t at);

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_COMPARABILITY_THREADS_H_
