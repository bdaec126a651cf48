// The parent's end of the runner's shared memory (runner_protocol.h): sends a Program's request
// and streams its ops in, takes its records as they come out. One Program at a time.
#ifndef HEAPTWIN_ORACLE_GLIBC_RUNNER_CHANNEL_H_
#define HEAPTWIN_ORACLE_GLIBC_RUNNER_CHANNEL_H_

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "oracle/glibc/runner_protocol.h"
#include "oracle/heap_view.h"
#include "program/op.h"

namespace heaptwin {

class RunnerChannel {
 public:
  RunnerChannel() = default;
  RunnerChannel(const RunnerChannel&) = delete;
  RunnerChannel& operator=(const RunnerChannel&) = delete;
  ~RunnerChannel();

  // A new shared memory area (fresh counters) for a runner about to start; the old one goes.
  bool create(uint64_t spin_cycles, std::string* error);
  int fd() const { return fd_; }

  // Hands the request over with as many of `program`'s ops as the ring holds; the rest follow
  // from next(). `program` must stay alive until the Program's RUNNER_END.
  void send(RunnerRequest request, const Program& program);

  // The next record (RUNNER_END last), writing more ops meanwhile: true, or false when none
  // came within wait_ms. `out` stays valid until the next call.
  bool next(const RunnerRecord** out, int wait_ms);
  // The parent is done with the records taken so far (a paused child goes on).
  void release_records();

  // Copied snapshots: the state at `position` (RunnerRecord::state), released in order.
  const RunnerState* state(uint64_t position) const;
  void release_state(const RunnerState* state, uint64_t position);

  std::string message(uint64_t length) const;
  pid_t child_pid() const;
  uint64_t heap_base() const;
  // RUNNER_PAUSE: the paused child's other threads' tcaches (RunnerControl::threads) into
  // loc->threads and loc->thread_tcaches.
  void paused_thread_tcaches(HeapLocation* loc) const;

 private:
  void write_ops();
  bool ready() const;

  int fd_ = -1;
  RunnerShared* shared_ = nullptr;
  const Program* program_ = nullptr;
  uint64_t ops_sent_ = 0;       // of the Program's ops
  uint64_t op_pos_ = 0;         // the next op's ring position
  uint64_t record_pos_ = 0;     // the next record's position
  uint64_t records_shown_ = 0;  // the child's records_published, as last read
};

// An op in the runner's numbering; false when a slot id does not fit (never with SlotId today).
RunnerOp encode_op(const Op& op);

// TSC cycles of spinning before a side sleeps: HEAPTWIN_RUNNER_SPIN_US (default below).
uint64_t runner_spin_cycles();

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_GLIBC_RUNNER_CHANNEL_H_
