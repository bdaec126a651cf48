// Comparability rule reads_a_threads_dtv (oracle/comparability.h): glibc's pthread_create
// callocs the new thread's DTV in the creating thread's arena (a 0x120 chunk; the twin side makes
// the same calloc, docs/threads.md), and ld.so then writes it: its length, the generation, and a
// pointer to the thread's static TLS block, in the thread's stack mapping, each process's own.
// A read8 inside it reads ld.so's data, not malloc's.
#ifndef HEAPTWIN_ORACLE_COMPARABILITY_DTV_H_
#define HEAPTWIN_ORACLE_COMPARABILITY_DTV_H_

#include <cstddef>
#include <vector>

#include "oracle/trace.h"
#include "program/op.h"

namespace heaptwin {

// Whether op `at` is a read8 of a word inside a DTV the twin's trace (traces[0]) recorded
// (Trace::thread_dtvs, in the main heap or a thread's), at an address known from the twin's
// outcomes before it.
bool reads_a_threads_dtv(const Program& program, const std::vector<Trace>& traces, size_t at);

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_COMPARABILITY_DTV_H_
