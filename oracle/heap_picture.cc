#include "oracle/heap_picture.h"
#include "program/hex.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <map>

#include "oracle/heap_check.h"
#include "oracle/trace_text.h"

namespace heaptwin {

namespace {

std::string flag_text(uint64_t flags) {
  std::string s;
  if (flags & 1) s += "PREV_INUSE";
  if (flags & 2) s += std::string(s.empty() ? "" : "|") + "IS_MMAPPED";
  if (flags & 4) s += std::string(s.empty() ? "" : "|") + "NON_MAIN_ARENA";
  return s.empty() ? "-" : s;
}

// Which bin holds each chunk (by heap offset), with its position: "tcachebins[0x20][0/2]".
std::map<int64_t, std::string> bin_of(const ArenaSnapshot& s) {
  std::map<int64_t, std::string> where;
  auto note = [&](const BinList& l, const std::string& name) {
    for (size_t k = 0; k < l.chunks.size(); ++k) {
      if (l.chunks[k].wild) continue;
      std::string& w = where[l.chunks[k].offset];
      w += (w.empty() ? "" : ", ") + name + "[" + std::to_string(k) + "/" +
           std::to_string(l.chunks.size()) + "]";
    }
  };
  for (int i = 0; i < kTcacheBins; ++i) note(s.tcache[i], tcache_bin_name(i));
  for (int i = 0; i < kFastBins; ++i) note(s.fastbins[i], fastbin_name(i));
  for (int i = 1; i < kBins - 1; ++i) note(s.bins[i], regular_bin_name(i));
  return where;
}

class Drawer {
 public:
  Drawer(const MemoryReader& mem, const HeapLocation& loc, const GlibcLayout& layout)
      : mem_(mem), loc_(loc), layout_(layout) {}

  std::string at(uint64_t addr) const {
    if (addr == 0) return "0";
    if (addr == loc_.arena || (addr >= loc_.arena && addr < loc_.arena + 0x898)) {
      return "main_arena+" + hex(addr - loc_.arena);
    }
    if (addr >= loc_.heap_base && addr <= loc_.heap_end)
      return "heap+" + hex(addr - loc_.heap_base);
    return hex(addr);
  }
  uint64_t u64(uint64_t addr) const {
    uint64_t v = 0;
    if (!mem_.read_u64(addr, &v)) return 0;
    return v;
  }

  std::string heap_section(const std::vector<HeapChunk>& chunks, const std::string& broken,
                           const std::map<int64_t, std::string>& where) const {
    char line[256];
    std::string out = "heap (base " + hex(loc_.heap_base) + ", break heap+" +
                      hex(loc_.heap_end - loc_.heap_base) + ")\n";
    std::snprintf(line, sizeof line, "  %-14s %-9s %-26s %-28s %s\n", "addr", "size", "flags",
                  "state", "fd / bk");
    out += line;
    for (const HeapChunk& c : chunks) {
      const uint64_t addr = loc_.heap_base + static_cast<uint64_t>(c.offset);
      std::string state, links;
      auto it = where.find(c.offset);
      if (c.is_top) {
        state = "top";
      } else if (it != where.end()) {
        state = "free " + it->second;
        const bool cached = it->second.rfind("tcache", 0) == 0 || it->second.rfind("fast", 0) == 0;
        if (it->second.rfind("tcache", 0) == 0) {
          const uint64_t next = u64(addr + 0x10);
          links = "next " + at(layout_.safe_linking ? reveal_ptr(addr + 0x10, next) : next) +
                  (layout_.safe_linking ? " (stored " + hex(next) + ")" : "");
        } else if (cached) {
          const uint64_t fd = u64(addr + 0x10);
          links = "fd " + at(layout_.safe_linking ? reveal_ptr(addr + 0x10, fd) : fd) +
                  (layout_.safe_linking ? " (stored " + hex(fd) + ")" : "");
        } else {
          links = "fd " + at(u64(addr + 0x10)) + "  bk " + at(u64(addr + 0x18));
          if (c.size >= 0x400) {
            const uint64_t fdn = u64(addr + 0x20), bkn = u64(addr + 0x28);
            if (fdn || bkn) links += "  fd_nextsize " + at(fdn) + "  bk_nextsize " + at(bkn);
          }
        }
      } else if (c.offset == 0 && layout_.tcache && loc_.tcache == addr + 0x10) {
        state = "allocated (tcache struct)";
      } else {
        state = "allocated";
      }
      std::snprintf(line, sizeof line, "  %-14s %-9s %-26s %-28s %s\n",
                    ("heap+" + hex(static_cast<uint64_t>(c.offset))).c_str(), hex(c.size).c_str(),
                    flag_text(c.flags).c_str(), state.c_str(), links.c_str());
      std::string row = line;
      while (row.size() > 1 && row[row.size() - 2] == ' ') row.erase(row.size() - 2, 1);
      out += row;
    }
    if (!broken.empty()) out += "  (walk stopped: " + broken + ")\n";
    return out;
  }

  // vis_heap_chunks: 16 bytes a row, chunk starts marked, bin links and top annotated.
  std::string vis_section(const std::vector<HeapChunk>& chunks,
                          const std::map<int64_t, std::string>& where, size_t n_chunks,
                          size_t max_rows) const {
    std::string out = "vis_heap_chunks (first " +
                      std::to_string(std::min(n_chunks, chunks.size())) + " chunks)\n";
    size_t rows = 0;
    for (size_t k = 0; k < chunks.size() && k < n_chunks && rows < max_rows; ++k) {
      const HeapChunk& c = chunks[k];
      const uint64_t start = loc_.heap_base + static_cast<uint64_t>(c.offset);
      // Top: its header only. The tcache struct: its header and first row.
      uint64_t len = c.is_top ? 0x10 : c.size;
      bool elided = false;
      if (len > 0x60) {
        len = 0x40;
        elided = true;
      }
      for (uint64_t off = 0; off < len && rows < max_rows; off += 0x10, ++rows) {
        unsigned char b[16] = {0};
        const bool ok = mem_.read(start + off, b, sizeof b);
        uint64_t q0, q1;
        std::memcpy(&q0, b, 8);
        std::memcpy(&q1, b + 8, 8);
        std::string ascii;
        for (unsigned char ch : b) ascii += (ch >= 0x20 && ch < 0x7f) ? static_cast<char>(ch) : '.';
        char line[160];
        if (ok) {
          std::snprintf(line, sizeof line, "  %c %-14s 0x%016" PRIx64 "  0x%016" PRIx64 "  %s",
                        off == 0 ? '>' : ' ', ("heap+" + hex(start + off - loc_.heap_base)).c_str(),
                        q0, q1, ascii.c_str());
        } else {
          std::snprintf(line, sizeof line, "  %c %-14s (unreadable)", off == 0 ? '>' : ' ',
                        ("heap+" + hex(start + off - loc_.heap_base)).c_str());
        }
        out += line;
        if (off == 0 && c.is_top) out += "  <-- Top chunk";
        auto it = where.find(c.offset);
        if (off == 0x10 && it != where.end()) out += "  <-- " + it->second;
        out += "\n";
      }
      if (elided && rows < max_rows) {
        out += "    ... (" + hex(c.size - len) + " more bytes of this chunk)\n";
        ++rows;
      }
    }
    return out;
  }

 private:
  const MemoryReader& mem_;
  const HeapLocation& loc_;
  const GlibcLayout& layout_;
};

}  // namespace

std::string draw_heap(const MemoryReader& mem, const HeapLocation& loc, const GlibcLayout& layout,
                      const PictureOptions& options) {
  std::string out;
  if (loc.heap_end <= loc.heap_base) return "no heap yet (nothing allocated)\n";
  const ArenaSnapshot s = read_arena(mem, loc, layout);
  const std::map<int64_t, std::string> where =
      s.valid ? bin_of(s) : std::map<int64_t, std::string>{};
  std::string broken;
  const std::vector<HeapChunk> chunks = walk_chunks(mem, loc, layout, &broken);
  Drawer d(mem, loc, layout);
  if (options.heap) out += d.heap_section(chunks, broken, where);
  if (options.bins) {
    out += "bins (chunk offsets from the heap base, sizes in parentheses)\n";
    out += format_state(s, "  ", /*full=*/false);
  }
  if (options.vis_chunks > 0)
    out += d.vis_section(chunks, where, options.vis_chunks, options.vis_max_rows);
  if (options.check) {
    const auto vs = check_heap(mem, loc, layout);
    if (vs.empty()) {
      out += "check: clean\n";
    } else {
      out += "check: " + std::to_string(vs.size()) + " violation(s)\n";
      for (const auto& v : vs) out += "  " + to_string(v) + "\n";
    }
  }
  return out;
}

}  // namespace heaptwin
