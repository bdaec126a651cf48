#include "tools/check_report.h"

#include <cinttypes>
#include <cstdio>
#include <sstream>

#include "program/hex.h"

namespace heaptwin::cli {

namespace {

std::string heap_offset(uint64_t address, uint64_t heap_base) {
  if (address >= heap_base && heap_base != 0) return "heap+" + hex(address - heap_base);
  return hex(address);
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", c);
      out += b;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string heading(const CheckReportData& r, const SymbolizedStack& s) {
  const uint64_t base = r.header.heap_base;
  const std::string call = "call " + std::to_string(s.call_index);
  switch (s.kind) {
    case preload::StackKind::kCall: return call + " (" + r.header.call + "), made at:";
    case preload::StackKind::kChunkAllocated:
      if (s.chunk != r.header.chunk && r.header.chunk != 0) {
        return "chunk " + hex(s.chunk) + " (" + heap_offset(s.chunk, base) +
               "), whose size field leads to " + heap_offset(r.header.chunk, base) +
               ", was allocated by " + call + " at:";
      }
      return "chunk " + hex(s.chunk) + " (" + heap_offset(s.chunk, base) + ") was allocated by " +
             call + " at:";
    case preload::StackKind::kChunkFreed: return "and last freed by " + call + " at:";
    case preload::StackKind::kBelowAllocated:
      return "the chunk below it, " + hex(s.chunk) + " (" + heap_offset(s.chunk, base) +
             ", whose overflow would reach its header), was allocated by " + call + " at:";
  }
  return call + ":";
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace

const char* stack_kind_name(preload::StackKind kind) {
  switch (kind) {
    case preload::StackKind::kCall: return "call";
    case preload::StackKind::kChunkAllocated: return "chunk_allocated";
    case preload::StackKind::kChunkFreed: return "chunk_freed";
    case preload::StackKind::kBelowAllocated: return "below_allocated";
  }
  return "unknown";
}

std::string format_stacks(const CheckReportData& r) {
  std::string out;
  bool chunk_site = false;
  for (const SymbolizedStack& s : r.stacks) {
    chunk_site |= s.kind == preload::StackKind::kChunkAllocated;
    out += heading(r, s) + "\n";
    for (size_t i = 0; i < s.frames.size(); ++i)
      out += "    " + format_frame(i, s.frames[i]) + "\n";
    if (s.frames.empty()) out += "    (no frame in a mapped file)\n";
  }
  if (r.header.chunk != 0 && !chunk_site) {
    out += "chunk " + hex(r.header.chunk) + " (" + heap_offset(r.header.chunk, r.header.heap_base) +
           "): no allocation site recorded (allocated before the checker started, or never)\n";
  }
  return out;
}

std::string reports_json(const std::vector<CheckReportData>& reports,
                         const std::vector<std::string>& command) {
  std::string j = "{\n  \"version\": 1,\n  \"command\": [";
  for (size_t i = 0; i < command.size(); ++i) j += (i ? ", " : "") + json_string(command[i]);
  j += "],\n  \"reports\": [";
  for (size_t k = 0; k < reports.size(); ++k) {
    const CheckReportData& r = reports[k];
    const preload::CheckReport& h = r.header;
    j += k ? ",\n    {" : "\n    {";
    j += "\n      \"call_index\": " + std::to_string(h.op_index);
    j += ",\n      \"call\": " + json_string(h.call);
    j += ",\n      \"rule\": " + json_string(h.rule);
    j += ",\n      \"message\": " + json_string(h.message);
    j += ",\n      \"heap_base\": " + json_string(hex(h.heap_base));
    j += ",\n      \"chunk\": " + (h.chunk ? json_string(hex(h.chunk)) : std::string("null"));
    j += ",\n      \"chunk_offset\": " + (h.chunk && h.chunk >= h.heap_base
                                              ? std::to_string(h.chunk - h.heap_base)
                                              : std::string("null"));
    j += ",\n      \"text\": [";
    std::vector<std::string> lines = lines_of(r.text);
    for (size_t i = 0; i < lines.size(); ++i) j += (i ? ", " : "") + json_string(lines[i]);
    j += "],\n      \"stacks\": [";
    for (size_t s = 0; s < r.stacks.size(); ++s) {
      const SymbolizedStack& st = r.stacks[s];
      j += s ? ",\n        {" : "\n        {";
      j += "\"kind\": " + json_string(stack_kind_name(st.kind));
      j += ", \"call_index\": " + std::to_string(st.call_index);
      j += ", \"chunk\": " + (st.chunk ? json_string(hex(st.chunk)) : std::string("null"));
      j += ", \"frames\": [";
      for (size_t i = 0; i < st.frames.size(); ++i) {
        const StackFrame& f = st.frames[i];
        j += i ? ",\n          {" : "\n          {";
        j += "\"pc\": " + json_string(hex(f.pc));
        j += ", \"function\": " +
             (f.function.empty() ? std::string("null") : json_string(f.function));
        j += ", \"file\": " + (f.file.empty() ? std::string("null") : json_string(f.file));
        j += ", \"line\": " + (f.line ? std::to_string(f.line) : std::string("null"));
        j += ", \"module\": " + json_string(f.module);
        j += ", \"module_address\": " + json_string(hex(f.module_address)) + "}";
      }
      j += st.frames.empty() ? "]}" : "]}";
    }
    j += r.stacks.empty() ? "]\n    }" : "\n      ]\n    }";
  }
  j += reports.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return j;
}

}  // namespace heaptwin::cli
