// The C text of a Program's ops for the C export (export_c.h): literals, slot variables, write8
// values and each op's statements.
#include <cinttypes>
#include <cstdio>
#include <limits>

#include "program/heap_format.h"
#include "program/hex.h"
#include "tools/export_c_internal.h"
#include "tools/export_c_reads.h"

namespace heaptwin::c_export {

std::string c_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\%03o", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// Slot `a` is the C variable p_a (a prefix keeps every slot name clear of C's keywords and of
// libc's names: a slot may be called `index` or `free_list`). `null` is the variable null_slot,
// NULL like any slot no op has assigned, but opaque to the compiler (see kPrelude).
std::string slot_var(const Program& p, SlotId slot) {
  if (slot == kNullSlot) return "null_slot";
  return "p_" + std::string(p.slot_names[slot]);
}

namespace {

// A size as the .heap wrote it: values above INT64_MAX are `(size_t)-0x1`, as `malloc -1` reads.
std::string c_size(uint64_t v) {
  if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    return "(size_t)-" + hex(0 - v);
  return hex(v);
}

std::string c_signed(int64_t v) {
  return v < 0 ? "-" + hex(0 - static_cast<uint64_t>(v)) : hex(static_cast<uint64_t>(v));
}

// " + 0x10", " - 0x10", or nothing.
std::string c_delta(int64_t d) {
  if (d == 0) return "";
  return d < 0 ? " - " + hex(0 - static_cast<uint64_t>(d)) : " + " + hex(static_cast<uint64_t>(d));
}

std::string address_expr(const Program& p, bool is_heap, SlotId slot, int64_t delta) {
  return (is_heap ? std::string("heap_base") : "addr(" + slot_var(p, slot) + ")") + c_delta(delta);
}

// A write8 value, computed at the time of the op as docs/heap-format.md says.
std::string value_expr(const Program& p, const Value& v) {
  switch (v.kind) {
    case Value::Kind::kLiteral: return hex(v.literal);
    case Value::Kind::kSlot: return address_expr(p, false, v.slot, v.delta);
    case Value::Kind::kHeap: return address_expr(p, true, v.slot, v.delta);
    case Value::Kind::kProtect: {
      std::string target =
          v.target_kind == Value::Kind::kLiteral
              ? hex(v.target_literal)
              : address_expr(p, v.target_kind == Value::Kind::kHeap, v.target_slot, v.target_delta);
      return "protect_ptr(" + address_expr(p, v.pos_is_heap, v.slot, v.delta) + ", " + target + ")";
    }
  }
  return "0";
}

// glibc's <malloc.h> names for mallopt's parameters; a number stays a number.
std::string mallopt_param(int32_t param) {
  const char* name = mallopt_name(param);
  return name ? name : std::to_string(param);
}

}  // namespace

std::string op_code(const Program& p, const Op& op) {
  const std::string dst = slot_var(p, op.dst), src = slot_var(p, op.src);
  auto allocating = [&](const std::string& call) {
    return "  " + dst + " = " + call + ";\n  allocated(" + dst + ");\n";
  };
  switch (op.kind) {
    case OpKind::kMalloc: return allocating("malloc(" + c_size(op.a) + ")");
    case OpKind::kCalloc: return allocating("calloc(" + c_size(op.a) + ", " + c_size(op.b) + ")");
    case OpKind::kRealloc: return allocating("realloc(" + src + ", " + c_size(op.a) + ")");
    case OpKind::kMemalign:
      return allocating("memalign(" + c_size(op.a) + ", " + c_size(op.b) + ")");
    case OpKind::kAlignedAlloc:
      return allocating("aligned_alloc(" + c_size(op.a) + ", " + c_size(op.b) + ")");
    case OpKind::kValloc: return allocating("valloc(" + c_size(op.a) + ")");
    case OpKind::kPvalloc: return allocating("pvalloc(" + c_size(op.a) + ")");
    case OpKind::kPosixMemalign:
      // As the runner: the slot is NULL when posix_memalign returns an error.
      return "  posix_result = NULL;\n  posix_error = posix_memalign(&posix_result, " +
             c_size(op.a) + ", " + c_size(op.b) + ");\n  " + dst +
             " = posix_error ? NULL : posix_result;\n  allocated_with_error(" + dst +
             ", posix_error);\n";
    case OpKind::kFree: return "  free(" + src + ");\n  done();\n";
    case OpKind::kUsableSize: return "  value(malloc_usable_size(" + src + "));\n";
    case OpKind::kWrite8:
      return "  write8(" + src + ", " + c_signed(op.offset) + ", " + value_expr(p, op.value) +
             ");\n  done();\n";
    case OpKind::kMallopt: {
      const int32_t v = static_cast<int32_t>(static_cast<int64_t>(op.a));
      return "  value_of_int(mallopt(" + mallopt_param(op.param) + ", " +
             (v < 0 ? std::to_string(v) : hex(static_cast<uint64_t>(v))) + "));\n";
    }
    case OpKind::kTrim: return "  value_of_int(malloc_trim(" + c_size(op.a) + "));\n";
    case OpKind::kRead8: return read8_code(dst, src, op.offset);
  }
  return "  /* an op this exporter does not know */\n";
}

bool reads_memory(const Program& program) {
  for (const Op& op : program.ops) {
    if (op.kind == OpKind::kRead8) return true;
  }
  return false;
}

bool touches_memory(const Program& program) {
  for (const Op& op : program.ops) {
    if (op.kind == OpKind::kWrite8 || op.kind == OpKind::kRead8) return true;
  }
  return false;
}

}  // namespace heaptwin::c_export
