#include "program/heap_format.h"

#include <cctype>
#include <cstdio>
#include <limits>
#include <vector>

namespace heaptwin {

namespace {

// Words that can never be slot names.
bool is_reserved(const std::string& w) {
  static const char* kReserved[] = {
      "null",   "heap",          "protect",        "malloc",  "calloc",  "realloc",
      "free",   "memalign",      "aligned_alloc",  "posix_memalign", "valloc", "pvalloc",
      "malloc_usable_size", "usable", "write8",   "mallopt", "trim"};
  for (const char* r : kReserved) {
    if (w == r) return true;
  }
  return false;
}

bool is_name(const std::string& w) {
  if (w.empty() || !(std::isalpha(static_cast<unsigned char>(w[0])) || w[0] == '_')) return false;
  for (char c : w) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// Values >= 2^63 print as negative hex so that `malloc -1` reads back as written.
std::string number(uint64_t v) {
  if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return "-" + hex(0 - v);
  return hex(v);
}

std::string signed_number(int64_t v) {
  if (v < 0) return "-" + hex(0 - static_cast<uint64_t>(v));
  return hex(static_cast<uint64_t>(v));
}

std::string delta_suffix(int64_t d) {
  if (d == 0) return "";
  if (d < 0) return "-" + hex(0 - static_cast<uint64_t>(d));
  return "+" + hex(static_cast<uint64_t>(d));
}

// Parses one line. Errors carry the message only; the caller adds file:line.
class LineParser {
 public:
  LineParser(const std::string& line, Program* program) : line_(line), program_(program) {}

  bool parse(std::vector<Op>* out, std::string* error) {
    error_ = error;
    std::vector<std::string> words = split();
    if (words.empty()) return true;  // blank or comment
    words_ = words;
    Op op;
    if (words.size() >= 2 && words[1] == "=") {
      if (!assignment(&op)) return false;
    } else if (!statement(&op)) {
      return false;
    }
    out->push_back(op);
    return true;
  }

 private:
  std::vector<std::string> split() {
    std::string text = line_.substr(0, line_.find('#'));
    // protect(a, b) is one word even with spaces inside the parentheses.
    std::vector<std::string> words;
    std::string cur;
    int depth = 0;
    for (char c : text) {
      if (c == '(') ++depth;
      if (c == ')') --depth;
      if (std::isspace(static_cast<unsigned char>(c)) && depth <= 0) {
        if (!cur.empty()) words.push_back(cur);
        cur.clear();
      } else if (!std::isspace(static_cast<unsigned char>(c))) {
        cur += c;
      }
    }
    if (!cur.empty()) words.push_back(cur);
    return words;
  }

  bool fail(const std::string& msg) {
    *error_ = msg;
    return false;
  }

  std::string found(size_t i) const {
    return i < words_.size() ? "'" + words_[i] + "'" : "end of line";
  }

  // A 64-bit number: decimal or 0x hex, '-' meaning two's complement.
  bool parse_number(const std::string& w, uint64_t* out, std::string* why) {
    std::string s = w;
    bool negative = false;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
      negative = s[0] == '-';
      s = s.substr(1);
    }
    int base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
      base = 16;
      s = s.substr(2);
    }
    if (s.empty()) {
      *why = "not a number";
      return false;
    }
    uint64_t v = 0;
    for (char c : s) {
      int d;
      if (c >= '0' && c <= '9') d = c - '0';
      else if (base == 16 && c >= 'a' && c <= 'f') d = c - 'a' + 10;
      else if (base == 16 && c >= 'A' && c <= 'F') d = c - 'A' + 10;
      else {
        *why = "not a number";
        return false;
      }
      if (v > (std::numeric_limits<uint64_t>::max() - d) / base) {
        *why = "out of range (more than 64 bits)";
        return false;
      }
      v = v * base + d;
    }
    if (negative && v > (uint64_t{1} << 63)) {
      *why = "out of range (below -2^63)";
      return false;
    }
    *out = negative ? 0 - v : v;
    return true;
  }

  bool number_at(size_t i, const char* what, uint64_t* out) {
    if (i >= words_.size()) return fail(std::string("expected ") + what + ", found end of line");
    std::string why;
    if (!parse_number(words_[i], out, &why)) {
      return fail(std::string("expected ") + what + ", found '" + words_[i] + "' (" + why + ")");
    }
    return true;
  }

  bool existing_slot(const std::string& w, SlotId* out) {
    if (!is_name(w)) return fail("expected a slot name, found '" + w + "'");
    int id = program_->find(w);
    if (id < 0) {
      if (is_reserved(w)) return fail("expected a slot name, found the keyword '" + w + "'");
      return fail("unknown slot '" + w + "' (no earlier line assigns it)");
    }
    *out = static_cast<SlotId>(id);
    return true;
  }

  bool slot_at(size_t i, SlotId* out) {
    if (i >= words_.size()) return fail("expected a slot name, found end of line");
    return existing_slot(words_[i], out);
  }

  bool no_more(size_t i) {
    if (i < words_.size()) return fail("unexpected extra operand '" + words_[i] + "'");
    return true;
  }

  bool assignment(Op* op) {
    const std::string& name = words_[0];
    if (name == "null") return fail("'null' always holds NULL and cannot be assigned");
    if (!is_name(name) || is_reserved(name)) {
      return fail("expected a slot name before '=', found '" + name + "'");
    }
    if (words_.size() < 3) return fail("expected an allocation after '=', found end of line");
    const std::string& verb = words_[2];
    size_t i = 3;
    if (verb == "malloc" || verb == "valloc" || verb == "pvalloc") {
      op->kind = verb == "malloc" ? OpKind::kMalloc
                                  : verb == "valloc" ? OpKind::kValloc : OpKind::kPvalloc;
      if (!number_at(i++, ("a size after '" + verb + "'").c_str(), &op->a)) return false;
    } else if (verb == "calloc") {
      op->kind = OpKind::kCalloc;
      if (!number_at(i++, "an element count after 'calloc'", &op->a)) return false;
      if (!number_at(i++, "an element size after the count", &op->b)) return false;
    } else if (verb == "realloc") {
      op->kind = OpKind::kRealloc;
      if (!slot_at(i++, &op->src)) return false;
      if (!number_at(i++, "a size after the slot", &op->a)) return false;
    } else if (verb == "memalign" || verb == "aligned_alloc" || verb == "posix_memalign") {
      op->kind = verb == "memalign"        ? OpKind::kMemalign
                 : verb == "aligned_alloc" ? OpKind::kAlignedAlloc
                                           : OpKind::kPosixMemalign;
      if (!number_at(i++, ("an alignment after '" + verb + "'").c_str(), &op->a)) return false;
      if (!number_at(i++, "a size after the alignment", &op->b)) return false;
    } else {
      return fail("unknown allocation '" + verb +
                  "' (expected malloc, calloc, realloc, memalign, aligned_alloc, "
                  "posix_memalign, valloc or pvalloc)");
    }
    if (!no_more(i)) return false;
    // Intern after the operands: `a = realloc a 0x10` needs `a` to exist already.
    if (program_->find(name) < 0 && program_->slot_count() >= kMaxSlots) {
      return fail("too many slots (at most " + std::to_string(kMaxSlots - 1) + ")");
    }
    op->dst = program_->intern(name);
    return true;
  }

  bool statement(Op* op) {
    const std::string& verb = words_[0];
    size_t i = 1;
    if (verb == "free") {
      op->kind = OpKind::kFree;
      if (!slot_at(i++, &op->src)) return false;
    } else if (verb == "malloc_usable_size" || verb == "usable") {
      op->kind = OpKind::kUsableSize;
      if (!slot_at(i++, &op->src)) return false;
    } else if (verb == "write8") {
      op->kind = OpKind::kWrite8;
      if (!slot_at(i++, &op->src)) return false;
      uint64_t off;
      if (!number_at(i++, "an offset after the slot", &off)) return false;
      op->offset = static_cast<int64_t>(off);
      if (i >= words_.size()) return fail("expected a value to write, found end of line");
      if (!value(words_[i++], &op->value)) return false;
    } else if (verb == "mallopt") {
      op->kind = OpKind::kMallopt;
      if (!mallopt_param(i++, &op->param)) return false;
      uint64_t v;
      if (!number_at(i++, "a value after the parameter", &v)) return false;
      int64_t sv = static_cast<int64_t>(v);
      if (sv < std::numeric_limits<int32_t>::min() || sv > std::numeric_limits<int32_t>::max()) {
        return fail("mallopt value '" + words_[i - 1] + "' is out of range (mallopt takes an int)");
      }
      op->a = v;
    } else if (verb == "trim") {
      op->kind = OpKind::kTrim;
      if (!number_at(i++, "a pad after 'trim'", &op->a)) return false;
    } else if (std::string("malloc calloc realloc memalign aligned_alloc posix_memalign valloc "
                           "pvalloc").find(verb) != std::string::npos && is_name(verb)) {
      return fail("'" + verb + "' needs a slot to assign: expected 'NAME = " + verb + " ...'");
    } else {
      return fail("unknown op '" + verb +
                  "' (expected NAME = ..., free, write8, malloc_usable_size, mallopt or trim)");
    }
    return no_more(i);
  }

  bool mallopt_param(size_t i, int32_t* out) {
    if (i >= words_.size()) return fail("expected a mallopt parameter, found end of line");
    const std::string& w = words_[i];
    for (int32_t p = -8; p <= 1; ++p) {
      const char* name = mallopt_name(p);
      if (name && w == name) {
        *out = p;
        return true;
      }
    }
    uint64_t v;
    std::string why;
    if (parse_number(w, &v, &why)) {
      int64_t sv = static_cast<int64_t>(v);
      if (sv >= std::numeric_limits<int32_t>::min() && sv <= std::numeric_limits<int32_t>::max()) {
        *out = static_cast<int32_t>(sv);
        return true;
      }
    }
    return fail("expected a mallopt parameter (M_MXFAST, M_TRIM_THRESHOLD, M_TOP_PAD, "
                "M_MMAP_THRESHOLD, M_MMAP_MAX, M_CHECK_ACTION, M_PERTURB, M_ARENA_TEST, "
                "M_ARENA_MAX or a number), found '" + w + "'");
  }

  // ADDR := (SLOT | heap) [(+|-) NUMBER]
  bool address(const std::string& w, Value::Kind* kind, SlotId* slot, int64_t* delta) {
    size_t cut = w.find_first_of("+-");
    std::string base = w.substr(0, cut);
    *delta = 0;
    if (cut != std::string::npos) {
      uint64_t d;
      std::string why;
      if (!parse_number(w.substr(cut + 1), &d, &why)) {
        return fail("expected a number after '" + std::string(1, w[cut]) + "' in '" + w + "' (" +
                    why + ")");
      }
      *delta = static_cast<int64_t>(w[cut] == '-' ? 0 - d : d);
    }
    if (base == "heap") {
      *kind = Value::Kind::kHeap;
      return true;
    }
    *kind = Value::Kind::kSlot;
    return existing_slot(base, slot);
  }

  bool starts_like_number(const std::string& w) {
    return !w.empty() && (std::isdigit(static_cast<unsigned char>(w[0])) || w[0] == '-' ||
                          w[0] == '+');
  }

  // VALUE := NUMBER | ADDR | protect(ADDR, NUMBER | ADDR)
  bool value(const std::string& w, Value* v) {
    if (starts_like_number(w)) {
      std::string why;
      v->kind = Value::Kind::kLiteral;
      if (!parse_number(w, &v->literal, &why)) {
        return fail("expected a value (number, SLOT+N, heap+N or protect(POS, TARGET)), found '" +
                    w + "' (" + why + ")");
      }
      return true;
    }
    if (w.rfind("protect(", 0) == 0) {
      if (w.back() != ')') return fail("expected ')' to close '" + w + "'");
      std::string inner = w.substr(8, w.size() - 9);
      size_t comma = inner.find(',');
      if (comma == std::string::npos) {
        return fail("expected 'protect(POS, TARGET)', found '" + w + "'");
      }
      std::string pos = inner.substr(0, comma), target = inner.substr(comma + 1);
      v->kind = Value::Kind::kProtect;
      Value::Kind pk;
      if (pos.empty()) return fail("expected a position in '" + w + "'");
      if (!address(pos, &pk, &v->slot, &v->delta)) return false;
      v->pos_is_heap = pk == Value::Kind::kHeap;
      if (target.empty()) return fail("expected a target in '" + w + "'");
      if (starts_like_number(target)) {
        std::string why;
        v->target_kind = Value::Kind::kLiteral;
        if (!parse_number(target, &v->target_literal, &why)) {
          return fail("expected a target in '" + w + "', found '" + target + "' (" + why + ")");
        }
        return true;
      }
      return address(target, &v->target_kind, &v->target_slot, &v->target_delta);
    }
    return address(w, &v->kind, &v->slot, &v->delta);
  }

  const std::string& line_;
  Program* program_;
  std::vector<std::string> words_;
  std::string* error_ = nullptr;
};

std::string print_address(const Program& p, bool is_heap, SlotId slot, int64_t delta) {
  return (is_heap ? std::string("heap") : p.slot_names[slot]) + delta_suffix(delta);
}

std::string print_value(const Program& p, const Value& v) {
  switch (v.kind) {
    case Value::Kind::kLiteral:
      return hex(v.literal);
    case Value::Kind::kSlot:
      return print_address(p, false, v.slot, v.delta);
    case Value::Kind::kHeap:
      return print_address(p, true, v.slot, v.delta);
    case Value::Kind::kProtect: {
      std::string target = v.target_kind == Value::Kind::kLiteral
                               ? hex(v.target_literal)
                               : print_address(p, v.target_kind == Value::Kind::kHeap,
                                               v.target_slot, v.target_delta);
      return "protect(" + print_address(p, v.pos_is_heap, v.slot, v.delta) + ", " + target + ")";
    }
  }
  return "?";
}

}  // namespace

std::optional<Program> parse_heap(const std::string& text, const std::string& filename,
                                  std::string* error) {
  Program program;
  size_t start = 0;
  int line_no = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    ++line_no;
    std::string why;
    LineParser parser(line, &program);
    if (line.find('\0') != std::string::npos) {
      *error = filename + ":" + std::to_string(line_no) + ": unexpected NUL byte (not a text file?)";
      return std::nullopt;
    }
    if (!parser.parse(&program.ops, &why)) {
      *error = filename + ":" + std::to_string(line_no) + ": " + why;
      return std::nullopt;
    }
    if (end == text.size()) break;
    start = end + 1;
  }
  return program;
}

std::string print_op(const Program& p, const Op& op) {
  const std::string verb = op_name(op.kind);
  switch (op.kind) {
    case OpKind::kMalloc:
    case OpKind::kValloc:
    case OpKind::kPvalloc:
      return p.slot_names[op.dst] + " = " + verb + " " + number(op.a);
    case OpKind::kCalloc:
    case OpKind::kMemalign:
    case OpKind::kAlignedAlloc:
    case OpKind::kPosixMemalign:
      return p.slot_names[op.dst] + " = " + verb + " " + number(op.a) + " " + number(op.b);
    case OpKind::kRealloc:
      return p.slot_names[op.dst] + " = realloc " + p.slot_names[op.src] + " " + number(op.a);
    case OpKind::kFree:
    case OpKind::kUsableSize:
      return verb + " " + p.slot_names[op.src];
    case OpKind::kWrite8:
      return "write8 " + p.slot_names[op.src] + " " + signed_number(op.offset) + " " +
             print_value(p, op.value);
    case OpKind::kMallopt: {
      const char* name = mallopt_name(op.param);
      int32_t v = static_cast<int32_t>(static_cast<int64_t>(op.a));
      return "mallopt " + (name ? std::string(name) : std::to_string(op.param)) + " " +
             (v < 0 ? std::to_string(v) : hex(static_cast<uint64_t>(v)));
    }
    case OpKind::kTrim:
      return "trim " + number(op.a);
  }
  return "?";
}

std::string print_heap(const Program& program) {
  std::string out;
  for (const Op& op : program.ops) out += print_op(program, op) + "\n";
  return out;
}

}  // namespace heaptwin
