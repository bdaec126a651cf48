#include "tools/cli_util.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace heaptwin::cli {

bool wants_help(const Args& args) {
  for (const auto& a : args) {
    if (a == "-h" || a == "--help") return true;
    if (a == "--") break;
  }
  return false;
}

bool printed_help(const Args& args, const char* help) {
  if (!wants_help(args)) return false;
  std::fputs(help, stdout);
  return true;
}

bool printed_help(const Args& args, void (*print_help)()) {
  if (!wants_help(args)) return false;
  print_help();
  return true;
}

bool take_operand(const std::string& arg, const char* what, std::string* operand,
                  std::string* error) {
  if (!arg.empty() && arg[0] == '-') {
    *error = "unknown option " + arg;
  } else if (operand->empty()) {
    *operand = arg;
    return true;
  } else {
    *error = std::string("one ") + what + " at a time (got " + *operand + " and " + arg + ")";
  }
  return false;
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at <= s.size()) {
    size_t comma = s.find(',', at);
    if (comma == std::string::npos) comma = s.size();
    out.push_back(s.substr(at, comma - at));
    at = comma + 1;
  }
  return out;
}

std::vector<std::string> comma_list(const std::string& s) {
  std::vector<std::string> out;
  for (std::string& item : split_commas(s)) {
    if (!item.empty()) out.push_back(std::move(item));
  }
  return out;
}

int usage_error(const std::string& command, const std::string& message) {
  std::fprintf(stderr, "heaptwin %s: %s\n(see 'heaptwin %s --help')\n", command.c_str(),
               message.c_str(), command.c_str());
  return kExitUsage;
}

std::string file_error(const std::string& path, int err) {
  std::string reason = std::strerror(err);
  if (!reason.empty() && reason[0] >= 'A' && reason[0] <= 'Z')
    reason[0] = static_cast<char>(reason[0] - 'A' + 'a');
  return path + ": " + reason;
}

// One read of the size fstat gives (a recorded trace is hundreds of megabytes: no second copy
// through a stringstream), then on to end of file for files whose size says nothing (pipes,
// /proc). A directory opens fine and reads as nothing: it is refused by name.
std::optional<std::string> read_file(const std::string& path, std::string* error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = file_error(path, errno);
    return std::nullopt;
  }
  struct stat st {};
  const int stat_error = ::fstat(fd, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;
  if (stat_error != 0) {
    ::close(fd);
    *error = file_error(path, stat_error);
    return std::nullopt;
  }
  std::string data;
  if (S_ISREG(st.st_mode) && st.st_size > 0) data.resize(static_cast<size_t>(st.st_size));
  size_t used = 0;
  char more[1 << 16];  // past the size fstat gave (a file still growing, a pipe)
  for (;;) {
    const bool into_data = used < data.size();
    ssize_t n =
        into_data ? ::read(fd, &data[used], data.size() - used) : ::read(fd, more, sizeof more);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = file_error(path, errno);  // before close() can change errno
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    if (!into_data) data.append(more, static_cast<size_t>(n));
    used += static_cast<size_t>(n);
  }
  ::close(fd);
  data.resize(used);
  return data;
}

bool write_file_atomic(const std::string& path, const std::string& data, std::string* error) {
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    *error = tmp + ": cannot create: " + std::strerror(errno);
    return false;
  }
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      *error = tmp + ": write failed: " + std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return false;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    *error = tmp + ": cannot flush: " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return false;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    *error = path + ": cannot rename into place: " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return false;
  }
  return true;
}

}  // namespace heaptwin::cli
