// The comment an exported program starts with (export_c.h): what it is, the script's own
// description, what it prints, and how to build and run it under the release it is meant for.
#include <cstdio>
#include <sstream>

#include "tools/export_c.h"
#include "tools/export_c_internal.h"

namespace heaptwin {

namespace c_export {
namespace {

// Text safe inside a /* */ comment.
std::string in_comment(std::string s) {
  for (size_t at = s.find("*/"); at != std::string::npos; at = s.find("*/", at))
    s.replace(at, 2, "* /");
  return s;
}

}  // namespace

std::string header_comment(const Program& program, const ExportOptions& o) {
  const bool host = o.release.empty() || o.release == "2.36";
  const std::string release = host ? "2.36 (the host's)" : o.release;
  std::ostringstream c;
  c << "/* heaptwin export of " << in_comment(o.source) << "\n * (" << program.ops.size() << " op"
    << (program.ops.size() == 1 ? "" : "s") << " over " << program.slot_count() - 1 << " slot"
    << (program.slot_count() == 2 ? "" : "s") << "), for glibc " << release << ".\n";
  if (!o.description.empty()) {
    c << " *\n";
    std::istringstream lines(o.description);
    for (std::string line; std::getline(lines, line);) {
      c << " *" << (line.empty() ? "" : "   " + in_comment(line)) << "\n";
    }
  }
  c << " *\n"
       " * It performs the Program's ops one after the other on the real malloc of the libc it "
       "runs\n"
       " * under, and prints each op's outcome as `heaptwin run FILE.heap --on glibc` does:\n"
       " *   N: OP  -> OUTCOME\n"
       " * a pointer as its offset from the heap base (the start of the brk heap, where glibc "
       "puts\n"
       " * the tcache struct), `mmapped LENGTH +OFFSET` for an mmapped chunk (its mapping's "
       "length,\n"
       " * the pointer's offset in its page), `NULL (ERRNO)`, `value V` (malloc_usable_size,\n"
       " * mallopt, trim), `done` (free, write8), `read V` (read8: what it read, named as "
       "heaptwin's\n"
       " * sides name it: heap+N, main_arena+N, a number, ...). An op's line starts before the op "
       "runs: where\n"
       " * glibc aborts, its message follows on stderr and the program ends by SIGABRT; a fault\n"
       " * prints `fault: SIGSEGV at heap+OFFSET` (or the raw address) and ends by the signal.\n"
       " * Nothing allocates between ops (output is write(2) from a static buffer, slots are "
       "static\n"
       " * variables: slot `a` is p_a), so the heap holds only what the Program made.\n";
  if (touches_memory(program)) {
    c << " * glibc's tcache_key (2.34 on) is heaptwin's, as on heaptwin's sides: see "
         "pin_tcache_key.\n";
  }
  c << " *\n";
  std::string loader = o.loader.empty() ? "<sysroot>/ld-linux-x86-64.so.2" : o.loader;
  std::string dir = o.library_dir.empty() ? "<folder of its libc.so.6>" : o.library_dir;
  int minor = 36;
  std::sscanf(o.release.c_str(), "2.%d", &minor);
  const std::string file = "t.c";
  const std::string no_aslr = "without address randomisation, as heaptwin's glibc runner runs:\n";
  if (host) {
    c << " * Build it, and run it " << no_aslr << " *   gcc -o t " << file
      << " && setarch -R ./t\n"
         " * Under another glibc release (its loader, and the folder holding its libc.so.6):\n"
         " *   setarch -R <sysroot>/ld-linux-x86-64.so.2 --library-path <dir> ./t\n"
         " * (before 2.34, built against that release's headers and crt files: docs/export.md)\n";
  } else if (minor >= 34) {
    c << " * Build it, and run it under glibc " << o.release << "'s loader " << no_aslr
      << " *   gcc -o t " << file << "\n"
      << " *   setarch -R " << in_comment(loader) << " --library-path " << in_comment(dir)
      << " ./t\n";
  } else {
    std::string root = o.old_abi_sysroot.empty() ? "<sysroot of an old glibc>" : o.old_abi_sysroot;
    c << " * Build it against an old glibc's headers and crt files (built against the host's, it\n"
         " * needs GLIBC_2.34 and does not start under "
      << o.release
      << "; `heaptwin run --glibc 2.31` unpacks Debian's\n"
         " * 2.31 into ~/.cache/heaptwin/glibc-2.31), and run it under glibc "
      << o.release << "'s loader\n * " << no_aslr << " *   gcc "
      << in_comment(old_glibc_build_flags(root)) << " -o t " << file << "\n"
      << " *   setarch -R " << in_comment(loader) << " --library-path " << in_comment(dir)
      << " ./t\n";
  }
  const std::string option = !o.release_option.empty() ? o.release_option
                             : host                    ? std::string()
                                                       : "--glibc " + o.release;
  c << " * Compare with `heaptwin run " << in_comment(o.source) << " --on glibc"
    << (option.empty() ? "" : " " + in_comment(option)) << "`.\n";
  c << " */\n";
  return c.str();
}

}  // namespace c_export

std::string old_glibc_build_flags(const std::string& sysroot) {
  // The sysroot has glibc's headers but not the kernel's (linux/, asm/): the host's serve.
  return "--sysroot=" + sysroot + " -B" + sysroot + "/usr/lib/x86_64-linux-gnu" +
         " -idirafter /usr/include/x86_64-linux-gnu -idirafter /usr/include";
}

std::string heap_description(const std::string& text) {
  std::string out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    size_t start = line.find_first_not_of(" \t\r");
    if (start == std::string::npos) continue;
    if (line[start] != '#') break;
    std::string rest = line.substr(start + 1);
    if (!rest.empty() && rest[0] == ' ') rest.erase(0, 1);
    while (!rest.empty() && (rest.back() == '\r' || rest.back() == ' ')) rest.pop_back();
    out += rest + "\n";
  }
  return out;
}

}  // namespace heaptwin
