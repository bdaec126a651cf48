// heaptwin export --c: a .heap script as a standalone C program that performs it on the real
// malloc and prints each op's outcome as `heaptwin run` does (tools/export_c.h, docs/export.md).
#include <sys/stat.h>

#include <cstdio>

#include "oracle/glibc/glibc_versions.h"
#include "oracle/glibc/runner_binary.h"
#include "program/heap_format.h"
#include "tools/cli_util.h"
#include "tools/export_c.h"
#include "tools/side_options.h"

namespace heaptwin::cli {

namespace {

constexpr const char* kHelp =
    "usage: heaptwin export --c FILE.heap [-o OUT.c] [--glibc V | --libc PATH]\n\n"
    "Writes a standalone C program that performs the script's ops on the real malloc of the\n"
    "libc it runs under and prints each op's outcome as `heaptwin run FILE.heap` does (offsets\n"
    "from the heap base, 'mmapped LENGTH +OFFSET', NULL with errno, values, done; glibc's abort\n"
    "message on stderr). It allocates nothing of its own between ops. Its first comment says\n"
    "what it is, where it came from and how to build and run it:\n\n"
    "  gcc -o t t.c && setarch -R ./t\n\n"
    "  --c          C (the one format so far)\n"
    "  -o FILE      write it to FILE (atomically) instead of standard output\n"
    "  --glibc V    meant for glibc release V: the comment says how to run it under V's loader\n"
    "               (Debian's 2.31 and 2.41 are set up in ~/.cache/heaptwin on first use)\n"
    "  --libc PATH  meant for this libc.so.6 (or its folder, with ld-linux-x86-64.so.2)\n\n"
    "Exit codes: 0 written; 2 bad usage, a script that does not parse (FILE:LINE: what was\n"
    "expected), or an output file that cannot be written.\n";

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// How to run the export under `release` (not the host's): its loader and library folder when
// they are set up here (or can be), else the comment keeps placeholders and we say why.
void fill_release(const std::string& release, ExportOptions* options) {
  options->release = release;
  if (release.empty() || release == "2.36") return;
  std::string error;
  if (auto install = libc_install(release, &error)) {
    options->loader = install->loader;
    options->library_dir = install->library_dir;
  } else {
    std::fprintf(stderr,
                 "heaptwin export: %s; the program's comment shows placeholders for the loader "
                 "of glibc %s\n",
                 error.c_str(), release.c_str());
  }
  int minor = 36;
  std::sscanf(release.c_str(), "2.%d", &minor);
  // Releases before 2.34 are built against Debian's 2.31, as the glibc runner is for them.
  if (minor < 34 && exists(cache_dir() + "/glibc-2.31/usr/lib/x86_64-linux-gnu/crt1.o")) {
    options->old_abi_sysroot = cache_dir() + "/glibc-2.31";
  }
}

}  // namespace

int cmd_export(const Args& args) {
  if (printed_help(args, kHelp)) return kExitOk;
  std::string file, output, release, release_option;
  bool c_format = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--c") {
      c_format = true;
    } else if (a == "-o") {
      if (i + 1 >= args.size()) return usage_error("export", "-o needs a file name");
      output = args[++i];
    } else if (std::string e; take_release_option(args, &i, &release, &e)) {
      if (!e.empty()) return usage_error("export", e);
      release_option = a + " " + args[i];
    } else if (!a.empty() && a[0] == '-') {
      return usage_error("export", "unknown option '" + a + "'");
    } else if (file.empty()) {
      file = a;
    } else {
      return usage_error("export", "one file at a time (got " + file + " and " + a + ")");
    }
  }
  if (!c_format) return usage_error("export", "say which form: --c (the one so far)");
  if (file.empty()) return usage_error("export", "expected a .heap file");
  std::string error;
  auto text = read_file(file, &error);
  if (!text) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return kExitUsage;
  }
  auto program = parse_heap(*text, file, &error);
  if (!program) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return kExitUsage;
  }
  if (program->uses_threads()) {
    std::fprintf(stderr, "%s: the C export runs one thread; this script uses others (tN: ops)\n",
                 file.c_str());
    return kExitUsage;
  }
  ExportOptions options;
  options.source = file;
  options.description = heap_description(*text);
  fill_release(release, &options);
  options.release_option = release_option;
  const std::string c = export_c(*program, options);
  if (output.empty()) {
    std::fwrite(c.data(), 1, c.size(), stdout);
    return std::fflush(stdout) == 0 ? kExitOk : kExitUsage;
  }
  if (!write_file_atomic(output, c, &error)) {
    // Named as the user named it, not as the temporary beside it the write goes through.
    const std::string tmp = output + ".tmp.";
    const size_t reason =
        error.rfind(tmp, 0) == 0 ? error.find(": ", tmp.size()) : std::string::npos;
    if (reason != std::string::npos) error = output + error.substr(reason);
    std::fprintf(stderr, "heaptwin export: %s\n", error.c_str());
    return kExitUsage;
  }
  return kExitOk;
}

}  // namespace heaptwin::cli
