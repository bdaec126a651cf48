// Options shared by the commands that run sides (run, diff): --glibc, --tunable, --state.
#ifndef HEAPTWIN_TOOLS_SIDE_OPTIONS_H_
#define HEAPTWIN_TOOLS_SIDE_OPTIONS_H_

#include <optional>
#include <string>
#include <vector>

#include "oracle/side.h"
#include "program/op.h"

namespace heaptwin::cli {

// "tcache_count=0" or "glibc.malloc.tcache_count=0" -> {"glibc.malloc.tcache_count", "0"}.
bool parse_tunable(const std::string& text, std::pair<std::string, std::string>* out);

// With --glibc 2.31, "glibc" is "glibc-2.31" and "twin" is "twin-2.31"; other names unchanged.
std::string side_for_version(const std::string& side, const std::string& glibc_version);

// --glibc V and --libc PATH, as every command that runs sides takes them: when args[*i] is one
// of them, consumes its value (advancing *i), sets *release and returns true, with *error set
// (a usage error to report, exit 2) when the value is missing or unknown.
bool take_release_option(const std::vector<std::string>& args, size_t* i, std::string* release,
                         std::string* error);

// take_release_option, and --tunable NAME=VALUE (added to *tunables): the options every command
// that runs sides takes, with the same contract.
bool take_side_option(const std::vector<std::string>& args, size_t* i, std::string* release,
                      std::vector<std::pair<std::string, std::string>>* tunables,
                      std::string* error);

// --libc PATH (a libc.so.6 or its folder, the loader beside it): from now on "glibc-<its
// release>" runs under it; *version is that release. False with *error when it is no glibc.
bool use_libc_option(const std::string& path, std::string* version, std::string* error);

// Whether --glibc V names a release that has a twin or a real side here; else *error lists them.
bool known_glibc_version(const std::string& version, std::string* error);

// "100" or "0x64": a count >= 1. False for anything else.
bool parse_count(const std::string& text, size_t* out);

// Reads and parses a .heap file; nullopt with *error naming file and line.
std::optional<Program> load_program(const std::string& path, std::string* error);

// load_program for a command: nullopt after printing the error on stderr (exit 2 follows).
std::optional<Program> load_program_or_report(const std::string& path);

// Every file parsed before anything runs (bad input is exit 2 first): false after printing the
// first error (file and line) on stderr.
bool load_programs(const std::vector<std::string>& paths, std::vector<Program>* out);

}  // namespace heaptwin::cli

#endif  // HEAPTWIN_TOOLS_SIDE_OPTIONS_H_
