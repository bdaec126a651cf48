#include "allocator/preload/libc_placement.h"

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace heaptwin::preload {

namespace {

bool parse_hex(const char* s, const char* end, uint64_t* out) {
  if (end - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s += 2;
  if (s == end || end - s > 16) return false;
  uint64_t v = 0;
  for (; s < end; ++s) {
    const char c = *s;
    const int d = c >= '0' && c <= '9'   ? c - '0'
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                         : -1;
    if (d < 0) return false;
    v = v << 4 | static_cast<uint64_t>(d);
  }
  *out = v;
  return true;
}

bool named(const char* s, const char* eq, const char* name) {
  const size_t n = std::strlen(name);
  return static_cast<size_t>(eq - s) == n && std::strncmp(s, name, n) == 0;
}

uint64_t* field(LibcDataRequest* r, const char* s, const char* eq) {
  if (named(s, eq, "main_arena")) return &r->main_arena;
  if (named(s, eq, "mp_")) return &r->mp;
  if (named(s, eq, "tcache_key")) return &r->tcache_key;
  if (named(s, eq, "__malloc_initialized")) return &r->malloc_initialized;
  if (named(s, eq, "perturb_byte")) return &r->perturb_byte;
  if (named(s, eq, "global_max_fast")) return &r->global_max_fast;
  if (named(s, eq, "errno_tls")) return &r->errno_tls;
  if (named(s, eq, "thread_arena_tls")) return &r->thread_arena_tls;
  return nullptr;
}

// The GNU build id of the ELF object mapped at `base`, as hex into out[41]; false without one.
bool build_id_at(uint64_t base, char out[41]) {
  const auto* eh = reinterpret_cast<const Elf64_Ehdr*>(base);
  if (std::memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0) return false;
  const auto* ph = reinterpret_cast<const Elf64_Phdr*>(base + eh->e_phoff);
  for (int i = 0; i < eh->e_phnum; ++i) {
    if (ph[i].p_type != PT_NOTE) continue;
    uint64_t at = base + ph[i].p_vaddr;  // libc is a shared object: vaddrs are offsets
    const uint64_t end = at + ph[i].p_memsz;
    while (at + sizeof(Elf64_Nhdr) <= end) {
      const auto* n = reinterpret_cast<const Elf64_Nhdr*>(at);
      const uint64_t name_at = at + sizeof *n;
      const uint64_t desc_at = name_at + ((n->n_namesz + 3) & ~3u);
      if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
          std::memcmp(reinterpret_cast<const void*>(name_at), "GNU", 4) == 0 && n->n_descsz <= 20) {
        const auto* id = reinterpret_cast<const unsigned char*>(desc_at);
        for (uint32_t k = 0; k < n->n_descsz; ++k) {
          out[2 * k] = "0123456789abcdef"[id[k] >> 4];
          out[2 * k + 1] = "0123456789abcdef"[id[k] & 15];
        }
        out[2 * n->n_descsz] = '\0';
        return true;
      }
      at = desc_at + ((n->n_descsz + 3) & ~3u);
    }
  }
  return false;
}

// Whether a mapped file's name is a libc: libc.so.6, or libc-2.NN.so before 2.34.
bool is_libc_name(const char* path, const char* end) {
  const char* base = path;
  for (const char* p = path; p < end; ++p) {
    if (*p == '/') base = p + 1;
  }
  const size_t n = static_cast<size_t>(end - base);
  return (n >= 9 && std::strncmp(base, "libc.so.6", 9) == 0) ||
         (n >= 7 && std::strncmp(base, "libc-2.", 7) == 0);
}

// The load base of the libc whose build id is `want` (each mapping at file offset 0 of a file
// named like a libc), from /proc/self/maps; 0 when none is.
uint64_t find_loaded_libc(const char* want) {
  static char buf[1 << 16];
  const int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  uint64_t found = 0;
  size_t have = 0;
  for (;;) {
    const ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
    if (n <= 0 && have == 0) break;
    if (n > 0) have += static_cast<size_t>(n);
    buf[have] = '\0';
    char* line = buf;
    char* nl;
    while ((nl = std::strchr(line, '\n')) != nullptr || (n <= 0 && *line != '\0')) {
      char* end = nl != nullptr ? nl : line + std::strlen(line);
      // start-end perms offset dev inode path
      uint64_t start = 0, offset = 0;
      const char* dash = std::strchr(line, '-');
      const char* f[5] = {};
      int k = 0;
      for (char* p = line; p < end && k < 5; ++p) {
        if (*p == ' ' && p + 1 < end && p[1] != ' ') f[k++] = p + 1;
      }
      if (dash != nullptr && k == 5 && parse_hex(line, dash, &start) &&
          parse_hex(f[1], std::strchr(f[1], ' '), &offset) && offset == 0 && *f[4] == '/' &&
          is_libc_name(f[4], end)) {
        char id[41];
        if (build_id_at(start, id) && std::strcmp(id, want) == 0) found = start;
      }
      if (found != 0 || nl == nullptr) break;
      line = nl + 1;
    }
    if (found != 0 || n <= 0) break;
    // Keep the unfinished last line for the next read.
    have = std::strlen(line);
    std::memmove(buf, line, have);
  }
  close(fd);
  return found;
}

// Sets libc's thread_arena of this thread to `arena`, as glibc 2.36's ptmalloc_init does
// (`thread_arena = &main_arena`). Both TLS symbols lie in libc's one static TLS block, so their
// distance is that of their symbol values.
const char* attach_thread(const LibcDataRequest& r, alloc::MallocState* arena) {
  const uint64_t errno_at = reinterpret_cast<uint64_t>(__errno_location());
  auto* thread_arena =
      reinterpret_cast<alloc::MallocState**>(errno_at - r.errno_tls + r.thread_arena_tls);
  // libc's malloc never ran in this process, so its thread_arena is still NULL, or from 2.42
  // &main_arena: __libc_early_init runs ptmalloc_init at start-up ("malloc: Improve malloc
  // initialization", 25d37948c9). Anything else means the offsets are not this libc's.
  if (*thread_arena != nullptr && *thread_arena != arena) {
    return "libc's thread_arena is already set (wrong TLS offsets?)";
  }
  *thread_arena = arena;
  return nullptr;
}

}  // namespace

bool parse_libc_data(const char* value, LibcDataRequest* out) {
  LibcDataRequest r;
  const char* comma = std::strchr(value, ',');
  const char* id_end = comma != nullptr ? comma : value + std::strlen(value);
  const size_t id_len = static_cast<size_t>(id_end - value);
  if (id_len == 0 || id_len > 40) return false;
  for (size_t i = 0; i < id_len; ++i) {
    const char c = value[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    r.build_id[i] = c;
  }
  r.build_id[id_len] = '\0';
  const char* s = comma;
  while (s != nullptr && *s == ',') {
    ++s;
    const char* next = std::strchr(s, ',');
    const char* end = next != nullptr ? next : s + std::strlen(s);
    const char* eq = static_cast<const char*>(std::memchr(s, '=', static_cast<size_t>(end - s)));
    if (eq == nullptr) return false;
    uint64_t* f = field(&r, s, eq);
    if (f == nullptr || !parse_hex(eq + 1, end, f)) return false;
    s = next;
  }
  *out = r;
  return true;
}

const char* place_in_loaded_libc(const LibcDataRequest& r, uint64_t arena_name_offset,
                                 alloc::LibcObjects* o) {
  if (r.build_id[0] == '\0') return nullptr;
  const uint64_t base = find_loaded_libc(r.build_id);
  if (base == 0) return "HEAPTWIN_LIBC_DATA names a libc (build id) this process did not load";
  const auto at = [base](uint64_t offset) { return base + offset; };
  if (r.main_arena) {
    o->main_arena = reinterpret_cast<alloc::MallocState*>(at(r.main_arena) - arena_name_offset);
  }
  if (r.mp) o->mp = reinterpret_cast<unsigned char*>(at(r.mp));
  if (r.tcache_key) o->tcache_key = reinterpret_cast<uint64_t*>(at(r.tcache_key));
  if (r.malloc_initialized)
    o->malloc_initialized = reinterpret_cast<uint8_t*>(at(r.malloc_initialized));
  if (r.perturb_byte) o->perturb_byte = reinterpret_cast<int32_t*>(at(r.perturb_byte));
  if (r.global_max_fast) o->global_max_fast = reinterpret_cast<uint64_t*>(at(r.global_max_fast));
  if (r.main_arena && r.errno_tls && r.thread_arena_tls) {
    return attach_thread(r, reinterpret_cast<alloc::MallocState*>(at(r.main_arena)));
  }
  return nullptr;
}

}  // namespace heaptwin::preload
