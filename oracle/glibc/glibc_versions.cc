#include "oracle/glibc/glibc_versions.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

namespace heaptwin {

namespace {

struct Release {
  const char* version;
  const char* suite;
  const char* package_version;
  const char* loader;       // inside the sysroot
  const char* library_dir;  // inside the sysroot
  const char* libc;         // inside the sysroot
  bool needs_sysroot_build; // a host-linked binary needs GLIBC_2.34 symbols
};

const Release kReleases[] = {
    {"2.31", "bullseye", "2.31-13+deb11u11", "lib/x86_64-linux-gnu/ld-2.31.so",
     "lib/x86_64-linux-gnu", "lib/x86_64-linux-gnu/libc-2.31.so", true},
    {"2.41", "trixie", "2.41-12+deb13u4", "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
     "usr/lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu/libc.so.6", false},
};

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

std::string quote(const std::string& s) { return "'" + s + "'"; }

// The Debian archive this machine already uses (read at run time, never written into files).
std::string archive_uri() {
  std::ifstream in("/etc/apt/sources.list.d/debian.sources");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("URIs:", 0) == 0) {
      std::istringstream words(line.substr(5));
      std::string uri;
      words >> uri;
      return uri;
    }
  }
  return "http://deb.debian.org/debian";
}

// The archive's build of the release: the version glibc-versions.md measured when the archive
// still has it, else the newest `<release>-*` it offers (point releases replace old builds).
std::string archive_version(const Release& r, const std::string& apt, std::string* error) {
  std::string out;
  std::string cache = apt;
  cache.replace(0, std::string("apt-get").size(), "apt-cache");
  if (run_shell(cache + " madison libc6", &out) != 0) {
    *error = "glibc " + std::string(r.version) + ": 'apt-cache madison libc6' failed:\n" + out;
    return "";
  }
  std::istringstream lines(out);
  std::string line, newest;
  const std::string prefix = std::string(r.version) + "-";
  while (std::getline(lines, line)) {
    // "     libc6 | 2.41-12+deb13u5 | http://... trixie/main amd64 Packages"
    std::istringstream fields(line);
    std::string name, bar, version;
    if (!(fields >> name >> bar >> version) || name != "libc6") continue;
    if (version == r.package_version) return version;
    if (version.rfind(prefix, 0) == 0 && newest.empty()) newest = version;
  }
  if (newest.empty()) {
    *error = "glibc " + std::string(r.version) + ": the " + r.suite +
             " archive offers no libc6 " + prefix + "* (it lists:\n" + out + ")";
  }
  return newest;
}

bool setup_sysroot(const Release& r, const std::string& root, std::string* error) {
  std::string scratch = root + ".download";
  std::string out;
  run_shell("rm -rf " + quote(scratch) + " && mkdir -p " + quote(scratch + "/lists/partial"), &out);
  {
    std::ofstream list(scratch + "/sources.list");
    list << "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] " << archive_uri() << " "
         << r.suite << " main\n";
  }
  const std::string apt = "apt-get -q -o Dir::Etc::sourcelist=" + quote(scratch + "/sources.list") +
                          " -o Dir::Etc::sourceparts=/dev/null -o Dir::State::Lists=" +
                          quote(scratch + "/lists");
  if (run_shell(apt + " update", &out) != 0) {
    *error = "glibc " + std::string(r.version) + ": 'apt-get update' for " + r.suite +
             " failed (network or archive unreachable?):\n" + out;
    return false;
  }
  const std::string v = archive_version(r, apt, error);
  if (v.empty()) return false;
  if (run_shell("cd " + quote(scratch) + " && " + apt + " download libc6=" + v + " libc6-dev=" + v,
                &out) != 0) {
    *error = "glibc " + std::string(r.version) + ": 'apt-get download libc6=" + v +
             " libc6-dev=" + v + "' failed:\n" + out;
    return false;
  }
  // Debug symbols are optional: without them runs work and snapshots are refused.
  std::string dbg_out;
  run_shell("cd " + quote(scratch) + " && " + apt + " download libc6-dbg=" + v, &dbg_out);
  std::string tmp_root = root + ".tmp";
  if (run_shell("rm -rf " + quote(tmp_root) + " && mkdir -p " + quote(tmp_root) + " && for d in " +
                    quote(scratch) + "/*.deb; do dpkg -x \"$d\" " + quote(tmp_root) +
                    " || exit 1; done",
                &out) != 0) {
    *error = "glibc " + std::string(r.version) + ": dpkg -x failed:\n" + out;
    return false;
  }
  // 2.31's lib64/ld-linux-x86-64.so.2 is an absolute link to the host's loader: point it home.
  run_shell("cd " + quote(tmp_root) + " && if [ -L lib64/ld-linux-x86-64.so.2 ]; then ln -sf ../" +
                r.loader + " lib64/ld-linux-x86-64.so.2; fi",
            &out);
  if (run_shell("rm -rf " + quote(root) + " && mv " + quote(tmp_root) + " " + quote(root) +
                    " && rm -rf " + quote(scratch),
                &out) != 0) {
    *error = "glibc " + std::string(r.version) + ": cannot move the sysroot into place:\n" + out;
    return false;
  }
  return true;
}

}  // namespace

std::optional<RunnerCommand> versioned_runner(const std::string& version, std::string* error) {
  const Release* release = nullptr;
  for (const auto& r : kReleases) {
    if (version == r.version) release = &r;
  }
  if (!release) {
    *error = "glibc " + version + " is not available (known: 2.31, 2.41, and the host's)";
    return std::nullopt;
  }
  std::string root = cache_dir() + "/glibc-" + version;
  std::string loader = root + "/" + release->loader;
  if (!exists(loader)) {
    run_shell("mkdir -p " + quote(cache_dir()), error);
    error->clear();
    if (!setup_sysroot(*release, root, error)) return std::nullopt;
    if (!exists(loader)) {
      *error = "glibc " + version + ": the unpacked packages have no " + release->loader;
      return std::nullopt;
    }
  }
  std::string flags;
  if (release->needs_sysroot_build) {
    // The sysroot has glibc's headers but not the kernel's (linux/, asm/): take the host's.
    flags = "--sysroot=" + quote(root) + " -B" + quote(root + "/usr/lib/x86_64-linux-gnu") +
            " -idirafter /usr/include/x86_64-linux-gnu -idirafter /usr/include";
  }
  auto runner = build_runner("glibc-" + version, flags, error);
  if (!runner) return std::nullopt;
  RunnerCommand cmd;
  cmd.version = version;
  cmd.argv = {loader, "--library-path", root + "/" + release->library_dir, *runner};
  cmd.libc_path = root + "/" + release->libc;
  cmd.debug_roots = {root + "/usr/lib/debug", "/usr/lib/debug"};
  return cmd;
}

}  // namespace heaptwin
