#include "allocator/preload/environment.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include "allocator/tunables.h"

extern char** environ;

namespace heaptwin::preload {

namespace {

// Big enough for any sane environment; a longer one is read up to here.
constexpr size_t kEnvBytes = 256 * 1024;
char g_env[kEnvBytes];

bool starts_with(const char* s, const char* prefix, const char** rest) {
  size_t n = std::strlen(prefix);
  if (std::strncmp(s, prefix, n) != 0) return false;
  *rest = s + n;
  return true;
}

int64_t parse_int(const char* s) {
  int64_t v = 0;
  bool neg = *s == '-';
  if (neg) ++s;
  while (*s >= '0' && *s <= '9') v = v * 10 + (*s++ - '0');
  return neg ? -v : v;
}

// A MALLOC_*_ alias sets its tunable only while nothing has: glibc's __tunables_init skips a
// tunable already initialised (elf/dl-tunables.c:311), so GLIBC_TUNABLES wins wherever it
// stands in the environment, and of two aliases the first wins (a value out of bounds
// initialises nothing).
void apply_alias(alloc::GlibcTunables* t, alloc::Tunable* tunable, const char* name,
                 const char* value) {
  if (tunable->set) return;
  alloc::set_tunable(t, name, std::strlen(name), value, value + std::strlen(value));
}

void apply(PreloadSettings* out, const char* entry) {
  const char* v;
  alloc::GlibcTunables* t = &out->tunables;
  if (starts_with(entry, "GLIBC_TUNABLES=", &v))
    alloc::parse_glibc_tunables(t, v);
  else if (starts_with(entry, "MALLOC_TOP_PAD_=", &v))
    apply_alias(t, &t->top_pad, "top_pad", v);
  else if (starts_with(entry, "MALLOC_PERTURB_=", &v))
    apply_alias(t, &t->perturb, "perturb", v);
  else if (starts_with(entry, "MALLOC_MMAP_THRESHOLD_=", &v))
    apply_alias(t, &t->mmap_threshold, "mmap_threshold", v);
  else if (starts_with(entry, "MALLOC_TRIM_THRESHOLD_=", &v))
    apply_alias(t, &t->trim_threshold, "trim_threshold", v);
  else if (starts_with(entry, "MALLOC_MMAP_MAX_=", &v))
    apply_alias(t, &t->mmap_max, "mmap_max", v);
  else if (starts_with(entry, "MALLOC_ARENA_MAX=", &v))
    apply_alias(t, &t->arena_max, "arena_max", v);
  else if (starts_with(entry, "MALLOC_ARENA_TEST=", &v))
    apply_alias(t, &t->arena_test, "arena_test", v);
  else if (starts_with(entry, "HEAPTWIN_TRACE_FD=", &v))
    out->trace_fd = static_cast<int>(parse_int(v));
  else if (starts_with(entry, "HEAPTWIN_CHECK_FD=", &v))
    out->check_fd = static_cast<int>(parse_int(v));
  else if (starts_with(entry, "HEAPTWIN_CHECK_REPLY_FD=", &v))
    out->check_reply_fd = static_cast<int>(parse_int(v));
  else if (starts_with(entry, "HEAPTWIN_PID=", &v))
    out->owner_pid = parse_int(v);
  else if (starts_with(entry, "HEAPTWIN_GLIBC=", &v)) {
    size_t n = 0;
    while (v[n] != '\0' && n + 1 < sizeof out->glibc) out->glibc[n] = v[n], ++n;
    out->glibc[n] = '\0';
  } else if (starts_with(entry, "HEAPTWIN_LIBC_DATA=", &v) &&
             *v != '\0') {  // "": the library's own
    out->libc_data_malformed = !parse_libc_data(v, &out->libc_data);
  } else if (starts_with(entry, "HEAPTWIN_TRACE_MAX_OPS=", &v) && parse_int(v) >= 0) {
    out->trace_max_ops = static_cast<uint64_t>(parse_int(v));
  } else if (starts_with(entry, "HEAPTWIN_CHECK_EVERY=", &v) && parse_int(v) > 0) {
    out->check_every = static_cast<uint64_t>(parse_int(v));
  } else if (starts_with(entry, "HEAPTWIN_FULL_CHECK_EVERY=", &v) && parse_int(v) >= 0) {
    out->full_check_every = static_cast<uint64_t>(parse_int(v));
  }
}

}  // namespace

void read_settings(PreloadSettings* out) {
  // `environ` first: its GLIBC_TUNABLES entry is ld.so's pristine copy. The original string on
  // the stack (what /proc/self/environ shows) has a NUL written after each tunable's value by
  // 2.36's parse_tunables, so there "a=1:b=2" reads as "a=1".
  if (environ != nullptr) {
    for (char** e = environ; *e; ++e) apply(out, *e);
    return;
  }
  int fd = open("/proc/self/environ", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  size_t used = 0;
  ssize_t n;
  while (used < kEnvBytes - 1 && (n = read(fd, g_env + used, kEnvBytes - 1 - used)) > 0) {
    used += static_cast<size_t>(n);
  }
  close(fd);
  g_env[used] = '\0';
  for (size_t i = 0; i < used;) {
    apply(out, g_env + i);
    i += std::strlen(g_env + i) + 1;
  }
}

}  // namespace heaptwin::preload
