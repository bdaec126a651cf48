#include "oracle/trace.h"
#include "program/hex.h"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "oracle/read_value.h"
#include "program/op.h"

namespace heaptwin {

namespace {

const char* errno_name(int e) {
  switch (e) {
    case 0: return "0";
    case ENOMEM: return "ENOMEM";
    case EINVAL: return "EINVAL";
    case EFAULT: return "EFAULT";
    default: return nullptr;
  }
}

// A chunk's place: its heap offset, or in another arena's heap "arena1+0xb60", "arena1.heap2+0x40".
std::string place_text(const ChunkRef& r) {
  if (r.arena == 0) return signed_hex(r.offset);
  return "arena" + std::to_string(r.arena) +
         (r.heap != 0 ? ".heap" + std::to_string(r.heap) : std::string()) + "+" +
         hex(static_cast<uint64_t>(r.offset));
}

std::string ref_text(const ChunkRef& r) {
  if (r.wild && r.link_form == LinkForm::kSafeLinked)
    return "safe-linked to " + signed_hex(r.offset);
  if (r.wild && r.link_form == LinkForm::kPlain) return "plain pointer to " + signed_hex(r.offset);
  if (r.wild) return "wild " + hex(static_cast<uint64_t>(r.offset));
  return place_text(r) + " (size " + size_text(r) + ")";
}

std::string list_text(const BinList& l) {
  std::string s = "[";
  for (size_t i = 0; i < l.chunks.size(); ++i) {
    if (i) s += " -> ";
    const ChunkRef& c = l.chunks[i];
    s += c.wild ? ref_text(c) : place_text(c) + " (" + size_text(c) + ")";
  }
  s += "]";
  if (!l.broken.empty()) s += " broken: " + l.broken;
  return s;
}

constexpr int64_t kNear = int64_t{1} << 32;

// Wild pointers far from the heap are raw addresses of one process: two of them agree.
bool same_ref(const ChunkRef& a, const ChunkRef& b) {
  if (a.wild && b.wild && a.link_form == LinkForm::kAsRead && b.link_form == LinkForm::kAsRead) {
    bool far_a = a.offset <= -kNear || a.offset >= kNear;
    bool far_b = b.offset <= -kNear || b.offset >= kNear;
    if (far_a && far_b) return true;
  }
  return a == b;
}

bool same_list(const BinList& a, const BinList& b) {
  if (a.chunks.size() != b.chunks.size() || a.broken != b.broken) return false;
  for (size_t i = 0; i < a.chunks.size(); ++i) {
    if (!same_ref(a.chunks[i], b.chunks[i])) return false;
  }
  return true;
}

// The first difference of two lists, in words; empty when equal.
std::string list_difference(const std::string& name, const BinList& a, const BinList& b) {
  if (same_list(a, b)) return "";
  return name + ": " + list_text(a) + " vs " + list_text(b);
}

}  // namespace

std::string size_text(const ChunkRef& r) {
  switch (r.size_base) {
    case SizeBase::kHeap: return "heap+" + hex(r.size);
    case SizeBase::kArena: return "main_arena+" + hex(r.size);
    case SizeBase::kRaw: break;
  }
  return hex(r.size);
}

bool Outcome::operator==(const Outcome& o) const {
  if (kind != o.kind) return false;
  switch (kind) {
    case OutcomeKind::kPointer: return offset == o.offset;
    case OutcomeKind::kMmapped: return size == o.size && offset == o.offset;
    case OutcomeKind::kArenaPointer:
      return value == o.value && size == o.size && offset == o.offset;
    case OutcomeKind::kNull: return error == o.error;
    case OutcomeKind::kDone: return true;
    case OutcomeKind::kValue: return value == o.value;
    case OutcomeKind::kAbort: return message == o.message;
    case OutcomeKind::kFault:
      return signal == o.signal && address == o.address && address_in_heap == o.address_in_heap;
    case OutcomeKind::kTimeout: return true;
    case OutcomeKind::kNoOpinion: return true;
    case OutcomeKind::kRead:
      return read_base == o.read_base && value == o.value &&
             read_safe_linked == o.read_safe_linked && read_position_base == o.read_position_base &&
             address == o.address;
  }
  return false;
}

bool Outcome::is_fatal() const {
  return kind == OutcomeKind::kAbort || kind == OutcomeKind::kFault ||
         kind == OutcomeKind::kTimeout;
}

Outcome Outcome::pointer(int64_t heap_offset) {
  Outcome o;
  o.kind = OutcomeKind::kPointer;
  o.offset = heap_offset;
  return o;
}

Outcome Outcome::mmapped(uint64_t chunk_size, uint64_t page_offset) {
  Outcome o;
  o.kind = OutcomeKind::kMmapped;
  o.size = chunk_size;
  o.offset = static_cast<int64_t>(page_offset);
  return o;
}

Outcome Outcome::arena_pointer(uint32_t arena, uint32_t heap, uint64_t heap_offset) {
  Outcome o;
  o.kind = OutcomeKind::kArenaPointer;
  o.value = arena;
  o.size = heap;
  o.offset = static_cast<int64_t>(heap_offset);
  return o;
}

Outcome Outcome::null(int error) {
  Outcome o;
  o.kind = OutcomeKind::kNull;
  o.error = error;
  return o;
}

Outcome Outcome::done() { return Outcome(); }

Outcome Outcome::value_of(uint64_t v) {
  Outcome o;
  o.kind = OutcomeKind::kValue;
  o.value = v;
  return o;
}

Outcome returned_outcome(const Op& op, const Returned& r, uint64_t heap_base) {
  if (op.allocates()) {
    if (r.pointer == 0) return Outcome::null(r.error);
    if (r.arena != 0) return Outcome::arena_pointer(r.arena, r.arena_heap, r.arena_heap_offset);
    const bool in_heap = r.pointer >= heap_base && r.pointer < r.heap_end;
    if (r.mapping_bytes != 0 && !in_heap)
      return Outcome::mmapped(r.mapping_bytes, r.pointer & 0xfff);
    return Outcome::pointer(static_cast<int64_t>(r.pointer - heap_base));
  }
  switch (op.kind) {
    case OpKind::kUsableSize:
    case OpKind::kMallopt:
    case OpKind::kTrim: return Outcome::value_of(r.value);
    default: return Outcome::done();
  }
}

Outcome Outcome::abort(std::string message) {
  Outcome o;
  o.kind = OutcomeKind::kAbort;
  o.message = std::move(message);
  return o;
}

Outcome Outcome::fault(int signal, uint64_t address, bool in_heap) {
  Outcome o;
  o.kind = OutcomeKind::kFault;
  o.signal = signal;
  o.address = address;
  o.address_in_heap = in_heap;
  return o;
}

Outcome Outcome::timeout() {
  Outcome o;
  o.kind = OutcomeKind::kTimeout;
  return o;
}

Outcome Outcome::no_opinion() {
  Outcome o;
  o.kind = OutcomeKind::kNoOpinion;
  return o;
}

Outcome Outcome::read(const ::ReadValue& v) {
  Outcome o;
  o.kind = OutcomeKind::kRead;
  o.read_base = static_cast<uint8_t>(v.value.base);
  o.value = v.value.offset;
  o.read_safe_linked = v.safe_linked != 0;
  o.read_position_base = static_cast<uint8_t>(v.position.base);
  o.address = v.position.offset;
  return o;
}

::ReadValue Outcome::read_value() const {
  ::ReadValue v;
  v.value.base = read_base;
  v.value.offset = value;
  v.safe_linked = read_safe_linked;
  v.position.base = read_position_base;
  v.position.offset = address;
  return v;
}

std::string to_string(const ::ReadValue& v) {
  char text[200];
  read_value_text(&v, text, sizeof text);
  return text;
}

const char* outcome_kind_name(OutcomeKind k) {
  switch (k) {
    case OutcomeKind::kPointer: return "pointer";
    case OutcomeKind::kMmapped: return "mmapped";
    case OutcomeKind::kNull: return "null";
    case OutcomeKind::kDone: return "done";
    case OutcomeKind::kValue: return "value";
    case OutcomeKind::kAbort: return "abort";
    case OutcomeKind::kFault: return "fault";
    case OutcomeKind::kTimeout: return "timeout";
    case OutcomeKind::kNoOpinion: return "no_opinion";
    case OutcomeKind::kRead: return "read";
    case OutcomeKind::kArenaPointer: return "arena_pointer";
  }
  return "?";
}

std::string to_string(const Outcome& o) {
  switch (o.kind) {
    case OutcomeKind::kPointer: return signed_hex(o.offset);
    case OutcomeKind::kMmapped:
      return "mmapped " + hex(o.size) + " +" + hex(static_cast<uint64_t>(o.offset));
    case OutcomeKind::kArenaPointer:  // "arena1+0xb70"; a later heap: "arena1.heap2+0x40"
      return "arena" + std::to_string(o.value) +
             (o.size != 0 ? ".heap" + std::to_string(o.size) : std::string()) + "+" +
             hex(static_cast<uint64_t>(o.offset));
    case OutcomeKind::kNull: {
      const char* name = errno_name(o.error);
      return std::string("NULL (") + (name ? name : std::to_string(o.error)) + ")";
    }
    case OutcomeKind::kDone: return "done";
    case OutcomeKind::kValue: return "value " + hex(o.value);
    case OutcomeKind::kAbort: return "abort: " + o.message;
    case OutcomeKind::kFault: {
      const char* sig = o.signal == 11 ? "SIGSEGV" : o.signal == 7 ? "SIGBUS" : nullptr;
      std::string s = "fault: ";
      s += sig ? sig : "signal " + std::to_string(o.signal);
      s += o.address_in_heap ? " at heap+" + hex(o.address) : " at " + hex(o.address);
      return s;
    }
    case OutcomeKind::kTimeout: return "timeout";
    case OutcomeKind::kNoOpinion: return "no opinion";
    case OutcomeKind::kRead: return "read " + to_string(o.read_value());
  }
  return "?";
}

bool MallocParSnapshot::operator==(const MallocParSnapshot& o) const {
  return trim_threshold == o.trim_threshold && top_pad == o.top_pad &&
         mmap_threshold == o.mmap_threshold && arena_test == o.arena_test &&
         arena_max == o.arena_max && n_mmaps == o.n_mmaps && n_mmaps_max == o.n_mmaps_max &&
         max_n_mmaps == o.max_n_mmaps && no_dyn_threshold == o.no_dyn_threshold &&
         mmapped_mem == o.mmapped_mem && max_mmapped_mem == o.max_mmapped_mem &&
         tcache_bins == o.tcache_bins && tcache_max_bytes == o.tcache_max_bytes &&
         tcache_count == o.tcache_count && tcache_unsorted_limit == o.tcache_unsorted_limit;
}

bool ArenaSnapshot::operator==(const ArenaSnapshot& o) const {
  return first_difference(*this, o).empty();
}

// A tcache's first difference ("tcache[0] (0x20) count: 1 vs 2"); empty when equal.
static std::string tcache_difference(bool present_a, const std::array<uint16_t, kTcacheBins>& ca,
                                     const std::array<BinList, kTcacheBins>& la, bool present_b,
                                     const std::array<uint16_t, kTcacheBins>& cb,
                                     const std::array<BinList, kTcacheBins>& lb) {
  if (present_a != present_b) {
    return std::string("tcache present: ") + (present_a ? "yes" : "no") + " vs " +
           (present_b ? "yes" : "no");
  }
  for (int i = 0; i < kTcacheBins; ++i) {
    std::string name = "tcache[" + std::to_string(i) + "] (" + hex(0x20 + 0x10 * i) + ")";
    if (ca[i] != cb[i]) {
      return name + " count: " + std::to_string(ca[i]) + " vs " + std::to_string(cb[i]);
    }
    std::string d = list_difference(name, la[i], lb[i]);
    if (!d.empty()) return d;
  }
  return "";
}

// The other threads' tcaches, by thread: which threads, then each one's, named "t1 tcache: ...".
static std::string threads_difference(const std::vector<ThreadTcache>& a,
                                      const std::vector<ThreadTcache>& b) {
  auto threads = [](const std::vector<ThreadTcache>& v) {
    std::string s;
    for (const ThreadTcache& t : v) s += (s.empty() ? "t" : " t") + std::to_string(t.thread);
    return s.empty() ? std::string("none") : s;
  };
  for (size_t i = 0; i < a.size() || i < b.size(); ++i) {
    if (i >= a.size() || i >= b.size() || a[i].thread != b[i].thread) {
      return "threads' tcaches: " + threads(a) + " vs " + threads(b);
    }
    const ThreadTcache &x = a[i], &y = b[i];
    const std::string name = "t" + std::to_string(x.thread) + " tcache: ";
    if (x.invalid_reason != y.invalid_reason) {
      auto reason = [](const ThreadTcache& t) {
        return t.invalid_reason.empty() ? std::string("read") : t.invalid_reason;
      };
      return name + reason(x) + " vs " + reason(y);
    }
    const std::string d =
        tcache_difference(x.present, x.counts, x.lists, y.present, y.counts, y.lists);
    if (!d.empty()) return name + d;
  }
  return "";
}

// The other arenas (threads'), in order: how many, then each one's heap and state, named
// "arena1: ..." as read8 names its heaps.
static std::string others_difference(const std::vector<OtherArena>& a,
                                     const std::vector<OtherArena>& b) {
  if (a.size() != b.size()) {
    return "other arenas: " + std::to_string(a.size()) + " vs " + std::to_string(b.size());
  }
  for (size_t i = 0; i < a.size(); ++i) {
    const OtherArena &x = a[i], &y = b[i];
    const std::string name = "arena" + std::to_string(x.number);
    auto field = [&](const char* what, uint64_t u, uint64_t v) {
      return u == v ? std::string() : name + " " + what + ": " + hex(u) + " vs " + hex(v);
    };
    std::string d;
    if (!(d = field("number", x.number, y.number)).empty() ||
        !(d = field("heaps", x.heaps, y.heaps)).empty() ||
        !(d = field("heap size", x.heap_size, y.heap_size)).empty() ||
        !(d = field("heap mprotect_size", x.mprotect_pages << 12, y.mprotect_pages << 12))
             .empty() ||
        !(d = field("attached_threads", x.attached_threads, y.attached_threads)).empty()) {
      return d;
    }
    d = first_difference(x.state, y.state);
    if (!d.empty()) return name + ": " + d;
  }
  return "";
}

std::string first_difference(const ArenaSnapshot& a, const ArenaSnapshot& b) {
  if (a.valid != b.valid) {
    return std::string("snapshot valid: ") + (a.valid ? "yes" : "no (" + a.invalid_reason + ")") +
           " vs " + (b.valid ? "yes" : "no (" + b.invalid_reason + ")");
  }
  if (!a.valid) {
    return a.invalid_reason == b.invalid_reason
               ? ""
               : "invalid snapshot: " + a.invalid_reason + " vs " + b.invalid_reason;
  }
  if (std::string d = tcache_difference(a.tcache_present, a.tcache_counts, a.tcache,
                                        b.tcache_present, b.tcache_counts, b.tcache);
      !d.empty()) {
    return d;
  }
  for (int i = 0; i < kFastBins; ++i) {
    std::string d =
        list_difference("fastbin[" + std::to_string(i) + "] (" + hex(0x20 + 0x10 * i) + ")",
                        a.fastbins[i], b.fastbins[i]);
    if (!d.empty()) return d;
  }
  for (int i = 0; i < kBins; ++i) {
    std::string name = i == 1   ? std::string("unsortedbin")
                       : i < 64 ? "smallbin[" + std::to_string(i) + "] (" + hex(0x10 * i) + ")"
                                : "largebin[" + std::to_string(i) + "]";
    std::string d = list_difference(name, a.bins[i], b.bins[i]);
    if (!d.empty()) return d;
    d = list_difference(name + " nextsize", a.nextsize[i], b.nextsize[i]);
    if (!d.empty()) return d;
  }
  if (!same_ref(a.top, b.top)) return "top: " + ref_text(a.top) + " vs " + ref_text(b.top);
  if (a.last_remainder_null != b.last_remainder_null ||
      !same_ref(a.last_remainder, b.last_remainder)) {
    auto lr = [](const ArenaSnapshot& s) {
      return s.last_remainder_null ? std::string("NULL") : ref_text(s.last_remainder);
    };
    return "last_remainder: " + lr(a) + " vs " + lr(b);
  }
  for (int i = 0; i < 4; ++i) {
    if (a.binmap[i] != b.binmap[i]) {
      return "binmap[" + std::to_string(i) + "]: " + hex(a.binmap[i]) + " vs " + hex(b.binmap[i]);
    }
  }
  auto field = [](const char* name, uint64_t x, uint64_t y) {
    return x == y ? std::string() : std::string(name) + ": " + hex(x) + " vs " + hex(y);
  };
  std::string d;
  if (!(d = field("flags", static_cast<uint32_t>(a.flags), static_cast<uint32_t>(b.flags))).empty())
    return d;
  if (!(d = field("have_fastchunks", static_cast<uint32_t>(a.have_fastchunks),
                  static_cast<uint32_t>(b.have_fastchunks)))
           .empty())
    return d;
  if (!(d = field("system_mem", a.system_mem, b.system_mem)).empty()) return d;
  if (!(d = field("max_system_mem", a.max_system_mem, b.max_system_mem)).empty()) return d;
  if (!(d = field("global_max_fast", a.global_max_fast, b.global_max_fast)).empty()) return d;
  const MallocParSnapshot& p = a.mp;
  const MallocParSnapshot& q = b.mp;
  if (!(d = field("mp_.trim_threshold", p.trim_threshold, q.trim_threshold)).empty()) return d;
  if (!(d = field("mp_.top_pad", p.top_pad, q.top_pad)).empty()) return d;
  if (!(d = field("mp_.mmap_threshold", p.mmap_threshold, q.mmap_threshold)).empty()) return d;
  if (!(d = field("mp_.arena_test", p.arena_test, q.arena_test)).empty()) return d;
  if (!(d = field("mp_.arena_max", p.arena_max, q.arena_max)).empty()) return d;
  if (!(d = field("mp_.n_mmaps", p.n_mmaps, q.n_mmaps)).empty()) return d;
  if (!(d = field("mp_.n_mmaps_max", p.n_mmaps_max, q.n_mmaps_max)).empty()) return d;
  if (!(d = field("mp_.max_n_mmaps", p.max_n_mmaps, q.max_n_mmaps)).empty()) return d;
  if (!(d = field("mp_.no_dyn_threshold", p.no_dyn_threshold, q.no_dyn_threshold)).empty())
    return d;
  if (!(d = field("mp_.mmapped_mem", p.mmapped_mem, q.mmapped_mem)).empty()) return d;
  if (!(d = field("mp_.max_mmapped_mem", p.max_mmapped_mem, q.max_mmapped_mem)).empty()) return d;
  if (!(d = field("mp_.tcache_bins", p.tcache_bins, q.tcache_bins)).empty()) return d;
  if (!(d = field("mp_.tcache_max_bytes", p.tcache_max_bytes, q.tcache_max_bytes)).empty())
    return d;
  if (!(d = field("mp_.tcache_count", p.tcache_count, q.tcache_count)).empty()) return d;
  if (!(d = field("mp_.tcache_unsorted_limit", p.tcache_unsorted_limit, q.tcache_unsorted_limit))
           .empty())
    return d;
  if (std::string d = others_difference(a.others, b.others); !d.empty()) return d;
  return threads_difference(a.thread_tcaches, b.thread_tcaches);
}

std::string side_release(const std::string& side_name) {
  const size_t dash = side_name.rfind("-2.");
  return dash == std::string::npos ? "2.36" : side_name.substr(dash + 1);
}

std::string side_for_release(const std::string& side_name, const std::string& release) {
  if (release.empty() || release == "2.36") return side_name;
  if (side_name == "glibc" || side_name == "twin") return side_name + "-" + release;
  return side_name;
}

}  // namespace heaptwin
