#include "oracle/glibc/glibc_versions.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <map>

#include <fstream>
#include <sstream>

namespace heaptwin {

namespace {

struct Release {
  const char* version;
  const char* suite;
  const char* package_version;
  const char* loader;        // inside the sysroot
  const char* library_dir;   // inside the sysroot
  const char* libc;          // inside the sysroot
  bool needs_sysroot_build;  // a host-linked binary needs GLIBC_2.34 symbols
};

const Release kReleases[] = {
    {"2.31", "bullseye", "2.31-13+deb11u11", "lib/x86_64-linux-gnu/ld-2.31.so",
     "lib/x86_64-linux-gnu", "lib/x86_64-linux-gnu/libc-2.31.so", true},
    {"2.41", "trixie", "2.41-12+deb13u4", "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
     "usr/lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu/libc.so.6", false},
    // Debian sid's and experimental's builds (glibc-versions.md: 2.43-7, 2.44-3 in 2026-12);
    // sid moves on to the next release, so the newest 2.43-* the archive offers is taken.
    {"2.43", "sid", "2.43-7", "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
     "usr/lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu/libc.so.6", false},
    {"2.44", "experimental", "2.44-3", "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
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
    *error = "glibc " + std::string(r.version) + ": the " + r.suite + " archive offers no libc6 " +
             prefix + "* (it lists:\n" + out + ")";
  }
  return newest;
}

bool setup_sysroot(const Release& r, const std::string& root, std::string* error) {
  std::string scratch = root + ".download";
  std::string out;
  run_shell("rm -rf " + quote(scratch) + " && mkdir -p " + quote(scratch + "/lists/partial"), &out);
  {
    std::ofstream list(scratch + "/sources.list");
    list << "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] " << archive_uri()
         << " " << r.suite << " main\n";
  }
  const std::string apt =
      "apt-get -q -o Dir::Etc::sourcelist=" + quote(scratch + "/sources.list") +
      " -o Dir::Etc::sourceparts=/dev/null -o Dir::State::Lists=" + quote(scratch + "/lists");
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
  if (run_shell("rm -rf " + quote(root) + " && mv " + quote(tmp_root) + " " + quote(root) +
                    " && rm -rf " + quote(scratch),
                &out) != 0) {
    *error = "glibc " + std::string(r.version) + ": cannot move the sysroot into place:\n" + out;
    return false;
  }
  return true;
}

// 2.31's packages hold absolute links to the host's files: lib64/ld-linux-x86-64.so.2 to the
// host's loader, and libc6-dev's usr/lib/x86_64-linux-gnu/libpthread.so, libdl.so, ... to
// /lib/x86_64-linux-gnu/*.so.N. A program linked against the sysroot would then take the host's
// libpthread.so.0 (2.36's, which has no pthread_create). Each is pointed at the same path inside
// the sysroot, by a relative link. Runs on every use (a sysroot set up before this existed is
// mended too); a sysroot without such links costs one `find`.
void point_links_home(const std::string& root) {
  std::string out;
  run_shell("cd " + quote(root) +
                " && find . -lname '/*' | while read -r link; do"
                " ln -sfn \"$(realpath -m -s --relative-to=\"$(dirname \"$link\")\" \".$(readlink "
                "\"$link\")\")\""
                " \"$link\"; done",
            &out);
}

// The Debian sysroot of `r`, set up in the cache on first use; its root, or "" with *error.
std::string ensure_sysroot(const Release& r, std::string* error) {
  std::string root = cache_dir() + "/glibc-" + r.version;
  std::string loader = root + "/" + r.loader;
  if (!exists(loader)) {
    run_shell("mkdir -p " + quote(cache_dir()), error);
    error->clear();
    if (!setup_sysroot(r, root, error)) return "";
    if (!exists(loader)) {
      *error = "glibc " + std::string(r.version) + ": the unpacked packages have no " + r.loader;
      return "";
    }
  }
  if (r.needs_sysroot_build) point_links_home(root);
  return root;
}

// "2.31, 2.41, 2.43, 2.44": for messages.
std::string packaged_list() {
  std::string list;
  for (const auto& r : kReleases) list += (list.empty() ? "" : ", ") + std::string(r.version);
  return list;
}

std::string not_available(const std::string& version) {
  return "glibc " + version + " is not available (Debian packages: " + packaged_list() +
         "; the host's 2.36; any other through --libc PATH)";
}

// Compiler flags that link the runner against an old sysroot, so it needs only symbols every
// glibc since 2.2.5 has (a host-linked binary needs GLIBC_2.34 and will not start under older).
std::string old_abi_flags(const std::string& root) {
  // The sysroot has glibc's headers but not the kernel's (linux/, asm/): take the host's.
  return "--sysroot=" + quote(root) + " -B" + quote(root + "/usr/lib/x86_64-linux-gnu") +
         " -idirafter /usr/include/x86_64-linux-gnu -idirafter /usr/include";
}

const Release& oldest_release() { return kReleases[0]; }

// Libcs the user brought (--libc), by release.
std::map<std::string, std::string>& user_libcs() {
  static std::map<std::string, std::string> libcs;
  return libcs;
}

std::optional<RunnerCommand> user_libc_runner(const std::string& version, const std::string& libc,
                                              std::string* error) {
  const std::string dir = libc.substr(0, libc.rfind('/'));
  std::string loader;
  for (const char* name : {"ld-linux-x86-64.so.2", "ld.so"}) {
    if (exists(dir + "/" + name)) {
      loader = dir + "/" + name;
      break;
    }
  }
  if (loader.empty()) {
    *error = libc + ": no loader beside it (expected " + dir + "/ld-linux-x86-64.so.2)";
    return std::nullopt;
  }
  std::string flags;
  int minor = 0;
  std::sscanf(version.c_str(), "2.%d", &minor);
  if (minor < 34) {
    const std::string root = ensure_sysroot(oldest_release(), error);
    if (root.empty()) return std::nullopt;
    flags = old_abi_flags(root);
  }
  auto runner = build_runner(minor < 34 ? "glibc-old-abi" : "glibc-host-abi", flags, error);
  if (!runner) return std::nullopt;
  RunnerCommand cmd;
  cmd.version = version;
  cmd.argv = {loader, "--library-path", dir, *runner};
  cmd.libc_path = libc;
  cmd.debug_roots = {dir + "/usr/lib/debug", dir + "/debug", "/usr/lib/debug"};
  return cmd;
}

}  // namespace

std::string glibc_release_of(const std::string& libc_path) {
  std::ifstream in(libc_path, std::ios::binary);
  if (!in) return "";
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // "GNU C Library (...) stable release version 2.35." (also "development release version")
  const std::string banner = "release version 2.";
  if (data.find("GNU C Library") == std::string::npos) return "";
  size_t at = data.find(banner);
  if (at == std::string::npos) return "";
  at += banner.size();
  size_t end = at;
  while (end < data.size() && std::isdigit(static_cast<unsigned char>(data[end]))) ++end;
  return end > at ? "2." + data.substr(at, end - at) : "";
}

std::optional<std::string> use_user_libc(const std::string& path, std::string* error) {
  std::string libc = path;
  if (struct stat st{}; ::stat(path.c_str(), &st) != 0) {
    *error = path + ": " + std::strerror(errno);
    return std::nullopt;
  } else if (S_ISDIR(st.st_mode)) {
    libc = path + "/libc.so.6";
  }
  if (!exists(libc)) {
    *error = path + ": no libc.so.6 there";
    return std::nullopt;
  }
  const std::string version = glibc_release_of(libc);
  if (version.empty()) {
    *error = libc + ": not a glibc (no 'GNU C Library ... release version' banner)";
    return std::nullopt;
  }
  char real[PATH_MAX];
  user_libcs()[version] = ::realpath(libc.c_str(), real) ? real : libc;
  return version;
}

std::vector<std::string> packaged_releases() {
  std::vector<std::string> versions;
  for (const auto& r : kReleases) versions.push_back(r.version);
  return versions;
}

std::optional<std::string> release_build_flags(const std::string& version, std::string* error) {
  int minor = 0;
  std::sscanf(version.c_str(), "2.%d", &minor);
  const Release* sysroot_of = nullptr;
  for (const auto& r : kReleases) {
    if (version == r.version) sysroot_of = r.needs_sysroot_build ? &r : nullptr;
  }
  if (sysroot_of == nullptr && minor > 0 && minor < 34) sysroot_of = &oldest_release();
  if (sysroot_of == nullptr) return std::string();
  const std::string root = ensure_sysroot(*sysroot_of, error);
  if (root.empty()) return std::nullopt;
  return old_abi_flags(root);
}

std::optional<LibcInstall> libc_install(const std::string& version, std::string* error) {
  if (auto user = user_libcs().find(version); user != user_libcs().end()) {
    const std::string dir = user->second.substr(0, user->second.rfind('/'));
    for (const char* name : {"ld-linux-x86-64.so.2", "ld.so"}) {
      if (exists(dir + "/" + name)) {
        return LibcInstall{version,
                           dir + "/" + name,
                           dir,
                           user->second,
                           {dir + "/usr/lib/debug", dir + "/debug", "/usr/lib/debug"}};
      }
    }
    *error = user->second + ": no loader beside it (expected " + dir + "/ld-linux-x86-64.so.2)";
    return std::nullopt;
  }
  for (const auto& r : kReleases) {
    if (version != r.version) continue;
    const std::string root = ensure_sysroot(r, error);
    if (root.empty()) return std::nullopt;
    return LibcInstall{version,
                       root + "/" + r.loader,
                       root + "/" + r.library_dir,
                       root + "/" + r.libc,
                       {root + "/usr/lib/debug", "/usr/lib/debug"}};
  }
  *error = not_available(version);
  return std::nullopt;
}

std::optional<RunnerCommand> versioned_runner(const std::string& version, std::string* error) {
  const Release* release = nullptr;
  for (const auto& r : kReleases) {
    if (version == r.version) release = &r;
  }
  if (auto user = user_libcs().find(version); user != user_libcs().end()) {
    return user_libc_runner(version, user->second, error);
  }
  if (!release) {
    *error = not_available(version);
    return std::nullopt;
  }
  const std::string root = ensure_sysroot(*release, error);
  if (root.empty()) return std::nullopt;
  const std::string loader = root + "/" + release->loader;
  std::string flags;
  if (release->needs_sysroot_build) flags = old_abi_flags(root);
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
