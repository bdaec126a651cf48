// `heaptwin exec --check` inside the program: the incremental heap checker (oracle/check/) after
// every malloc-family call, fed by the twin's write log, over the program's own memory; a full
// check every `check_every` calls and at exit. Its tables live in one reservation at a fixed
// address beside the library (like the trace's table), away from the mmap area, so checking
// does not move the program's mappings. Nothing here allocates through malloc.
#ifndef HEAPTWIN_ALLOCATOR_PRELOAD_HEAP_CHECKING_H_
#define HEAPTWIN_ALLOCATOR_PRELOAD_HEAP_CHECKING_H_

#include <cstdint>

#include "allocator/allocator.h"
#include "allocator/preload/allocation_sites.h"
#include "allocator/preload/call_stack.h"
#include "allocator/preload/check_protocol.h"
#include "oracle/check/types.h"

namespace heaptwin::preload {

class HeapChecking {
 public:
  // Sets up the checker and hands the twin its write log. `report_fd` is the socket to heaptwin,
  // `ack_fd` where its acknowledgement comes from. False (and a message on stderr) when its
  // memory cannot be reserved: then the program runs unchecked.
  bool start(alloc::Allocator* twin, int report_fd, int ack_fd, uint64_t full_every);
  bool active() const { return active_; }
  // Whether this is still the process start() ran in, not a child of fork (whose heap is a
  // copy nobody checks). No system call: a flag in a page the kernel wipes in a child
  // (MADV_WIPEONFORK); getpid() where the kernel lacks it.
  bool in_started_process() const {
    return wiped_on_fork_ != nullptr ? *wiped_on_fork_ != 0 : getpid_now() == pid_;
  }
  // Where chunks come from, for the report (allocation_sites.h): call `call` returned or
  // freed `user`, called from `stack`.
  void allocated(uint64_t user, uint64_t call, const CallStack& stack) {
    sites_.allocated(user, call, stack);
  }
  void freed(uint64_t user, uint64_t call, const CallStack& stack) {
    sites_.freed(user, call, stack);
  }
  // After call number `op_index` (`call`: "malloc 0x18", for the report; `stack`: where the
  // program made it). True when the heap is broken: the report is with heaptwin (or on stderr),
  // and the caller aborts the program.
  bool after_call(uint64_t op_index, const char* call, const CallStack& stack);
  // The full check at exit (the library's destructor); true as after_call.
  bool at_exit(uint64_t op_index);
  // glibc's abort (malloc_printerr) in call `op_index`: reported as a broken heap, with the
  // chunk the call was given (`user`, 0 when none), before the library prints it and aborts.
  void report_abort(uint64_t op_index, const char* call, const char* message, uint64_t user,
                    const CallStack& stack);

 private:
  bool check(uint64_t op_index, const char* call, const CallStack& stack, bool full);
  void report(uint64_t op_index, const char* call, const CallStack& stack,
              const check::Where& where, const check::Findings& out);
  // Sends the report (header fields filled but the sizes), the text in g_report and the stacks
  // of the breaking call and of `chunk`; waits for heaptwin's acknowledgement.
  void send(CheckReport* header, size_t text_bytes, const CallStack& stack, uint64_t chunk,
            bool with_below);

  static int64_t getpid_now();

  volatile uint64_t* wiped_on_fork_ = nullptr;
  int64_t pid_ = -1;
  alloc::Allocator* twin_ = nullptr;
  int report_fd_ = -1;
  int ack_fd_ = -1;
  uint64_t full_every_ = 0;
  bool active_ = false;
  bool said_threads_ = false;  // the notice that threads are checked in part, once
  AllocationSites sites_;
};

}  // namespace heaptwin::preload

#endif  // HEAPTWIN_ALLOCATOR_PRELOAD_HEAP_CHECKING_H_
