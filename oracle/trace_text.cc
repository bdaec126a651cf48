#include "oracle/trace_text.h"
#include "program/hex.h"

#include <cinttypes>
#include <cstdio>
#include <sstream>

#include "oracle/check/types.h"
#include "oracle/read_value.h"
#include "oracle/tcache_bin_sizes.h"
#include "program/heap_format.h"

namespace heaptwin {

namespace {

std::string chunk_text(const ChunkRef& c) {
  constexpr int64_t kNear = int64_t{1} << 32;
  if (c.wild && c.link_form == LinkForm::kSafeLinked)
    return "safe-linked:heap+" + hex(static_cast<uint64_t>(c.offset));
  if (c.wild && c.link_form == LinkForm::kPlain)
    return "plain:heap+" + hex(static_cast<uint64_t>(c.offset));
  if (c.wild && (c.offset <= -kNear || c.offset >= kNear)) return "wild:far";  // raw, per process
  if (c.wild && c.offset < 0) return "wild:heap-" + hex(static_cast<uint64_t>(-c.offset));
  if (c.wild) return "wild:heap+" + hex(static_cast<uint64_t>(c.offset));
  if (c.arena != 0) {  // in a heap of another arena: "arena1+0xb60", "arena1.heap2+0x40"
    return "arena" + std::to_string(c.arena) +
           (c.heap != 0 ? ".heap" + std::to_string(c.heap) : std::string()) + "+" +
           hex(static_cast<uint64_t>(c.offset)) + " (" + size_text(c) + ")";
  }
  return "heap+" + hex(static_cast<uint64_t>(c.offset)) + " (" + size_text(c) + ")";
}

std::string list_text(const BinList& l) {
  std::string s;
  for (size_t i = 0; i < l.chunks.size(); ++i) s += (i ? " -> " : "") + chunk_text(l.chunks[i]);
  if (!l.broken.empty()) s += "  [broken: " + l.broken + "]";
  return s;
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

// {"base": "main_arena", "offset": 96, "text": "main_arena+0x60"} (heap offsets are signed)
std::string read_name_json(const ReadName& n) {
  static const char* const kBases[] = {"number",          "heap",    "main_arena", "mp_",
                                       "global_max_fast", "mapping", "arena_heap"};
  char text[64];
  read_name_text(&n, text, sizeof text);
  const char* base = n.base < sizeof kBases / sizeof kBases[0] ? kBases[n.base] : "?";
  if (n.base ==
      READ_ARENA_HEAP) {  // {"base": "arena_heap", "arena": 1, "heap": 0, "offset": 2928, ...}
    return std::string("{\"base\": \"arena_heap\", \"arena\": ") +
           std::to_string(READ_ARENA_HEAP_ARENA(n.offset)) +
           ", \"heap\": " + std::to_string(READ_ARENA_HEAP_INDEX(n.offset)) +
           ", \"offset\": " + std::to_string(READ_ARENA_HEAP_DISTANCE(n.offset)) +
           ", \"text\": \"" + text + "\"}";
  }
  return std::string("{\"base\": \"") + base + "\", \"offset\": " +
         (n.base == READ_HEAP ? std::to_string(static_cast<int64_t>(n.offset))
                              : std::to_string(n.offset)) +
         ", \"text\": \"" + text + "\"}";
}

}  // namespace

std::string bin_range(int index) {
  if (index < 64) return "[" + hex(0x10 * index) + "]";
  const std::string hi = index == 126 ? "..." : hex(check::large_bin_start(index + 1));
  return "[" + hex(check::large_bin_start(index)) + ", " + hi + ")";
}

namespace {

// A tcache's bins, each "0x20 [  1]: heap+0x290 (0x20)" under `in`; false when all are empty.
bool format_tcache_bins(const std::array<uint16_t, kTcacheBins>& counts,
                        const std::array<BinList, kTcacheBins>& lists, const std::string& in,
                        std::string* out) {
  bool any = false;
  for (int i = 0; i < kTcacheBins; ++i) {
    if (counts[i] == 0 && lists[i].empty()) continue;
    char head[48];
    // A large bin (2.42+) holds a range of sizes.
    const std::string sizes =
        hex(tcache_bin_first_size(i)) + (i >= 64 ? "-" + hex(tcache_bin_last_size(i)) : "");
    std::snprintf(head, sizeof head, "%s [%3u]: ", sizes.c_str(), counts[i]);
    *out += in + "  " + head + list_text(lists[i]) + "\n";
    any = true;
  }
  return any;
}

// One arena's state; main_arena's with the tcache and mp_ (other arenas have neither).
std::string format_arena(const ArenaSnapshot& s, const std::string& in, bool full, bool main) {
  if (!s.valid) return in + "(no snapshot: " + s.invalid_reason + ")\n";
  // The compact form (full == false) leaves out empty sections, as a quick look wants.
  std::string out, section;
  const std::string empty = in + "  empty\n";
  section = in + "tcachebins" + (s.tcache_present ? "" : " (no tcache yet)") + "\n";
  if (main) out += section;
  if (main && !format_tcache_bins(s.tcache_counts, s.tcache, in, &out)) out += empty;
  out += in + "fastbins\n";
  bool any = false;
  for (int i = 0; i < kFastBins; ++i) {
    if (s.fastbins[i].empty()) continue;
    out += in + "  " + hex(0x20 + 0x10 * i) + ": " + list_text(s.fastbins[i]) + "\n";
    any = true;
  }
  if (!any) out += empty;
  out += in + "unsortedbin\n";
  out += s.bins[1].empty() ? empty : in + "  all: " + list_text(s.bins[1]) + "\n";
  out += in + "smallbins\n";
  any = false;
  for (int i = 2; i < 64; ++i) {
    if (s.bins[i].empty()) continue;
    out += in + "  " + hex(0x10 * i) + ": " + list_text(s.bins[i]) + "\n";
    any = true;
  }
  if (!any) out += empty;
  out += in + "largebins\n";
  any = false;
  for (int i = 64; i < kBins - 1; ++i) {
    if (s.bins[i].empty()) continue;
    out += in + "  " + bin_range(i) + ": " + list_text(s.bins[i]) + "\n";
    if (!s.nextsize[i].empty()) out += in + "      nextsize: " + list_text(s.nextsize[i]) + "\n";
    any = true;
  }
  if (!any) out += empty;
  if (!full) {
    // Drop every header followed only by "empty".
    std::string compact, prev;
    std::istringstream lines(out);
    std::string line;
    while (std::getline(lines, line)) {
      if (line + "\n" == empty) {
        prev.clear();
        continue;
      }
      compact += prev;
      prev = line + "\n";
    }
    out = compact + prev;
    if (!out.empty() && out.compare(out.size() - empty.size(), empty.size(), empty) == 0) {
      out.resize(out.size() - empty.size());
    }
  }
  out += in + "top: " +
         (s.top.size == 0 && s.top.offset == 0 ? std::string("none (no heap yet)")
                                               : chunk_text(s.top));
  out += full ? "\n" + in : std::string("   ");
  out += "last_remainder: " +
         (s.last_remainder_null ? std::string("0") : chunk_text(s.last_remainder)) + "\n";
  if (full) {
    char buf[512];
    std::snprintf(
        buf, sizeof buf,
        "%sarena: flags %#x have_fastchunks %d binmap %#x %#x %#x %#x system_mem %#" PRIx64
        " max_system_mem %#" PRIx64 " global_max_fast %#" PRIx64 "\n",
        in.c_str(), static_cast<unsigned>(s.flags), s.have_fastchunks, s.binmap[0], s.binmap[1],
        s.binmap[2], s.binmap[3], s.system_mem, s.max_system_mem, s.global_max_fast);
    out += buf;
  }
  if (full && main) {
    char buf[512];
    const MallocParSnapshot& p = s.mp;
    std::snprintf(buf, sizeof buf,
                  "%smp_: trim_threshold %#" PRIx64 " top_pad %#" PRIx64 " mmap_threshold %#" PRIx64
                  " arena_test %" PRIu64 " arena_max %" PRIu64
                  " n_mmaps %d n_mmaps_max %d"
                  " max_n_mmaps %d no_dyn_threshold %d mmapped_mem %#" PRIx64
                  " max_mmapped_mem %#" PRIx64 " tcache_bins %" PRIu64 " tcache_max_bytes %#" PRIx64
                  " tcache_count %" PRIu64 " tcache_unsorted_limit %" PRIu64 "\n",
                  in.c_str(), p.trim_threshold, p.top_pad, p.mmap_threshold, p.arena_test,
                  p.arena_max, p.n_mmaps, p.n_mmaps_max, p.max_n_mmaps, p.no_dyn_threshold,
                  p.mmapped_mem, p.max_mmapped_mem, p.tcache_bins, p.tcache_max_bytes,
                  p.tcache_count, p.tcache_unsorted_limit);
    out += buf;
  }
  return out;
}

}  // namespace

std::string format_state(const ArenaSnapshot& s, const std::string& in, bool full) {
  std::string out = format_arena(s, in, full, true);
  // Threads' arenas, oldest first, relative to the heap their top lies in.
  for (const OtherArena& o : s.others) {
    out += in + "arena" + std::to_string(o.number) + " (" + std::to_string(o.heaps) +
           (o.heaps == 1 ? " heap" : " heaps") + "; heap+ is the heap top lies in, of size " +
           hex(o.heap_size) + "; attached_threads " + std::to_string(o.attached_threads) + "):\n";
    out += format_arena(o.state, in + "  ", full, false);
  }
  // The other threads' tcaches, by thread (the compact form leaves out empty ones).
  for (const ThreadTcache& t : s.thread_tcaches) {
    const std::string head = in + "t" + std::to_string(t.thread) + " tcachebins";
    std::string bins;
    if (!t.invalid_reason.empty()) {
      out += head + " (no snapshot: " + t.invalid_reason + ")\n";
    } else if (t.present && format_tcache_bins(t.counts, t.lists, in, &bins)) {
      out += head + "\n" + bins;
    } else if (full) {
      out += head + (t.present ? "\n" + in + "  empty\n" : std::string(" (no tcache yet)\n"));
    }
  }
  return out;
}

std::string format_trace(const Program& program, const Trace& trace, bool with_state, bool full) {
  std::string out;
  for (size_t i = 0; i < trace.outcomes.size(); ++i) {
    std::string op = i < program.ops.size() ? print_op(program, program.ops[i]) : "?";
    out += std::to_string(i) + ": " + op + "  -> " + to_string(trace.outcomes[i]) + "\n";
    if (with_state && i < trace.states.size()) out += format_state(trace.states[i], "    ", full);
  }
  if (!trace.unmodelled.empty())
    out += "(" + trace.side + " cannot follow glibc here: " + trace.unmodelled + ")\n";
  if (trace.outcomes.size() < program.ops.size() && trace.error.empty()) {
    out += "(the Program ended: " + std::to_string(program.ops.size() - trace.outcomes.size()) +
           " ops not run)\n";
  }
  if (!trace.error.empty()) out += "error: " + trace.error + "\n";
  return out;
}

std::string format_trace_json(const Program& program, const Trace& trace) {
  std::string out;
  for (size_t i = 0; i < trace.outcomes.size(); ++i) {
    const Outcome& o = trace.outcomes[i];
    std::string op = i < program.ops.size() ? print_op(program, program.ops[i]) : "";
    out += "{\"index\": " + std::to_string(i) + ", \"op\": \"" + json_escape(op) +
           "\", \"outcome\": \"" + outcome_kind_name(o.kind) + "\"";
    switch (o.kind) {
      case OutcomeKind::kPointer: out += ", \"offset\": " + std::to_string(o.offset); break;
      case OutcomeKind::kMmapped:
        out +=
            ", \"size\": " + std::to_string(o.size) + ", \"offset\": " + std::to_string(o.offset);
        break;
      case OutcomeKind::kArenaPointer:
        out += ", \"arena\": " + std::to_string(o.value) + ", \"heap\": " + std::to_string(o.size) +
               ", \"offset\": " + std::to_string(o.offset);
        break;
      case OutcomeKind::kNull: out += ", \"error\": " + std::to_string(o.error); break;
      case OutcomeKind::kValue: out += ", \"value\": " + std::to_string(o.value); break;
      case OutcomeKind::kAbort: out += ", \"message\": \"" + json_escape(o.message) + "\""; break;
      case OutcomeKind::kFault:
        out += ", \"signal\": " + std::to_string(o.signal) +
               ", \"address\": " + std::to_string(o.address) +
               ", \"address_in_heap\": " + (o.address_in_heap ? "true" : "false");
        break;
      case OutcomeKind::kRead: {
        const ReadValue v = o.read_value();
        out += ", \"read\": " + read_name_json(v.value);
        if (v.safe_linked) out += ", \"safe_linked_at\": " + read_name_json(v.position);
        break;
      }
      default: break;
    }
    out += ", \"text\": \"" + json_escape(to_string(o)) + "\"}\n";
  }
  if (!trace.error.empty()) out += "{\"error\": \"" + json_escape(trace.error) + "\"}\n";
  return out;
}

}  // namespace heaptwin
