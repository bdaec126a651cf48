#include "allocator/tunables.h"

#include <cstring>

namespace heaptwin::alloc {

namespace {

bool starts_with(const char* s, const char* prefix, const char** rest) {
  size_t n = std::strlen(prefix);
  if (std::strncmp(s, prefix, n) != 0) return false;
  *rest = s + n;
  return true;
}

}  // namespace

bool parse_tunable_number(const char* s, const char* end, uint64_t* out) {
  uint64_t base = 10, v = 0;
  if (s == end) return false;
  if (s[0] == '0') {
    if (s + 1 < end && (s[1] == 'x' || s[1] == 'X')) {
      base = 16;
      s += 2;
    } else {
      base = 8;
    }
  }
  bool any = false;
  for (; s < end; ++s) {
    uint64_t d;
    if (*s >= '0' && *s <= '9')
      d = static_cast<uint64_t>(*s - '0');
    else if (base == 16 && *s >= 'a' && *s <= 'f')
      d = static_cast<uint64_t>(*s - 'a' + 10);
    else if (base == 16 && *s >= 'A' && *s <= 'F')
      d = static_cast<uint64_t>(*s - 'A' + 10);
    else
      break;
    if (d >= base) break;
    v = v * base + d;
    any = true;
  }
  *out = v;
  return any || base == 8;
}

bool set_tunable(GlibcTunables* t, const char* name, size_t name_len, const char* value,
                 const char* value_end) {
  uint64_t v;
  if (!parse_tunable_number(value, value_end, &v)) return false;
  auto is = [&](const char* n) {
    return std::strlen(n) == name_len && !std::strncmp(n, name, name_len);
  };
  bool known = true, within = false;
  auto set = [&](Tunable* x, uint64_t lo, uint64_t hi) {
    within = v >= lo && v <= hi;
    if (within) {
      x->set = true;
      x->value = v;
    }
  };
  const uint64_t kMax = ~uint64_t{0};
  if (is("top_pad"))
    set(&t->top_pad, 0, kMax);
  else if (is("perturb"))
    set(&t->perturb, 0, 0xff);
  else if (is("mmap_threshold"))
    set(&t->mmap_threshold, 0, kMax);
  else if (is("trim_threshold"))
    set(&t->trim_threshold, 0, kMax);
  else if (is("mmap_max"))
    set(&t->mmap_max, 0, 0x7fffffff);
  else if (is("arena_max"))
    set(&t->arena_max, 1, kMax);
  else if (is("arena_test"))
    set(&t->arena_test, 1, kMax);
  else if (is("tcache_max"))
    set(&t->tcache_max, 0, kMax);
  else if (is("tcache_count"))
    set(&t->tcache_count, 0, kMax);
  else if (is("tcache_unsorted_limit"))
    set(&t->tcache_unsorted_limit, 0, kMax);
  else if (is("mxfast"))
    set(&t->mxfast, 0, kMax);
  else
    known = false;
  return known && within;
}

void parse_glibc_tunables(GlibcTunables* t, const char* s) {
  // name=value:name=value...
  while (*s) {
    const char* end = s;
    while (*end && *end != ':') ++end;
    const char* eq = s;
    while (eq < end && *eq != '=') ++eq;
    const char* rest;
    if (eq < end && starts_with(s, "glibc.malloc.", &rest) && rest < eq) {
      set_tunable(t, rest, static_cast<size_t>(eq - rest), eq + 1, end);
    }
    s = *end ? end + 1 : end;
  }
}

}  // namespace heaptwin::alloc
