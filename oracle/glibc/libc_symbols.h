// Where malloc's private objects live in a libc.so.6: main_arena, mp_, global_max_fast and the
// TLS `tcache` are local symbols, present only in the libc6-dbg file named by libc's build id
// (/usr/lib/debug/.build-id/xx/rest.debug). We read the ELF ourselves: no libelf, no gdb.
#ifndef HEAPTWIN_ORACLE_GLIBC_LIBC_SYMBOLS_H_
#define HEAPTWIN_ORACLE_GLIBC_LIBC_SYMBOLS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace heaptwin {

// Offsets from libc's load base (data symbols) or inside libc's TLS block (TLS symbols).
struct LibcSymbols {
  uint64_t main_arena = 0;
  uint64_t mp = 0;
  uint64_t global_max_fast = 0;
  uint64_t tcache_key = 0;    // 0: none (before 2.34 the key is the tcache pointer)
  uint64_t abort_msg = 0;     // __abort_msg (the message page of glibc's fatal errors), 0: unknown
  uint64_t perturb_byte = 0;  // 0: unknown
  uint64_t malloc_initialized = 0;  // __malloc_initialized, 0: unknown
  uint64_t tcache_dummy = 0;  // 2.42+'s __tcache_dummy (the tcache before it is allocated), 0: none
  // Each object's size (st_size), 0 where unknown: the drop-in places the twin's copy of an
  // object at the symbol only where the twin's layout is as large (allocator/libc_objects.h).
  uint64_t main_arena_size = 0, mp_size = 0, global_max_fast_size = 0, tcache_key_size = 0,
           perturb_byte_size = 0, malloc_initialized_size = 0;
  int64_t tcache_tls = 0;        // 0: unknown
  int64_t thread_arena_tls = 0;  // 0: unknown
  int64_t errno_tls = 0;
  std::string debug_file;  // where they came from
};

// The GNU build id of an ELF file, as hex; empty when it has none or cannot be read.
std::string elf_build_id(const std::string& path);

// Looks up the symbols in the debug file for `libc_path` under each of `debug_roots` (each a
// folder holding .build-id/), else in libc_path's own .symtab (a libc that was not stripped).
// nullopt with *error saying what was missing.
std::optional<LibcSymbols> find_libc_symbols(const std::string& libc_path,
                                             const std::vector<std::string>& debug_roots,
                                             std::string* error);

// The load base and path of the libc mapped into process `pid` (/proc/pid/maps).
bool find_libc_mapping(int pid, uint64_t* base, std::string* path);

// libc's writable data in process `pid`: its rw mapping and the anonymous .bss tail after it.
bool find_libc_data(int pid, uint64_t* start, uint64_t* end);

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_GLIBC_LIBC_SYMBOLS_H_
