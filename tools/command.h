// The heaptwin command line: one function per command, each in tools/cmd_<name>.cc.
//
// Exit codes (design.md): 0 all sides agree / success; 1 a divergence or violation was found
// (report on stdout); 2 bad usage or bad input (a clear message on stderr).
#ifndef HEAPTWIN_TOOLS_COMMAND_H_
#define HEAPTWIN_TOOLS_COMMAND_H_

#include <string>
#include <vector>

namespace heaptwin::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFound = 1;
inline constexpr int kExitUsage = 2;

using Args = std::vector<std::string>;

struct Command {
  const char* name;
  const char* summary;           // one line for `heaptwin --help`
  int (*run)(const Args& args);  // args after the command name; handles --help itself
};

const std::vector<Command>& commands();

// Every command in one place; each lives in tools/cmd_<name>.cc.
int cmd_decode(const Args& args);
int cmd_encode(const Args& args);
int cmd_parse(const Args& args);
int cmd_run(const Args& args);
int cmd_diff(const Args& args);
int cmd_golden(const Args& args);
int cmd_check(const Args& args);
int cmd_show(const Args& args);
int cmd_repro(const Args& args);
int cmd_exec(const Args& args);
int cmd_preload_path(const Args& args);
int cmd_fuzz(const Args& args);
int cmd_techniques(const Args& args);
int cmd_export(const Args& args);

}  // namespace heaptwin::cli

#endif  // HEAPTWIN_TOOLS_COMMAND_H_
