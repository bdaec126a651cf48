// The .heap printer: parse_heap(print_heap(p)) == p. Lines are appended to one string (a
// recorded trace prints millions of them).
#include <cstdio>
#include <limits>
#include <string>

#include "program/heap_format.h"

namespace heaptwin {

namespace {

void append_hex(std::string* out, uint64_t v) {
  char buf[24];
  int n = std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  out->append(buf, static_cast<size_t>(n));
}

// Values >= 2^63 print as negative hex so that `malloc -1` reads back as written.
void append_number(std::string* out, uint64_t v) {
  if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    *out += '-';
    v = 0 - v;
  }
  append_hex(out, v);
}

void append_signed(std::string* out, int64_t v) {
  if (v < 0) *out += '-';
  append_hex(out, v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v));
}

void append_delta(std::string* out, int64_t d) {
  if (d == 0) return;
  if (d > 0) *out += '+';
  append_signed(out, d);
}

void append_slot(std::string* out, const Program& p, SlotId slot) {
  std::string_view name = p.slot_names[slot];
  out->append(name.data(), name.size());
}

void append_address(std::string* out, const Program& p, bool is_heap, SlotId slot, int64_t delta) {
  if (is_heap)
    *out += "heap";
  else
    append_slot(out, p, slot);
  append_delta(out, delta);
}

void append_value(std::string* out, const Program& p, const Value& v) {
  switch (v.kind) {
    case Value::Kind::kLiteral: return append_hex(out, v.literal);
    case Value::Kind::kSlot: return append_address(out, p, false, v.slot, v.delta);
    case Value::Kind::kHeap: return append_address(out, p, true, v.slot, v.delta);
    case Value::Kind::kProtect:
      *out += "protect(";
      append_address(out, p, v.pos_is_heap, v.slot, v.delta);
      *out += ", ";
      if (v.target_kind == Value::Kind::kLiteral) {
        append_hex(out, v.target_literal);
      } else {
        append_address(out, p, v.target_kind == Value::Kind::kHeap, v.target_slot, v.target_delta);
      }
      *out += ')';
      return;
  }
  *out += '?';
}

void append_op(std::string* out, const Program& p, const Op& op) {
  const char* verb = op_name(op.kind);
  if (op.thread != 0) {
    *out += 't';
    *out += std::to_string(op.thread);
    *out += ": ";
  }
  switch (op.kind) {
    case OpKind::kMalloc:
    case OpKind::kValloc:
    case OpKind::kPvalloc:
      append_slot(out, p, op.dst);
      *out += " = ";
      *out += verb;
      *out += ' ';
      return append_number(out, op.a);
    case OpKind::kCalloc:
    case OpKind::kMemalign:
    case OpKind::kAlignedAlloc:
    case OpKind::kPosixMemalign:
      append_slot(out, p, op.dst);
      *out += " = ";
      *out += verb;
      *out += ' ';
      append_number(out, op.a);
      *out += ' ';
      return append_number(out, op.b);
    case OpKind::kRealloc:
      append_slot(out, p, op.dst);
      *out += " = realloc ";
      append_slot(out, p, op.src);
      *out += ' ';
      return append_number(out, op.a);
    case OpKind::kFree:
    case OpKind::kUsableSize:
      *out += verb;
      *out += ' ';
      return append_slot(out, p, op.src);
    case OpKind::kWrite8:
      *out += "write8 ";
      append_slot(out, p, op.src);
      *out += ' ';
      append_signed(out, op.offset);
      *out += ' ';
      return append_value(out, p, op.value);
    case OpKind::kMallopt: {
      const char* name = mallopt_name(op.param);
      int32_t v = static_cast<int32_t>(static_cast<int64_t>(op.a));
      *out += "mallopt ";
      *out += name ? std::string(name) : std::to_string(op.param);
      *out += ' ';
      if (v < 0)
        *out += std::to_string(v);
      else
        append_hex(out, static_cast<uint64_t>(v));
      return;
    }
    case OpKind::kTrim: *out += "trim "; return append_number(out, op.a);
    case OpKind::kRead8:
      append_slot(out, p, op.dst);
      *out += " = read8 ";
      append_slot(out, p, op.src);
      *out += ' ';
      return append_signed(out, op.offset);
  }
  *out += '?';
}

}  // namespace

std::string print_op(const Program& p, const Op& op) {
  std::string out;
  append_op(&out, p, op);
  return out;
}

std::string print_heap(const Program& program) {
  std::string out;
  for (const Op& op : program.ops) {
    append_op(&out, program, op);
    out += '\n';
  }
  return out;
}

}  // namespace heaptwin
