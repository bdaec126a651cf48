#include "tools/side_options.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "allocator/profile.h"
#include "oracle/glibc/glibc_versions.h"
#include "program/heap_format.h"
#include "tools/cli_util.h"

namespace heaptwin::cli {

bool parse_tunable(const std::string& text, std::pair<std::string, std::string>* out) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) return false;
  std::string key = text.substr(0, eq);
  if (key.find('.') == std::string::npos) key = "glibc.malloc." + key;
  *out = {key, text.substr(eq + 1)};
  return true;
}

bool parse_count(const std::string& text, size_t* out) {
  if (text.empty() || text[0] == '-') return false;
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(text.c_str(), &end, 0);
  if (errno != 0 || end == text.c_str() || *end != '\0' || v == 0) return false;
  *out = static_cast<size_t>(v);
  return true;
}

namespace {

// The twin closest to release `version` ("2.33" -> "2.31"): same major, nearest minor.
std::string nearest_twin(const std::string& version) {
  int minor = 0;
  std::sscanf(version.c_str(), "2.%d", &minor);
  std::string best;
  int best_distance = 1 << 30;
  for (int m = 0; m < 100; ++m) {
    const std::string v = "2." + std::to_string(m);
    alloc::GlibcProfile unused;
    if (!alloc::GlibcProfile::for_version(v.c_str(), &unused)) continue;
    if (std::abs(m - minor) < best_distance) {
      best_distance = std::abs(m - minor);
      best = v;
    }
  }
  return best;
}

}  // namespace

std::string side_for_version(const std::string& side, const std::string& glibc_version) {
  if (glibc_version.empty() || glibc_version == "2.36") return side;
  if (side == "twin") {
    alloc::GlibcProfile unused;
    if (alloc::GlibcProfile::for_version(glibc_version.c_str(), &unused))
      return "twin-" + glibc_version;
    const std::string nearest = nearest_twin(glibc_version);
    // What the release's history says differs from the nearest twin (glibc-versions.md).
    alloc::GlibcProfile wanted, used;
    char differences[1024] = "";
    int n = -1;
    if (alloc::GlibcProfile::from_history(std::atoi(glibc_version.c_str() + 2), &wanted) &&
        alloc::GlibcProfile::for_version(nearest.c_str(), &used)) {
      n = alloc::GlibcProfile::describe_differences(wanted, used, differences, sizeof differences);
    }
    std::fprintf(stderr,
                 "heaptwin: no twin of glibc %s yet; the twin runs as %s, its nearest release",
                 glibc_version.c_str(), nearest.c_str());
    if (n == 0) {
      std::fprintf(stderr, " (the release history shows no difference in malloc's behaviour)\n");
    } else if (n > 0) {
      std::fprintf(stderr, ", which differs in: %s (docs/glibc-versions.md)\n", differences);
    } else {
      std::fprintf(stderr, " (docs/glibc-versions.md)\n");
    }
    return "twin-" + nearest;
  }
  return side_for_release(side, glibc_version);
}

bool take_release_option(const std::vector<std::string>& args, size_t* i, std::string* release,
                         std::string* error) {
  const std::string& a = args[*i];
  if (a != "--glibc" && a != "--libc") return false;
  if (*i + 1 >= args.size()) {
    *error = a == "--glibc" ? "--glibc needs a version (e.g. 2.31)"
                            : "--libc needs a libc.so.6 or its folder";
    return true;
  }
  const std::string& value = args[++*i];
  if (a == "--glibc") {
    *release = value;
    known_glibc_version(value, error);
  } else {
    use_libc_option(value, release, error);
  }
  return true;
}

bool take_side_option(const std::vector<std::string>& args, size_t* i, std::string* release,
                      std::vector<std::pair<std::string, std::string>>* tunables,
                      std::string* error) {
  if (take_release_option(args, i, release, error)) return true;
  if (args[*i] != "--tunable") return false;
  std::pair<std::string, std::string> t;
  if (*i + 1 >= args.size() || !parse_tunable(args[++*i], &t)) {
    *error = "--tunable needs NAME=VALUE";
  } else {
    tunables->push_back(t);
  }
  return true;
}

bool use_libc_option(const std::string& path, std::string* version, std::string* error) {
  auto release = use_user_libc(path, error);
  if (!release) return false;
  *version = *release;
  return true;
}

bool known_glibc_version(const std::string& version, std::string* error) {
  alloc::GlibcProfile unused;
  const std::vector<std::string> packaged = packaged_releases();
  if (alloc::GlibcProfile::for_version(version.c_str(), &unused) ||
      std::find(packaged.begin(), packaged.end(), version) != packaged.end()) {
    return true;
  }
  // A release between the twins: the nearest twin, which says what differs.
  int minor = 0;
  char tail = 0;
  if (std::sscanf(version.c_str(), "2.%d%c", &minor, &tail) == 1 &&
      alloc::GlibcProfile::from_history(minor, &unused)) {
    return true;
  }
  std::string real = "the host's 2.36";
  for (const std::string& r : packaged) real += ", " + r;
  *error = "unknown glibc version '" + version +
           "' (twins: " + alloc::GlibcProfile::known_versions() + "; real glibc: " + real + ")";
  return false;
}

std::optional<Program> load_program(const std::string& path, std::string* error) {
  auto text = read_file(path, error);
  if (!text) return std::nullopt;
  return parse_heap(*text, path, error);
}

std::optional<Program> load_program_or_report(const std::string& path) {
  std::string error;
  auto program = load_program(path, &error);
  if (!program) std::fprintf(stderr, "%s\n", error.c_str());
  return program;
}

bool load_programs(const std::vector<std::string>& paths, std::vector<Program>* out) {
  for (const auto& path : paths) {
    auto p = load_program_or_report(path);
    if (!p) return false;
    out->push_back(std::move(*p));
  }
  return true;
}

}  // namespace heaptwin::cli
