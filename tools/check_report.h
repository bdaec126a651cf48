// One `heaptwin exec --check` report as heaptwin prints and writes it: the library's findings
// (allocator/preload/check_protocol.h) and its call stacks, symbolised (stack_symbolizer.h), as
// text for people (stacks as AddressSanitizer prints them) and as JSON for tools
// (docs/exec-check-report.md).
#ifndef HEAPTWIN_TOOLS_CHECK_REPORT_H_
#define HEAPTWIN_TOOLS_CHECK_REPORT_H_

#include <string>
#include <vector>

#include "allocator/preload/check_protocol.h"
#include "tools/stack_symbolizer.h"

namespace heaptwin::cli {

struct SymbolizedStack {
  preload::StackKind kind = preload::StackKind::kCall;
  uint64_t chunk = 0;
  uint64_t call_index = 0;
  std::vector<StackFrame> frames;
};

struct CheckReportData {
  preload::CheckReport header;
  std::string text;  // the library's findings, one a line
  std::vector<SymbolizedStack> stacks;
};

// "kCall" -> "call", ... (the JSON's "kind").
const char* stack_kind_name(preload::StackKind kind);
// The text after the findings: each stack under a line that says what it is.
std::string format_stacks(const CheckReportData& report);
// The JSON document of `reports` (an empty list: the run was checked and nothing broke).
std::string reports_json(const std::vector<CheckReportData>& reports,
                         const std::vector<std::string>& command);

}  // namespace heaptwin::cli

#endif  // HEAPTWIN_TOOLS_CHECK_REPORT_H_
