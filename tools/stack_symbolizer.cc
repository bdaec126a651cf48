#include "tools/stack_symbolizer.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "program/hex.h"

namespace heaptwin::cli {

namespace {

constexpr const char* kLibraryName = "libheaptwin_preload.so";

// The ELF virtual address of file offset `offset` in `path` (the PT_LOAD that holds it); the
// offset itself when the file cannot be read.
uint64_t file_offset_to_address(const std::string& path, uint64_t offset) {
  std::ifstream in(path, std::ios::binary);
  Elf64_Ehdr eh;
  if (!in.read(reinterpret_cast<char*>(&eh), sizeof eh) ||
      std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64) {
    return offset;
  }
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    in.seekg(static_cast<std::streamoff>(eh.e_phoff + uint64_t{i} * eh.e_phentsize));
    if (!in.read(reinterpret_cast<char*>(&ph), sizeof ph)) break;
    if (ph.p_type == PT_LOAD && offset >= ph.p_offset && offset < ph.p_offset + ph.p_filesz) {
      return offset - ph.p_offset + ph.p_vaddr;
    }
  }
  return offset;
}

// addr2line's stdout for `addresses` in `module`: per address, the address, then a pair of lines
// (function, file:line) per inlined call.
std::vector<std::string> run_addr2line(const std::string& module,
                                       const std::vector<uint64_t>& addresses) {
  std::vector<std::string> argv = {"addr2line", "-a", "-f", "-i", "-C", "-e", module};
  for (uint64_t a : addresses) argv.push_back(hex(a));
  int out[2];
  if (pipe(out) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    close(out[1]);
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) dup2(devnull, 2);
    std::vector<char*> args;
    for (std::string& s : argv) args.push_back(s.data());
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(out[1]);
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = read(out[0], buf, sizeof buf)) > 0;)
    text.append(buf, static_cast<size_t>(n));
  close(out[0]);
  int status = 0;
  if (pid > 0) waitpid(pid, &status, 0);
  std::vector<std::string> lines;
  std::istringstream s(text);
  for (std::string line; std::getline(s, line);) lines.push_back(line);
  return lines;
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

std::string format_frame(size_t index, const StackFrame& f) {
  std::string out = "#" + std::to_string(index) + " " + hex(f.pc) + " in ";
  out += f.function.empty() ? "??" : f.function;
  if (!f.file.empty() && f.line != 0) return out + " " + f.file + ":" + std::to_string(f.line);
  return out + " (" + f.module + "+" + hex(f.module_address) + ")";
}

StackSymbolizer::StackSymbolizer(pid_t pid) {
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  for (std::string line; std::getline(maps, line);) {
    Mapping m;
    char perms[8] = {};
    unsigned long long lo = 0, hi = 0, offset = 0;
    int path_at = 0;
    if (std::sscanf(line.c_str(), "%llx-%llx %7s %llx %*s %*s %n", &lo, &hi, perms, &offset,
                    &path_at) < 4)
      continue;
    if (perms[2] != 'x' || path_at <= 0 || static_cast<size_t>(path_at) >= line.size()) continue;
    m.path = line.substr(static_cast<size_t>(path_at));
    if (m.path.empty() || m.path[0] != '/') continue;  // [vdso] and anonymous code
    m.lo = lo;
    m.hi = hi;
    m.offset = offset;
    mappings_.push_back(m);
  }
}

const StackSymbolizer::Mapping* StackSymbolizer::mapping_of(uint64_t pc) const {
  for (const Mapping& m : mappings_) {
    if (pc >= m.lo && pc < m.hi) return &m;
  }
  return nullptr;
}

std::vector<StackFrame> StackSymbolizer::symbolize(const uint64_t* pcs, size_t n) const {
  std::vector<StackFrame> frames;
  for (size_t i = 0; i < n; ++i) {
    const Mapping* m = mapping_of(pcs[i]);
    if (m == nullptr) break;
    if (frames.empty() && ends_with(m->path, kLibraryName)) continue;  // the library's own frames
    StackFrame f;
    f.pc = pcs[i];
    f.module = m->path;
    f.module_address = file_offset_to_address(m->path, pcs[i] - m->lo + m->offset);
    frames.push_back(f);
  }
  // One addr2line per module; each address less one, inside the call instruction (a return
  // address can be the first of the next line). -a starts each address's group; -i gives a
  // group one pair (function, file:line) per inlined call, innermost first.
  std::vector<std::vector<StackFrame>> named(frames.size());
  std::map<std::string, std::vector<size_t>> by_module;
  for (size_t i = 0; i < frames.size(); ++i) by_module[frames[i].module].push_back(i);
  for (const auto& [module, indices] : by_module) {
    std::vector<uint64_t> addresses;
    for (size_t i : indices) addresses.push_back(frames[i].module_address - 1);
    const std::vector<std::string> lines = run_addr2line(module, addresses);
    size_t groups = 0;  // address lines seen; the pairs after one belong to group groups - 1
    for (size_t l = 0; l < lines.size(); ++l) {
      if (lines[l].rfind("0x", 0) == 0) {
        ++groups;
        continue;
      }
      const size_t group = groups - 1;
      if (groups == 0) continue;
      if (group >= indices.size() || l + 1 >= lines.size()) break;
      StackFrame f = frames[indices[group]];
      if (lines[l] != "??") f.function = lines[l];
      const std::string& where = lines[++l];
      const size_t colon = where.rfind(':');
      if (colon != std::string::npos && where.compare(0, 2, "??") != 0) {
        f.file = where.substr(0, colon);
        f.line = static_cast<unsigned>(std::strtoul(where.c_str() + colon + 1, nullptr, 10));
      }
      named[indices[group]].push_back(f);
    }
  }
  std::vector<StackFrame> out;
  for (size_t i = 0; i < frames.size(); ++i) {
    if (named[i].empty()) out.push_back(frames[i]);
    for (const StackFrame& f : named[i]) out.push_back(f);
  }
  return out;
}

}  // namespace heaptwin::cli
