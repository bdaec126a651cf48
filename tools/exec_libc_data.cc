#include "tools/exec_libc_data.h"

#include <cstdio>

#include "allocator/allocator.h"
#include "allocator/layout.h"
#include "oracle/glibc/libc_symbols.h"

namespace heaptwin {

alloc::GlibcProfile drop_in_profile(const std::string& version) {
  alloc::GlibcProfile profile = alloc::GlibcProfile::glibc_2_36();
  if (!version.empty()) alloc::GlibcProfile::for_version(version.c_str(), &profile);
  return profile;
}

std::string libc_data_value(const std::string& libc_path,
                            const std::vector<std::string>& debug_roots,
                            const alloc::GlibcProfile& release, std::string* why,
                            std::string* kept) {
  kept->clear();
  const std::string id = elf_build_id(libc_path);
  if (id.empty()) {
    *why = libc_path + " has no build id";
    return "";
  }
  auto syms = find_libc_symbols(libc_path, debug_roots, why);
  if (!syms) return "";
  using alloc::LibcData;
  struct Object {
    const char* name;
    uint64_t offset, size, twin_size;
  };
  const alloc::ReleaseLayout extents = alloc::release_layout(release);
  const uint64_t arena_bytes = extents.main_arena_bytes;
  const Object objects[] = {
      {"main_arena", syms->main_arena, syms->main_arena_size, arena_bytes},
      {"mp_", syms->mp, syms->mp_size, extents.mp_bytes},
      {"tcache_key", syms->tcache_key, syms->tcache_key_size, sizeof(LibcData::tcache_key)},
      {"__malloc_initialized", syms->malloc_initialized, syms->malloc_initialized_size,
       sizeof(LibcData::malloc_initialized)},
      {"perturb_byte", syms->perturb_byte, syms->perturb_byte_size, sizeof(LibcData::perturb_byte)},
      {"global_max_fast", syms->global_max_fast, syms->global_max_fast_size,
       extents.max_fast_bytes},
  };
  std::string value = id;
  bool any = false;
  for (const Object& o : objects) {
    if (o.offset != 0 && o.size == o.twin_size) {
      char field[64];
      std::snprintf(field, sizeof field, ",%s=0x%llx", o.name,
                    static_cast<unsigned long long>(o.offset));
      value += field;
      any = true;
    } else {
      *kept += (kept->empty() ? "" : ", ") + std::string(o.name);
    }
  }
  // libc's thread_arena, found beside errno in libc's TLS block (libc_placement.h), where the
  // twin's main_arena is libc's.
  if (syms->main_arena != 0 && syms->main_arena_size == arena_bytes && syms->errno_tls > 0 &&
      syms->thread_arena_tls > 0) {
    char field[96];
    std::snprintf(field, sizeof field, ",errno_tls=0x%llx,thread_arena_tls=0x%llx",
                  static_cast<unsigned long long>(syms->errno_tls),
                  static_cast<unsigned long long>(syms->thread_arena_tls));
    value += field;
  }
  if (!any) {
    *why = "no malloc object of " + libc_path + " has the twin's size";
    return "";
  }
  return value;
}

}  // namespace heaptwin
