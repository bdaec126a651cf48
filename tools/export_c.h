// A Program as a standalone C program (`heaptwin export --c`): it performs the ops on the real
// malloc of the libc it runs under and prints each op's outcome as `heaptwin run` prints it, so a
// finding can be handed to anyone with a C compiler (docs/export.md).
#ifndef HEAPTWIN_TOOLS_EXPORT_C_H_
#define HEAPTWIN_TOOLS_EXPORT_C_H_

#include <string>

#include "program/op.h"

namespace heaptwin {

struct ExportOptions {
  std::string source;       // the .heap file it came from, as named on the command line
  std::string description;  // the script's leading comment, one line per line, without '#'
  std::string release;      // the glibc release it is meant for; "" or "2.36": the host's
  // How `heaptwin run` is told the same release ("--glibc 2.31", "--libc PATH"); "" for the
  // host's, or "--glibc RELEASE".
  std::string release_option;
  // How to run it under `release` when that is not the host's (filled in when known here, else
  // the comment shows placeholders): its loader and the folder holding its libc.so.6.
  std::string loader, library_dir;
  // Releases before 2.34 (a host-built binary needs GLIBC_2.34): a sysroot with an old glibc's
  // headers and crt files to build against (heaptwin's Debian 2.31), when known here.
  std::string old_abi_sysroot;
};

// The C source. Straight-line code, a few statements per op (a Program of more than 1,000 ops
// is split into functions of 1,000: gcc takes a 100,000-op Program in 15-22 s and 0.5 GB so,
// where one function of it takes 136 s and 2.3 GB).
std::string export_c(const Program& program, const ExportOptions& options);

// The leading comment of a .heap script (its first lines that start with '#', blank lines
// allowed between them), without the '#' and one space: what the scenario is about.
std::string heap_description(const std::string& text);

// The compiler flags that build a program against an old glibc's sysroot (`gcc FLAGS -o t t.c`),
// so that it starts under releases before 2.34; the same flags the glibc runner is built with.
std::string old_glibc_build_flags(const std::string& sysroot);

// The output line of op `index` as an exported program (and `heaptwin run`) prints it:
// "3: free a  -> done". The test reads exports back through this.
inline constexpr const char* kOutcomeSeparator = "  -> ";

}  // namespace heaptwin

#endif  // HEAPTWIN_TOOLS_EXPORT_C_H_
