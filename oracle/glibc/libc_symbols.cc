#include "oracle/glibc/libc_symbols.h"

#include <elf.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace heaptwin {

namespace {

bool slurp(const std::string& path, std::string* data) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buf;
  buf << in.rdbuf();
  *data = buf.str();
  return true;
}

template <typename T>
bool at(const std::string& data, uint64_t offset, T* out) {
  if (offset > data.size() || data.size() - offset < sizeof(T)) return false;
  std::memcpy(out, data.data() + offset, sizeof(T));
  return true;
}

}  // namespace

std::string elf_build_id(const std::string& path) {
  std::string data;
  if (!slurp(path, &data)) return "";
  Elf64_Ehdr eh;
  if (!at(data, 0, &eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) return "";
  for (int i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    if (!at(data, eh.e_phoff + static_cast<uint64_t>(i) * eh.e_phentsize, &ph)) return "";
    if (ph.p_type != PT_NOTE) continue;
    uint64_t p = ph.p_offset, end = ph.p_offset + ph.p_filesz;
    while (p + sizeof(Elf64_Nhdr) <= end) {
      Elf64_Nhdr nh;
      if (!at(data, p, &nh)) break;
      uint64_t name = p + sizeof nh;
      uint64_t desc = name + ((nh.n_namesz + 3) & ~3u);
      if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && desc + nh.n_descsz <= data.size() &&
          std::memcmp(data.data() + name, "GNU", 4) == 0) {
        std::string hex;
        char buf[3];
        for (uint32_t k = 0; k < nh.n_descsz; ++k) {
          std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned char>(data[desc + k]));
          hex += buf;
        }
        return hex;
      }
      p = desc + ((nh.n_descsz + 3) & ~3u);
    }
  }
  return "";
}

std::optional<LibcSymbols> find_libc_symbols(const std::string& libc_path,
                                             const std::vector<std::string>& debug_roots,
                                             std::string* error) {
  std::string id = elf_build_id(libc_path);
  if (id.size() < 3) {
    *error = libc_path + ": no GNU build id";
    return std::nullopt;
  }
  std::string data, file;
  for (const auto& root : debug_roots) {
    std::string candidate = root + "/.build-id/" + id.substr(0, 2) + "/" + id.substr(2) + ".debug";
    if (slurp(candidate, &data)) {
      file = candidate;
      break;
    }
  }
  // A libc built here and not stripped carries its own .symtab.
  if (file.empty() && slurp(libc_path, &data) && data.find("main_arena") != std::string::npos) {
    file = libc_path;
  }
  if (file.empty()) {
    *error = "no debug symbols for " + libc_path + " (build id " + id +
             "; install libc6-dbg for this libc)";
    return std::nullopt;
  }
  Elf64_Ehdr eh;
  if (!at(data, 0, &eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) {
    *error = file + ": not an ELF file";
    return std::nullopt;
  }
  LibcSymbols syms;
  syms.debug_file = file;
  bool have_errno = false, have_tcache = false;
  for (int i = 0; i < eh.e_shnum; ++i) {
    Elf64_Shdr sh;
    if (!at(data, eh.e_shoff + static_cast<uint64_t>(i) * eh.e_shentsize, &sh)) break;
    if (sh.sh_type != SHT_SYMTAB) continue;
    Elf64_Shdr strtab;
    if (!at(data, eh.e_shoff + static_cast<uint64_t>(sh.sh_link) * eh.e_shentsize, &strtab)) break;
    for (uint64_t off = sh.sh_offset; off + sizeof(Elf64_Sym) <= sh.sh_offset + sh.sh_size;
         off += sizeof(Elf64_Sym)) {
      Elf64_Sym sym;
      if (!at(data, off, &sym)) break;
      uint64_t name_at = strtab.sh_offset + sym.st_name;
      if (name_at >= data.size()) continue;
      const char* name = data.c_str() + name_at;
      int type = ELF64_ST_TYPE(sym.st_info);
      if (type == STT_OBJECT) {
        const auto take = [&sym](uint64_t* at, uint64_t* size) {
          *at = sym.st_value;
          *size = sym.st_size;
        };
        if (!std::strcmp(name, "main_arena"))
          take(&syms.main_arena, &syms.main_arena_size);
        else if (!std::strcmp(name, "mp_"))
          take(&syms.mp, &syms.mp_size);
        else if (!std::strcmp(name, "global_max_fast"))
          take(&syms.global_max_fast, &syms.global_max_fast_size);
        else if (!std::strcmp(name, "tcache_key"))
          take(&syms.tcache_key, &syms.tcache_key_size);
        else if (!std::strcmp(name, "__tcache_dummy"))
          syms.tcache_dummy = sym.st_value;
        else if (!std::strcmp(name, "perturb_byte"))
          take(&syms.perturb_byte, &syms.perturb_byte_size);
        else if (!std::strcmp(name, "__malloc_initialized")) {
          take(&syms.malloc_initialized, &syms.malloc_initialized_size);
        } else if (!std::strcmp(name, "__abort_msg"))
          syms.abort_msg = sym.st_value;
      } else if (type == STT_TLS) {
        if (!std::strcmp(name, "thread_arena"))
          syms.thread_arena_tls = static_cast<int64_t>(sym.st_value);
        if (!std::strcmp(name, "tcache")) {
          syms.tcache_tls = static_cast<int64_t>(sym.st_value);
          have_tcache = true;
        } else if (!std::strcmp(name, "errno") || !std::strcmp(name, "__libc_errno")) {
          syms.errno_tls = static_cast<int64_t>(sym.st_value);
          have_errno = true;
        }
      }
    }
  }
  // 2.43 "malloc: Remove fastbin infrastructure" took global_max_fast away: there it stays 0
  // (the layout says the walk never reads it), wherever the tcache TLS pointer says 2.43+.
  if (syms.global_max_fast == 0 && syms.tcache_dummy != 0) syms.global_max_fast = syms.mp;
  if (syms.main_arena == 0 || syms.mp == 0 || syms.global_max_fast == 0) {
    *error = file + ": main_arena, mp_ or global_max_fast missing from .symtab";
    return std::nullopt;
  }
  if (!have_errno || !have_tcache) syms.tcache_tls = syms.errno_tls = 0;
  return syms;
}

bool find_libc_mapping(int pid, uint64_t* base, std::string* path) {
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  std::string line;
  while (std::getline(maps, line)) {
    unsigned long long start = 0, end = 0, offset = 0;
    char perms[8] = {};
    int name_at = 0;
    if (std::sscanf(line.c_str(), "%llx-%llx %7s %llx %*s %*s %n", &start, &end, perms, &offset,
                    &name_at) < 4 ||
        name_at == 0) {
      continue;
    }
    std::string name = line.substr(static_cast<size_t>(name_at));
    size_t slash = name.rfind('/');
    std::string base_name = slash == std::string::npos ? name : name.substr(slash + 1);
    bool is_libc = base_name.rfind("libc.so", 0) == 0 || base_name.rfind("libc-2.", 0) == 0;
    if (is_libc && offset == 0) {
      *base = start;
      *path = name;
      return true;
    }
  }
  return false;
}

bool find_libc_data(int pid, uint64_t* start, uint64_t* end) {
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  std::string line;
  bool in_libc = false;
  *start = *end = 0;
  while (std::getline(maps, line)) {
    unsigned long long s = 0, e = 0, offset = 0;
    char perms[8] = {};
    int name_at = 0;
    if (std::sscanf(line.c_str(), "%llx-%llx %7s %llx %*s %*s %n", &s, &e, perms, &offset,
                    &name_at) < 4) {
      continue;
    }
    std::string name = name_at > 0 && static_cast<size_t>(name_at) <= line.size()
                           ? line.substr(static_cast<size_t>(name_at))
                           : "";
    size_t slash = name.rfind('/');
    std::string base_name = slash == std::string::npos ? name : name.substr(slash + 1);
    bool is_libc = base_name.rfind("libc.so", 0) == 0 || base_name.rfind("libc-2.", 0) == 0;
    bool rw = perms[0] == 'r' && perms[1] == 'w';
    if (*start == 0 && is_libc && rw) {
      *start = s;
      *end = e;
      in_libc = true;
    } else if (in_libc && rw && name.empty() && s == *end) {
      *end = e;  // .bss beyond the file
      return true;
    } else if (in_libc) {
      return true;
    }
  }
  return *start != 0;
}

}  // namespace heaptwin
