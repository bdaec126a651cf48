#include "tools/heap_timeline.h"
#include "program/hex.h"

#include <cinttypes>
#include <cstdio>
#include <map>
#include <memory>
#include <set>

#include "oracle/heap_check.h"
#include "oracle/heap_view.h"

namespace heaptwin::cli {

namespace {

// A pointer as a reader compares it across processes: heap+0x2b0, main_arena+0x60, or raw.
class AddressNamer {
 public:
  AddressNamer(const HeapLocation& loc, const GlibcLayout& layout) : loc_(loc), layout_(layout) {}
  std::string operator()(uint64_t addr) const {
    if (addr == 0) return "0";
    if (loc_.arena != 0 && addr >= loc_.arena && addr < loc_.arena + layout_.max_system_mem + 8) {
      return "main_arena+" + hex(addr - loc_.arena);
    }
    if (addr >= loc_.heap_base && addr <= loc_.heap_end)
      return "heap+" + hex(addr - loc_.heap_base);
    return hex(addr);
  }

 private:
  const HeapLocation& loc_;
  const GlibcLayout& layout_;
};

// What kind of list holds a chunk; the page colours chunks by it.
enum class ListKind { kTcache, kFastbin, kUnsorted, kSmall, kLarge };

const char* state_name(ListKind k) {
  switch (k) {
    case ListKind::kTcache: return "tcache";
    case ListKind::kFastbin: return "fastbin";
    case ListKind::kUnsorted: return "unsorted";
    case ListKind::kSmall: return "small";
    case ListKind::kLarge: return "large";
  }
  return "?";
}

ListKind regular_kind(int index) {
  return index == 1 ? ListKind::kUnsorted : index < 64 ? ListKind::kSmall : ListKind::kLarge;
}

// A bin list of a snapshot with what the page needs to name and order it.
struct NamedList {
  int order;  // tcache 0..63, fastbins 100.., regular bins 200..
  std::string name;
  ListKind kind;
  int count;  // tcache: counts[i]; else -1
  const BinList* list;
};

std::vector<NamedList> named_lists(const ArenaSnapshot& s) {
  std::vector<NamedList> out;
  for (int i = 0; i < kTcacheBins; ++i) {
    if (!s.tcache[i].empty() || s.tcache_counts[i] != 0) {
      out.push_back({i, tcache_bin_name(i), ListKind::kTcache, s.tcache_counts[i], &s.tcache[i]});
    }
  }
  for (int i = 0; i < kFastBins; ++i) {
    if (!s.fastbins[i].empty())
      out.push_back({100 + i, fastbin_name(i), ListKind::kFastbin, -1, &s.fastbins[i]});
  }
  for (int i = 1; i < kBins - 1; ++i) {
    if (!s.bins[i].empty())
      out.push_back({200 + i, regular_bin_name(i), regular_kind(i), -1, &s.bins[i]});
  }
  return out;
}

// Reads one op's heap and turns it into the JSON records the page shows, and the delta from the
// records of the op before.
class StepRecorder {
 public:
  explicit StepRecorder(SideTimeline* out) : out_(out) {}

  void inspect(size_t op, const MemoryReader& mem, const HeapLocation& loc,
               const GlibcLayout& layout) {
    std::map<int64_t, std::string> chunks;  // by offset
    std::map<std::string, std::string> bins, arena;
    const ArenaSnapshot s = read_arena(mem, loc, layout);
    const AddressNamer at(loc, layout);

    // Which lists hold each chunk, by heap offset: the first names its state.
    std::map<int64_t, std::pair<ListKind, std::string>> holder;
    const std::vector<NamedList> lists = s.valid ? named_lists(s) : std::vector<NamedList>{};
    for (const NamedList& l : lists) {
      const auto& refs = l.list->chunks;
      for (size_t k = 0; k < refs.size(); ++k) {
        if (refs[k].wild) continue;
        auto [it, fresh] = holder.try_emplace(refs[k].offset, l.kind, "");
        it->second.second += std::string(fresh ? "" : ", ") + l.name + "[" + std::to_string(k) +
                             "/" + std::to_string(refs.size()) + "]";
      }
      bins[l.name] = bin_record(l, mem, loc, layout, at);
    }

    std::string broken;
    if (loc.heap_end > loc.heap_base) {
      for (const HeapChunk& c : walk_chunks(mem, loc, layout, &broken)) {
        std::string state = "inuse", label;
        auto it = holder.find(c.offset);
        if (it != holder.end()) {
          state = state_name(it->second.first);
          label = it->second.second;
        } else if (c.offset == 0 && layout.tcache && loc.tcache == loc.heap_base + 0x10) {
          label = "tcache_perthread_struct";
        }
        if (c.is_top) {
          state = "top";
          label = label.empty() ? "top" : "top, " + label;
        }
        const std::string off = hex(static_cast<uint64_t>(c.offset));
        chunks[c.offset] = "[" + json_string(off) + "," + json_string(hex(c.size)) + "," +
                           std::to_string(c.flags) + "," + json_string(state) + "," +
                           json_string(label) + "]";
      }
    }
    arena["top"] = s.valid ? json_string("heap+" + hex(static_cast<uint64_t>(s.top.offset)) + " (" +
                                         size_text(s.top) + ")")
                           : "null";
    arena["lr"] = !s.valid || s.last_remainder_null
                      ? "null"
                      : json_string("heap+" + signed_hex(s.last_remainder.offset));
    arena["mem"] = json_string(hex(s.system_mem));
    arena["inv"] = json_string(s.valid ? "" : s.invalid_reason);
    arena["walk"] = json_string(broken);

    if (out_->heap_deltas.size() <= op) out_->heap_deltas.resize(op + 1);
    out_->heap_deltas[op] = delta(chunks, bins, arena);
    chunks_ = std::move(chunks);
    bins_ = std::move(bins);
    arena_ = std::move(arena);
  }

 private:
  // ["tcachebins[0x20]", order, count, broken, [entries]]; an entry is
  // [offset, size, form ("", "wild", "safe-linked", "plain"), [[link, shown, stored, safe], ...]].
  static std::string bin_record(const NamedList& l, const MemoryReader& mem,
                                const HeapLocation& loc, const GlibcLayout& layout,
                                const AddressNamer& at) {
    std::string entries;
    for (const ChunkRef& r : l.list->chunks) {
      std::string links;
      if (!r.wild)
        links = links_of(l.kind, loc.heap_base + static_cast<uint64_t>(r.offset), mem, layout, at);
      const char* form = r.link_form == LinkForm::kSafeLinked ? "safe-linked"
                         : r.link_form == LinkForm::kPlain    ? "plain"
                         : r.wild                             ? "wild"
                                                              : "";
      const std::string off = r.wild && r.link_form == LinkForm::kAsRead
                                  ? hex(static_cast<uint64_t>(r.offset))
                                  : signed_hex(r.offset);
      entries += std::string(entries.empty() ? "" : ",") + "[" + json_string(off) + "," +
                 json_string(size_text(r)) + "," + json_string(form) + ",[" + links + "]]";
    }
    return "[" + json_string(l.name) + "," + std::to_string(l.order) + "," +
           std::to_string(l.count) + "," + json_string(l.list->broken) + ",[" + entries + "]]";
  }

  // The links a list's chunk at `chunk` holds, as stored and as they point.
  static std::string links_of(ListKind kind, uint64_t chunk, const MemoryReader& mem,
                              const GlibcLayout& layout, const AddressNamer& at) {
    auto link = [&](const char* name, uint64_t pos, bool protected_ptr) {
      uint64_t stored = 0;
      if (!mem.read_u64(pos, &stored)) {
        return "[" + json_string(name) + "," + json_string("unreadable") + ",\"\",0]";
      }
      const bool safe = protected_ptr && layout.safe_linking;
      const uint64_t to = safe ? reveal_ptr(pos, stored) : stored;
      return "[" + json_string(name) + "," + json_string(at(to)) + "," + json_string(hex(stored)) +
             "," + (safe ? "1" : "0") + "]";
    };
    // tcache entries point at user memory (chunk + 0x10), where the next pointer is; fastbins
    // and the regular bins at chunks, whose fd is at + 0x10 too.
    switch (kind) {
      case ListKind::kTcache: return link("next", chunk + 0x10, true);
      case ListKind::kFastbin: return link("fd", chunk + 0x10, true);
      case ListKind::kLarge:
        return link("fd", chunk + 0x10, false) + "," + link("bk", chunk + 0x18, false) + "," +
               link("fd_nextsize", chunk + 0x20, false) + "," +
               link("bk_nextsize", chunk + 0x28, false);
      case ListKind::kUnsorted:
      case ListKind::kSmall:
        return link("fd", chunk + 0x10, false) + "," + link("bk", chunk + 0x18, false);
    }
    return "";
  }

  std::string delta(const std::map<int64_t, std::string>& chunks,
                    const std::map<std::string, std::string>& bins,
                    const std::map<std::string, std::string>& arena) const {
    std::string set, removed, changed_bins, changed_arena;
    for (const auto& [off, rec] : chunks) {
      auto it = chunks_.find(off);
      if (it == chunks_.end() || it->second != rec) set += (set.empty() ? "" : ",") + rec;
    }
    for (const auto& [off, rec] : chunks_) {
      if (!chunks.count(off))
        removed += (removed.empty() ? "" : ",") + json_string(hex(static_cast<uint64_t>(off)));
    }
    for (const auto& [name, rec] : bins) {
      auto it = bins_.find(name);
      if (it == bins_.end() || it->second != rec)
        changed_bins += (changed_bins.empty() ? "" : ",") + rec;
    }
    for (const auto& [name, rec] : bins_) {
      if (!bins.count(name))
        changed_bins += (changed_bins.empty() ? "" : ",") + ("[" + json_string(name) + ",null]");
    }
    for (const auto& [key, value] : arena) {
      auto it = arena_.find(key);
      if (it == arena_.end() || it->second != value) {
        changed_arena += (changed_arena.empty() ? "" : ",") + json_string(key) + ":" + value;
      }
    }
    std::string out;
    auto add = [&](const char* key, const std::string& body, const char* open, const char* close) {
      if (body.empty()) return;
      out += std::string(out.empty() ? "" : ",") + "\"" + key + "\":" + open + body + close;
    };
    add("c", set, "[", "]");
    add("d", removed, "[", "]");
    add("b", changed_bins, "[", "]");
    add("a", changed_arena, "{", "}");
    return "{" + out + "}";
  }

  SideTimeline* out_;
  std::map<int64_t, std::string> chunks_;
  std::map<std::string, std::string> bins_, arena_;
};

// Adds `key: value` to a delta object ("{}" when the op had none yet).
void add_to_delta(std::string* delta, const char* key, const std::string& value) {
  if (delta->empty()) *delta = "{}";
  delta->insert(delta->size() - 1,
                std::string(delta->size() > 2 ? "," : "") + "\"" + key + "\":" + value);
}

// What the slots hold after each op, from the outcomes: which heap chunk each slot points at
// (its name labels the chunk, also once freed: a dangling pointer is the point of many Programs),
// "s" [[chunk offset, "a,b"]] where that changes; and the mmapped chunks, which the heap view
// does not walk (it reads the brk heap), "m" [[slot, length, page offset]] where the list changes.
void add_slots(const Program& program, SideTimeline* side) {
  std::map<SlotId, int64_t> chunk_of;            // slot -> the heap chunk it points at
  std::map<int64_t, std::set<SlotId>> names_at;  // chunk -> the slots pointing at it
  std::map<SlotId, std::string> mmapped;         // slot -> its record
  std::string mmapped_shown = "[]";
  auto forget = [&](SlotId slot, std::set<int64_t>* touched) {
    auto it = chunk_of.find(slot);
    if (it == chunk_of.end()) return;
    names_at[it->second].erase(slot);
    touched->insert(it->second);
    chunk_of.erase(it);
  };
  const std::vector<Outcome>& outcomes = side->trace.outcomes;
  for (size_t i = 0; i < outcomes.size() && i < program.ops.size(); ++i) {
    const Op& op = program.ops[i];
    const Outcome& o = outcomes[i];
    if (o.is_fatal()) break;
    std::set<int64_t> touched;
    // free and a successful realloc release the chunk (realloc of 0 bytes too: it returns NULL);
    // the slot keeps its dangling pointer into the heap.
    if (op.kind == OpKind::kFree ||
        (op.kind == OpKind::kRealloc && (o.kind != OutcomeKind::kNull || op.a == 0))) {
      mmapped.erase(op.src);
    }
    if (op.allocates()) {
      forget(op.dst, &touched);
      mmapped.erase(op.dst);
      if (o.kind == OutcomeKind::kPointer) {
        const int64_t chunk = o.offset - 0x10;
        chunk_of[op.dst] = chunk;
        names_at[chunk].insert(op.dst);
        touched.insert(chunk);
      } else if (o.kind == OutcomeKind::kMmapped) {
        mmapped[op.dst] = "[" + json_string(program.slot_names[op.dst]) + "," +
                          json_string(hex(o.size)) + "," +
                          json_string(hex(static_cast<uint64_t>(o.offset))) + "]";
      }
    }
    std::string labels;
    for (const int64_t chunk : touched) {
      std::string names;
      for (const SlotId slot : names_at[chunk]) {
        names += std::string(names.empty() ? "" : ",") + std::string(program.slot_names[slot]);
      }
      if (names_at[chunk].empty()) names_at.erase(chunk);
      labels += std::string(labels.empty() ? "" : ",") + "[" + json_string(signed_hex(chunk)) +
                "," + json_string(names) + "]";
    }
    if (side->heap_deltas.size() <= i) side->heap_deltas.resize(i + 1);
    if (!labels.empty()) add_to_delta(&side->heap_deltas[i], "s", "[" + labels + "]");
    std::string now;
    for (const auto& [slot, rec] : mmapped) now += (now.empty() ? "" : ",") + rec;
    now = "[" + now + "]";
    if (now == mmapped_shown) continue;
    mmapped_shown = now;
    add_to_delta(&side->heap_deltas[i], "m", now);
  }
}

}  // namespace

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '&') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

Timeline record_timeline(Executor& executor, const Program& program) {
  Timeline timeline;
  for (const auto& side : executor.sides()) {
    SideTimeline st;
    st.side = side->name();
    st.has_heap = side->reports_state();
    timeline.sides.push_back(std::move(st));
  }
  for (size_t i = 0; i < executor.sides().size(); ++i) {
    SideTimeline& st = timeline.sides[i];
    RunOptions options = executor.run_options();
    options.digests = false;
    options.check_heap = options.check_contents = false;
    StepRecorder recorder(&st);
    if (st.has_heap) {
      options.inspect = [&recorder](size_t op, const MemoryReader& mem, const HeapLocation& loc,
                                    const GlibcLayout& layout) {
        recorder.inspect(op, mem, loc, layout);
      };
    }
    st.trace = executor.sides()[i]->run(program, options);
    if (st.has_heap) add_slots(program, &st);
    st.heap_deltas.resize(program.ops.size());
  }
  return timeline;
}

}  // namespace heaptwin::cli
