#include "oracle/model/params.h"

#include <cerrno>
#include <cstdlib>

#include "oracle/model/sizes.h"

namespace heaptwin::model {

namespace {

// glibc's do_set_trim_threshold, do_set_top_pad, do_set_mmap_threshold and do_set_mmaps_max,
// which mallopt and the tunables both call: a value set explicitly stops the dynamic adjustment
// of the thresholds. Returns mallopt's 1 (done).
template <typename Field>
int set_threshold(Params* p, Field* field, Field value) {
  *field = value;
  p->no_dyn_threshold = true;
  return 1;
}

}  // namespace

int Params::set_by_mallopt(int32_t param, int32_t value) {
  // Negative ints become huge size_t values, as in glibc.
  const uint64_t v = static_cast<uint64_t>(static_cast<int64_t>(value));
  switch (param) {
    case 1:  // M_MXFAST
      if (v > kMaxFastRequest) return 0;
      global_max_fast = max_fast_for(v);
      return 1;
    case -1: return set_threshold(this, &trim_threshold, v);   // M_TRIM_THRESHOLD
    case -2: return set_threshold(this, &top_pad, v);          // M_TOP_PAD
    case -3: return set_threshold(this, &mmap_threshold, v);   // M_MMAP_THRESHOLD
    case -4: return set_threshold(this, &n_mmaps_max, value);  // M_MMAP_MAX
    case -6:  // M_PERTURB: changes contents only, never placement
      perturb = value;
      return 1;
    case -7:  // M_ARENA_TEST
      if (value > 0) arena_test = v;
      return 1;
    case -8:  // M_ARENA_MAX
      if (value > 0) arena_max = v;
      return 1;
    default:  // M_CHECK_ACTION and unknown parameters: accepted, no effect
      return 1;
  }
}

bool Params::set_tunable(const std::string& name, const std::string& value) {
  errno = 0;
  char* end = nullptr;
  const uint64_t v = std::strtoull(value.c_str(), &end, 0);
  if (value.empty() || *end != '\0' || errno != 0) return false;
  const std::string prefix = "glibc.malloc.";
  if (name.compare(0, prefix.size(), prefix) != 0) return false;
  const std::string t = name.substr(prefix.size());
  // Each tunable that is set runs the same setter as mallopt (so thresholds stop being dynamic).
  if (t == "mxfast") {
    if (v > kMaxFastRequest) return false;
    global_max_fast = max_fast_for(v);
  } else if (t == "trim_threshold") {
    set_threshold(this, &trim_threshold, v);
  } else if (t == "top_pad") {
    set_threshold(this, &top_pad, v);
  } else if (t == "mmap_threshold") {
    set_threshold(this, &mmap_threshold, v);
  } else if (t == "mmap_max") {
    if (v > 0x7fffffff) return false;
    set_threshold(this, &n_mmaps_max, static_cast<int32_t>(v));
  } else if (t == "perturb") {
    perturb = static_cast<int32_t>(v);
  } else if (t == "tcache_count") {
    if (v > 65535) return false;
    tcache_count = v;
  } else if (t == "tcache_max") {
    if (v > 1032) return false;
    tcache_max_bytes = v;
    tcache_bins = tcache_index(request2size(v)) + 1;
  } else if (t == "tcache_unsorted_limit") {
    tcache_unsorted_limit = v;
  } else if (t == "arena_test" || t == "arena_max") {
    // one thread, one arena: no effect on placement
  } else {
    return false;
  }
  return true;
}

}  // namespace heaptwin::model
