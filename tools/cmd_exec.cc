// heaptwin exec and heaptwin preload-path: run a real program on the twin through the drop-in
// library (allocator/preload), optionally writing its malloc calls as a .heap script (--trace)
// or checking its heap after every call (--check).
//
// --check: the library checks the program's heap itself after every call (the incremental heap
// checker, oracle/check/, which needs no C++ library) and, when it finds it broken, sends this
// process the report (allocator/preload/check_protocol.h), which it prints on stdout before the
// program aborts; exec then exits 1.
#include <fcntl.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "allocator/preload/check_protocol.h"
#include "oracle/glibc/glibc_versions.h"
#include "oracle/glibc/libc_symbols.h"
#include "tools/check_report.h"
#include "tools/cli_util.h"
#include "tools/command.h"
#include "tools/exec_libc_data.h"
#include "tools/side_options.h"
#include "tools/stack_symbolizer.h"

namespace heaptwin::cli {

namespace {

constexpr const char* kLibraryName = "libheaptwin_preload.so";
constexpr const char* kLibraryPackagePath = "allocator/preload/libheaptwin_preload.so";
// Descriptors the program is unlikely to use; the library marks them close-on-exec.
constexpr int kTraceFd = 1021, kCheckFd = 1022, kCheckReplyFd = 1023;

bool is_file(const std::string& p) { return access(p.c_str(), R_OK) == 0; }

std::string absolute(const std::string& p) {
  char buf[PATH_MAX];
  if (realpath(p.c_str(), buf) != nullptr) return buf;
  return p;
}

std::string dirname_of(const std::string& p) {
  size_t slash = p.rfind('/');
  return slash == std::string::npos ? "." : p.substr(0, slash);
}

// HEAPTWIN_PRELOAD_LIBRARY, else beside this binary in Bazel's output tree
// (bazel-bin/tools/heaptwin -> bazel-bin/allocator/preload/...), else in its runfiles.
std::string find_library(std::vector<std::string>* tried) {
  if (const char* env = std::getenv("HEAPTWIN_PRELOAD_LIBRARY"); env != nullptr && *env) {
    tried->push_back(std::string(env) + " (HEAPTWIN_PRELOAD_LIBRARY)");
    return is_file(env) ? absolute(env) : "";
  }
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return "";
  exe[n] = '\0';
  std::string self = exe;
  std::vector<std::string> candidates = {
      dirname_of(dirname_of(self)) + "/" + kLibraryPackagePath,
      self + ".runfiles/heaptwin/" + kLibraryPackagePath,
  };
  if (const char* rf = std::getenv("RUNFILES_DIR"); rf != nullptr && *rf) {
    candidates.push_back(std::string(rf) + "/heaptwin/" + kLibraryPackagePath);
  }
  for (const std::string& c : candidates) {
    tried->push_back(c);
    if (is_file(c)) return absolute(c);
  }
  return "";
}

int library_missing(const std::string& command, const std::vector<std::string>& tried) {
  std::string where;
  for (const std::string& t : tried) where += "\n  " + t;
  return usage_error(command, std::string("cannot find the drop-in library ") + kLibraryName +
                                  "; looked at:" + where + "\nbuild it with ./heaptwin " + command +
                                  " (the launcher builds it) or bazel build "
                                  "//allocator/preload:libheaptwin_preload.so");
}

// CMD as execvp would find it: itself when it names a path, else the first match in PATH.
std::string find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (size_t start = 0; start <= dirs.size();) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = (end > start ? dirs.substr(start, end - start) : ".") + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

void print_preload_path_usage() {
  std::printf(
      "usage: heaptwin preload-path\n\n"
      "Prints the absolute path of the drop-in library (libheaptwin_preload.so), the malloc\n"
      "family of glibc 2.36 served by the twin. ./heaptwin preload-path builds it first. Use it\n"
      "as LD_PRELOAD=$(./heaptwin preload-path) CMD, or through heaptwin exec.\n"
      "Exit 0, or 2 when the library is not built (message on stderr).\n");
}

void print_exec_usage() {
  std::string packaged;
  for (const std::string& v : packaged_releases()) packaged += (packaged.empty() ? "" : ", ") + v;
  std::printf(
      "usage: heaptwin exec [--check [--json FILE]] [--check-every N] [--trace FILE "
      "[--trace-max-ops N]]\n"
      "                     [--no-aslr] [--glibc V | --libc PATH] -- CMD ARGS...\n\n"
      "Runs CMD with the drop-in library preloaded: every malloc, free, calloc, realloc,\n"
      "memalign, aligned_alloc, posix_memalign, valloc, pvalloc, malloc_usable_size, mallopt,\n"
      "malloc_trim, mallinfo2 and malloc_stats of the program (and of the programs it starts)\n"
      "runs on the twin, over the real program break and mmap. Without address randomisation\n"
      "(--no-aslr, or setarch -R) a single-threaded program gets exactly the addresses real\n"
      "glibc 2.36 gives it. GLIBC_TUNABLES and MALLOC_*_ are honoured; corruption aborts with\n"
      "glibc's message. Threads are safe (one lock) but placement is exact for one thread only.\n\n"
      "  --check          the heap checker inside CMD's process (not the processes it forks;\n"
      "                   across exec too): after every call it checks what the call touched\n"
      "                   (the incremental checker: its cost does not grow with the heap), and\n"
      "                   the whole heap at exit; the first violation (or glibc's abort) is\n"
      "                   reported on stdout and the program is aborted (exit 1). The report\n"
      "                   names the rule, then where the program made the call (its stack, as\n"
      "                   AddressSanitizer prints one: #0 0x... in main prog.c:12), where the\n"
      "                   chunk involved was allocated and last freed, and where the chunk\n"
      "                   below it was allocated (build the program with -g for file:line;\n"
      "                   frames past #0 need frame pointers: -fno-omit-frame-pointer)\n"
      "  --json FILE      --check, and the reports as JSON in FILE (docs/exec-check-report.md);\n"
      "                   written on every run: an empty list when nothing broke\n"
      "  --check-every N  --check, and the whole heap every Nth call too\n"
      "  --trace FILE     write CMD's calls as a .heap script to FILE (the program CMD names\n"
      "                   only: not what it forks or execs), each result's address as a\n"
      "                   comment; replay it with heaptwin diff FILE --sides twin,glibc. The\n"
      "                   whole run is traced: no limit on calls or on pointers live at once\n"
      "                   (one slot each; slot ids are 32 bits)\n"
      "  --trace-max-ops N  stop the trace after N calls (a comment says so); default 0, the\n"
      "                   whole run\n"
      "  --no-aslr        disable address randomisation for CMD (what setarch -R does)\n"
      "  --glibc V        run CMD under glibc V's own loader and libc (Debian's %s,\n"
      "                   fetched on first use) with the twin of V serving malloc; a CMD built\n"
      "                   here needs a libc of 2.34 or later (GLIBC_2.34 symbols): for 2.31,\n"
      "                   build it against that release (gcc --sysroot, glibc-versions.md)\n"
      "  --libc PATH      the same with a libc.so.6 you bring (ld-linux-x86-64.so.2 beside it)\n\n"
      "Exit status: CMD's own (128+N when signal N ended it); 1 when --check found a violation;\n"
      "2 on bad usage or when CMD cannot be started (message on stderr).\n",
      packaged.c_str());
}

bool read_full(int fd, void* buf, size_t n) {
  auto* p = static_cast<char*>(buf);
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

// Prints the reports the library sends until it closes the channel (the program ended or
// exec'd), each with its call stacks symbolised from `pid`'s mappings while the program waits
// for the acknowledgement (so it is alive and its libraries mapped). Returns the reports.
std::vector<CheckReportData> serve_checks(pid_t pid, int requests, int replies) {
  std::vector<CheckReportData> reports;
  CheckReportData r;
  while (read_full(requests, &r.header, sizeof r.header)) {
    const preload::CheckReport& h = r.header;
    if (h.magic != preload::kCheckMagic || h.text_bytes > (64u << 20) || h.stack_count > 64) {
      std::fprintf(stderr,
                   "heaptwin exec: the library speaks another check protocol; stopping checks\n");
      return reports;
    }
    r.text.assign(h.text_bytes, '\0');
    std::vector<preload::ReportStack> raw(h.stack_count);
    if (!read_full(requests, r.text.data(), r.text.size()) ||
        !read_full(requests, raw.data(), raw.size() * sizeof(preload::ReportStack))) {
      std::fwrite(r.text.data(), 1, r.text.size(), stdout);
      reports.push_back(r);
      return reports;
    }
    const StackSymbolizer symbolizer(pid);
    r.stacks.clear();
    for (const preload::ReportStack& s : raw) {
      const size_t depth = s.depth < preload::kReportFrames ? s.depth : preload::kReportFrames;
      r.stacks.push_back({s.kind, s.chunk, s.call_index, symbolizer.symbolize(s.pcs, depth)});
    }
    const std::string text = r.text + format_stacks(r);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    reports.push_back(r);
    const char ack = preload::kCheckOk;
    if (write(replies, &ack, 1) != 1) return reports;
  }
  return reports;
}

void prepend_env(const char* name, const std::string& value, const char* separator) {
  const char* old = std::getenv(name);
  std::string v = value;
  if (old != nullptr && *old) v += separator + std::string(old);
  setenv(name, v.c_str(), 1);
}

// The library asks to be mapped at 0x7e0000000000 (allocator/preload/README.md), away from the
// mmap area. An ld.so before 2.36 maps a shared object at the address it asks for only when the
// program is not PIE or LD_USE_LOAD_BIAS=1 is set (dl-map-segments.h: `c->mapstart &
// GLRO(dl_use_load_bias)`, which rtld.c sets to 0 for a PIE program); glibc 2.36 "elf: Remove
// LD_USE_LOAD_BIAS" (144761540a) honours it always. Without it, under 2.31 the library and its
// data sit at the top of the mmap area and every mmapped chunk of tests/preload/pointer_log
// landed 0x98000 bytes lower than under glibc. No library on a Debian system asks for an address
// (their first segment's is 0), so the variable moves nothing else.
bool honours_preferred_address_only_with_load_bias(const std::string& release) {
  int minor = 0;
  return std::sscanf(release.c_str(), "2.%d", &minor) == 1 && minor < 36;
}

int exit_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return kExitUsage;
}

}  // namespace

int cmd_preload_path(const Args& args) {
  if (printed_help(args, print_preload_path_usage)) return kExitOk;
  if (!args.empty()) return usage_error("preload-path", "takes no arguments");
  std::vector<std::string> tried;
  std::string lib = find_library(&tried);
  if (lib.empty()) return library_missing("preload-path", tried);
  std::printf("%s\n", lib.c_str());
  return kExitOk;
}

int cmd_exec(const Args& args) {
  bool check = false, no_aslr = false;
  // check_every 0: the full check at exit only; trace_max_ops 0: trace the whole run.
  unsigned long check_every = 0, trace_max_ops = 0;
  std::string trace, release, json;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a == "-h" || a == "--help") {
      print_exec_usage();
      return kExitOk;
    }
    if (a == "--check") {
      check = true;
    } else if (a == "--json") {
      if (i + 1 >= args.size()) return usage_error("exec", "--json needs a file name");
      json = args[++i];
      check = true;
    } else if (a == "--check-every") {
      if (i + 1 >= args.size()) return usage_error("exec", "--check-every needs a number");
      char* end = nullptr;
      check_every = std::strtoul(args[++i].c_str(), &end, 0);
      if (end == args[i].c_str() || *end != '\0' || check_every == 0) {
        return usage_error("exec", "--check-every needs a positive number, not '" + args[i] + "'");
      }
      check = true;
    } else if (std::string e; take_release_option(args, &i, &release, &e)) {
      if (!e.empty()) return usage_error("exec", e);
    } else if (a == "--trace") {
      if (i + 1 >= args.size()) return usage_error("exec", "--trace needs a file name");
      trace = args[++i];
    } else if (a == "--trace-max-ops") {
      if (i + 1 >= args.size()) return usage_error("exec", "--trace-max-ops needs a number");
      char* end = nullptr;
      trace_max_ops = std::strtoul(args[++i].c_str(), &end, 0);
      if (end == args[i].c_str() || *end != '\0') {
        return usage_error("exec", "--trace-max-ops needs a number, not '" + args[i] + "'");
      }
    } else if (a == "--no-aslr") {
      no_aslr = true;
    } else if (!a.empty() && a[0] == '-') {
      return usage_error("exec", "unknown option '" + a + "'");
    } else {
      break;  // the command starts here ("--" is optional)
    }
  }
  if (i >= args.size())
    return usage_error("exec", "no command to run (heaptwin exec [OPTIONS] -- CMD ARGS...)");
  std::vector<std::string> command(args.begin() + static_cast<long>(i), args.end());
  // The libc the program will load, and where its debug symbols may be.
  std::string libc_path;
  std::vector<std::string> debug_roots = {"/usr/lib/debug"};
  uint64_t own_libc_base = 0;
  if (!find_libc_mapping(getpid(), &own_libc_base, &libc_path))
    libc_path = "/lib/x86_64-linux-gnu/libc.so.6";
  if (!release.empty() && release != "2.36") {
    // Under the release's own loader and libc: ld.so --library-path DIR PROGRAM ARGS...
    std::string error;
    auto install = libc_install(release, &error);
    if (!install) return usage_error("exec", error);
    libc_path = install->libc;
    debug_roots = install->debug_roots;
    const std::string program = find_program(command[0]);
    if (program.empty()) return usage_error("exec", command[0] + ": command not found");
    command[0] = program;
    command.insert(command.begin(), {install->loader, "--library-path", install->library_dir});
  }

  std::vector<std::string> tried;
  std::string lib = find_library(&tried);
  if (lib.empty()) return library_missing("exec", tried);
  // malloc's objects at libc's own addresses (allocator/preload/libc_placement.h), unless the
  // caller set HEAPTWIN_LIBC_DATA itself ("" keeps them in the library).
  std::string libc_data;
  if (std::getenv("HEAPTWIN_LIBC_DATA") == nullptr) {
    std::string why, kept;
    libc_data = libc_data_value(libc_path, debug_roots, drop_in_profile(release), &why, &kept);
    if (libc_data.empty()) {
      std::fprintf(stderr,
                   "heaptwin exec: malloc's objects stay in the library, not at libc's main_arena "
                   "(%s): an address derived from a leaked bin is not glibc's\n",
                   why.c_str());
    } else if (!kept.empty()) {
      std::fprintf(stderr,
                   "heaptwin exec: kept in the library, not at libc's symbol (libc has none, or "
                   "its size there is not the twin's): %s (%s)\n",
                   kept.c_str(), libc_path.c_str());
    }
  }

  int trace_fd = -1;
  if (!trace.empty()) {
    trace_fd = open(trace.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (trace_fd < 0) return usage_error("exec", file_error(trace, errno));
  }
  // Reports travel over a socket (the library sends with MSG_NOSIGNAL: if this process dies,
  // the program gets no SIGPIPE), acknowledgements over a pipe.
  int req_pipe[2] = {-1, -1}, reply_pipe[2] = {-1, -1};
  if (check && (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, req_pipe) != 0 ||
                pipe2(reply_pipe, O_CLOEXEC) != 0)) {
    return usage_error("exec", std::string("socketpair/pipe: ") + std::strerror(errno));
  }
  // A pipe that tells the parent whether execvp failed (closed on a successful exec).
  int exec_status[2];
  if (pipe2(exec_status, O_CLOEXEC) != 0) return usage_error("exec", std::strerror(errno));
  std::fflush(stdout);
  std::fflush(stderr);

  pid_t pid = fork();
  if (pid < 0) return usage_error("exec", std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    close(exec_status[0]);
    prepend_env("LD_PRELOAD", lib, ":");
    setenv("HEAPTWIN_PID", std::to_string(getpid()).c_str(), 1);
    if (!release.empty()) setenv("HEAPTWIN_GLIBC", release.c_str(), 1);
    if (honours_preferred_address_only_with_load_bias(release)) setenv("LD_USE_LOAD_BIAS", "1", 1);
    if (!libc_data.empty()) setenv("HEAPTWIN_LIBC_DATA", libc_data.c_str(), 1);
    if (trace_fd >= 0) {
      dup2(trace_fd, kTraceFd);
      setenv("HEAPTWIN_TRACE_FD", std::to_string(kTraceFd).c_str(), 1);
      setenv("HEAPTWIN_TRACE_MAX_OPS", std::to_string(trace_max_ops).c_str(), 1);
    }
    if (check) {
      dup2(req_pipe[1], kCheckFd);
      dup2(reply_pipe[0], kCheckReplyFd);
      setenv("HEAPTWIN_CHECK_FD", std::to_string(kCheckFd).c_str(), 1);
      setenv("HEAPTWIN_CHECK_REPLY_FD", std::to_string(kCheckReplyFd).c_str(), 1);
      setenv("HEAPTWIN_FULL_CHECK_EVERY", std::to_string(check_every).c_str(), 1);
    }
    if (no_aslr)
      personality(static_cast<unsigned long>(personality(0xffffffff)) | ADDR_NO_RANDOMIZE);
    std::vector<char*> argv;
    for (std::string& s : command) argv.push_back(s.data());
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    int e = errno;
    ssize_t w = write(exec_status[1], &e, sizeof e);
    (void)w;
    _exit(127);
  }
  close(exec_status[1]);
  if (trace_fd >= 0) close(trace_fd);
  if (check) {
    close(req_pipe[1]);
    close(reply_pipe[0]);
  }
  int exec_errno = 0;
  bool exec_failed = read_full(exec_status[0], &exec_errno, sizeof exec_errno);
  close(exec_status[0]);

  // The program's Ctrl-C is the program's: this process waits for it to end.
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);  // a program that dies before reading its verdict: no death of ours
  std::vector<CheckReportData> reports;
  if (check && !exec_failed) reports = serve_checks(pid, req_pipe[0], reply_pipe[1]);
  const bool violation = !reports.empty();
  if (check) {
    close(req_pipe[0]);
    close(reply_pipe[1]);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (exec_failed) {
    return usage_error("exec", command[0] + ": " + std::strerror(exec_errno));
  }
  // The trace is of the image exec started only. An empty one most often means a wrapper (a
  // shell script such as a pyenv shim: bash has a malloc of its own) exec'd the real program.
  if (struct stat st; !trace.empty() && ::stat(trace.c_str(), &st) == 0 && st.st_size == 0) {
    std::fprintf(stderr,
                 "heaptwin exec: %s is empty: %s made no malloc-family call of glibc's before it "
                 "exec'd another program, if it did (a wrapper script?); trace that program "
                 "directly (e.g. by its full path)\n",
                 trace.c_str(), command[0].c_str());
  }
  if (!json.empty()) {
    if (std::string error; !write_file_atomic(json, reports_json(reports, command), &error)) {
      std::fprintf(stderr, "heaptwin exec: %s\n", error.c_str());
    }
  }
  if (violation) return kExitFound;
  return exit_status(status);
}

}  // namespace heaptwin::cli
