// Small helpers every command uses: --help detection, errors in one format, file reading.
#ifndef HEAPTWIN_TOOLS_CLI_UTIL_H_
#define HEAPTWIN_TOOLS_CLI_UTIL_H_

#include <optional>
#include <string>
#include <vector>

#include "tools/command.h"

namespace heaptwin::cli {

// True when args hold -h or --help.
bool wants_help(const Args& args);
// When args ask for help: prints it on stdout and returns true (the command then exits kExitOk).
bool printed_help(const Args& args, const char* help);
bool printed_help(const Args& args, void (*print_help)());
// Prints "heaptwin CMD: message" to stderr and returns kExitUsage.
int usage_error(const std::string& command, const std::string& message);
// The whole file, or nullopt with *error = "FILE: reason" ("FILE: is a directory",
// "FILE: no such file or directory", "FILE: permission denied", ...).
std::optional<std::string> read_file(const std::string& path, std::string* error);
// "FILE: reason" for errno `err`, in the words read_file uses (strerror, lower-cased).
std::string file_error(const std::string& path, int err);
// A command's one operand (a file, a folder): `arg` when it is the first, else false with *error
// ("unknown option -x" for an option no branch took, "one file at a time (got a and b)").
bool take_operand(const std::string& arg, const char* what, std::string* operand,
                  std::string* error);
// "a,,b" -> {"a", "", "b"}: every item, empty ones too, for a caller that reports them.
std::vector<std::string> split_commas(const std::string& s);
// "twin,,glibc," -> {"twin", "glibc"}: a list of names, empty items dropped.
std::vector<std::string> comma_list(const std::string& s);
// Writes `data` to `path` atomically (a temporary beside it, then rename): nothing half-written.
bool write_file_atomic(const std::string& path, const std::string& data, std::string* error);

}  // namespace heaptwin::cli

#endif  // HEAPTWIN_TOOLS_CLI_UTIL_H_
