// The twin side's fatal handler (oracle/twin_side.cc): the allocator's aborts, faults, hangs and
// unmodelled paths become a longjmp back to the side's op loop, with what happened recorded.
#ifndef HEAPTWIN_ORACLE_TWIN_FATAL_HANDLER_H_
#define HEAPTWIN_ORACLE_TWIN_FATAL_HANDLER_H_

#include <csetjmp>
#include <cstdint>

#include "allocator/fatal.h"

namespace heaptwin {

// Turns the allocator's fatal conditions into a jump back to the op loop. The allocator keeps no
// resources and no objects with destructors on its stack, so unwinding it with longjmp is safe.
class JumpingFatalHandler : public alloc::FatalHandler {
 public:
  enum class Kind { kNone, kAbort, kFault, kHang, kUnmodelled };

  [[noreturn]] void abort_with(const char* message) override {
    kind = Kind::kAbort;
    this->message = message;
    std::longjmp(env, 1);
  }
  [[noreturn]] void fault(uint64_t address) override {
    kind = Kind::kFault;
    // A non-canonical address (bits 47..63 not all equal) raises #GP, not a page fault: the
    // kernel's SIGSEGV then carries address 0.
    const uint64_t top = address >> 47;
    this->address = top == 0 || top == 0x1ffff ? address : 0;
    std::longjmp(env, 1);
  }
  [[noreturn]] void hang() override {
    kind = Kind::kHang;
    std::longjmp(env, 1);
  }
  [[noreturn]] void unmodelled(const char* why) override {
    kind = Kind::kUnmodelled;
    message = why;
    std::longjmp(env, 1);
  }

  std::jmp_buf env;
  Kind kind = Kind::kNone;
  const char* message = "";
  uint64_t address = 0;
};

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_TWIN_FATAL_HANDLER_H_
