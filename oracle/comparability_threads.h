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

// reads_safe_linked_across_heaps: whether op `at` is, on every side, a read8 of a value stored
// safe-linked at its position that reveals a place in another heap than the position's, a
// thread's heap on one end. The allocator links across heaps (a thread's tcache holds chunks of
// every arena), and such links reveal alike on every side; but a stale next pointer copied
// elsewhere (realloc moves a block's bytes) is revealed with the new position's page number, and
// the two heaps' page numbers mix as each process's mmap placed them (found by ./heaptwin fuzz
// --target threads: glibc's arena2 heaps 64 MiB apart, the twin's 128 MiB).
bool reads_safe_linked_across_heaps(const Program& program, const std::vector<Trace>& traces,
                                    size_t at);

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_COMPARABILITY_THREADS_H_
