// Symbolises the call stacks `heaptwin exec --check` reports (allocator/preload/call_stack.h):
// return addresses in a live process, mapped to module and file address through /proc/PID/maps
// and each module's ELF program headers, then named by addr2line (binutils, which the launcher
// installs: it reads DWARF, follows separate debug files under /usr/lib/debug, and reads no
// process memory; -i names inlined frames). One addr2line per module per stack, at report time.
#ifndef HEAPTWIN_TOOLS_STACK_SYMBOLIZER_H_
#define HEAPTWIN_TOOLS_STACK_SYMBOLIZER_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace heaptwin::cli {

struct StackFrame {
  uint64_t pc = 0;              // the return address, as captured
  std::string module;           // the mapped file's path
  uint64_t module_address = 0;  // pc's address in the module's ELF (what addr2line takes)
  std::string function;         // "main"; "" when unknown
  std::string file;             // "/src/prog.c"; "" when unknown
  unsigned line = 0;            // 0 when unknown
};

// "#0 0x55555555518b in main /src/prog.c:12", as AddressSanitizer prints a frame (without a
// source line: "in main (/path/prog+0x118b)").
std::string format_frame(size_t index, const StackFrame& frame);

class StackSymbolizer {
 public:
  // Reads the mappings of process `pid` now (it must still be alive).
  explicit StackSymbolizer(pid_t pid);
  bool has_mappings() const { return !mappings_.empty(); }
  // The frames of `pcs`: the drop-in library's own frames at the top dropped, and the stack cut
  // at the first address in no executable mapping (a frame pointer that was not one).
  std::vector<StackFrame> symbolize(const uint64_t* pcs, size_t n) const;

 private:
  struct Mapping {
    uint64_t lo = 0, hi = 0, offset = 0;
    std::string path;
  };
  const Mapping* mapping_of(uint64_t pc) const;

  std::vector<Mapping> mappings_;  // executable, file-backed
};

}  // namespace heaptwin::cli

#endif  // HEAPTWIN_TOOLS_STACK_SYMBOLIZER_H_
