// The .heap parser. A recorded trace is millions of lines, so a line is read without allocating:
// its words are views into the text, slot names are found through SlotNames' index, and strings
// are built only for error messages.
#include "program/heap_format.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string_view>
#include <vector>

namespace heaptwin {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string quoted(std::string_view w) { return "'" + std::string(w) + "'"; }

// Words that can never be slot names.
bool is_reserved(std::string_view w) {
  static constexpr std::string_view kReserved[] = {"null",
                                                   "heap",
                                                   "protect",
                                                   "malloc",
                                                   "calloc",
                                                   "realloc",
                                                   "free",
                                                   "memalign",
                                                   "aligned_alloc",
                                                   "posix_memalign",
                                                   "valloc",
                                                   "pvalloc",
                                                   "malloc_usable_size",
                                                   "usable",
                                                   "write8",
                                                   "read8",
                                                   "mallopt",
                                                   "trim"};
  for (std::string_view r : kReserved) {
    if (w == r) return true;
  }
  return false;
}

bool is_name(std::string_view w) {
  if (w.empty() || !(is_alpha(w[0]) || w[0] == '_')) return false;
  for (char c : w) {
    if (!(is_alpha(c) || is_digit(c) || c == '_')) return false;
  }
  return true;
}

bool starts_like_number(std::string_view w) {
  return !w.empty() && (is_digit(w[0]) || w[0] == '-' || w[0] == '+');
}

// A 64-bit number: decimal or 0x hex, '-' meaning two's complement.
bool parse_number(std::string_view s, uint64_t* out, const char** why) {
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  uint64_t base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  if (s.empty()) {
    *why = "not a number";
    return false;
  }
  uint64_t v = 0;
  for (char c : s) {
    uint64_t d;
    if (is_digit(c))
      d = static_cast<uint64_t>(c - '0');
    else if (base == 16 && c >= 'a' && c <= 'f')
      d = static_cast<uint64_t>(c - 'a' + 10);
    else if (base == 16 && c >= 'A' && c <= 'F')
      d = static_cast<uint64_t>(c - 'A' + 10);
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

// Parses a script line by line into one Program. Errors carry the message only; parse_heap adds
// file:line.
class ScriptParser {
 public:
  explicit ScriptParser(Program* program) : program_(program) {}

  bool parse_line(std::string_view line, std::string* error) {
    error_ = error;
    split(line);
    if (words_.empty()) return true;  // blank or comment
    Op op;
    if (words_[0].find(':') != std::string_view::npos && !thread_prefix(&op.thread)) return false;
    if (words_.size() >= 2 && words_[1] == "=") {
      if (!assignment(&op)) return false;
    } else if (!statement(&op)) {
      return false;
    }
    program_->ops.push_back(op);
    return true;
  }

 private:
  // The words of a line, comment removed. protect(a, b) is one word even with spaces inside the
  // parentheses: those spaces are dropped (into a copy of the line, only for such lines).
  void split(std::string_view line) {
    words_.clear();
    line = line.substr(0, line.find('#'));
    if (line.find('(') != std::string_view::npos) {
      unparenthesised_.clear();
      int depth = 0;
      for (char c : line) {
        if (c == '(') ++depth;
        if (c == ')') --depth;
        if (!is_space(c) || depth <= 0) unparenthesised_ += c;
      }
      line = unparenthesised_;
    }
    size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && is_space(line[i])) ++i;
      size_t start = i;
      while (i < line.size() && !is_space(line[i])) ++i;
      if (i > start) words_.push_back(line.substr(start, i - start));
    }
  }

  // `tN:` before an op (also written `tN:op`): the thread that runs it. Takes it off words_.
  bool thread_prefix(uint8_t* thread) {
    const std::string_view word = words_[0];
    const size_t colon = word.find(':');
    const std::string_view name = word.substr(0, colon), rest = word.substr(colon + 1);
    const std::string limit = "t0 to t" + std::to_string(kMaxThreads - 1);
    if (name.size() < 2 || name[0] != 't' || name.size() > 4 ||
        name.find_first_not_of("0123456789", 1) != std::string_view::npos) {
      return fail("expected a thread before ':' (" + limit + "), found " + quoted(name));
    }
    const int number = std::stoi(std::string(name.substr(1)));
    if (number >= kMaxThreads) {
      return fail("thread " + quoted(name) + " is past the limit: at most " +
                  std::to_string(kMaxThreads) + " threads (" + limit + ")");
    }
    *thread = static_cast<uint8_t>(number);
    if (rest.empty()) {
      words_.erase(words_.begin());
    } else {
      words_[0] = rest;
    }
    if (words_.empty()) return fail("expected an op after " + quoted(word) + ", found end of line");
    return true;
  }

  bool fail(const std::string& msg) {
    *error_ = msg;
    return false;
  }

  bool number_at(size_t i, std::string_view what, uint64_t* out) {
    if (i >= words_.size()) return fail("expected " + std::string(what) + ", found end of line");
    const char* why = "";
    if (!parse_number(words_[i], out, &why)) {
      return fail("expected " + std::string(what) + ", found " + quoted(words_[i]) + " (" + why +
                  ")");
    }
    return true;
  }

  bool existing_slot(std::string_view w, SlotId* out) {
    if (!is_name(w)) return fail("expected a slot name, found " + quoted(w));
    int64_t id = program_->find(w);
    if (id < 0) {
      if (is_reserved(w)) return fail("expected a slot name, found the keyword " + quoted(w));
      return fail("unknown slot " + quoted(w) + " (no earlier line assigns it)");
    }
    *out = static_cast<SlotId>(id);
    return true;
  }

  bool slot_at(size_t i, SlotId* out) {
    if (i >= words_.size()) return fail("expected a slot name, found end of line");
    return existing_slot(words_[i], out);
  }

  bool no_more(size_t i) {
    if (i < words_.size()) return fail("unexpected extra operand " + quoted(words_[i]));
    return true;
  }

  bool assignment(Op* op) {
    std::string_view name = words_[0];
    if (name == "null") return fail("'null' always holds NULL and cannot be assigned");
    if (!is_name(name) || is_reserved(name)) {
      return fail("expected a slot name before '=', found " + quoted(name));
    }
    if (words_.size() < 3) return fail("expected an allocation after '=', found end of line");
    std::string_view verb = words_[2];
    size_t i = 3;
    if (verb == "malloc" || verb == "valloc" || verb == "pvalloc") {
      op->kind = verb == "malloc"   ? OpKind::kMalloc
                 : verb == "valloc" ? OpKind::kValloc
                                    : OpKind::kPvalloc;
      if (!number_at(i++,
                     verb == "malloc"   ? "a size after 'malloc'"
                     : verb == "valloc" ? "a size after 'valloc'"
                                        : "a size after 'pvalloc'",
                     &op->a)) {
        return false;
      }
    } else if (verb == "calloc") {
      op->kind = OpKind::kCalloc;
      if (!number_at(i++, "an element count after 'calloc'", &op->a)) return false;
      if (!number_at(i++, "an element size after the count", &op->b)) return false;
    } else if (verb == "realloc") {
      op->kind = OpKind::kRealloc;
      if (!slot_at(i++, &op->src)) return false;
      if (!number_at(i++, "a size after the slot", &op->a)) return false;
    } else if (verb == "read8") {
      op->kind = OpKind::kRead8;
      if (!slot_at(i++, &op->src)) return false;
      uint64_t off;
      if (!number_at(i++, "an offset after the slot", &off)) return false;
      op->offset = static_cast<int64_t>(off);
    } else if (verb == "memalign" || verb == "aligned_alloc" || verb == "posix_memalign") {
      op->kind = verb == "memalign"        ? OpKind::kMemalign
                 : verb == "aligned_alloc" ? OpKind::kAlignedAlloc
                                           : OpKind::kPosixMemalign;
      if (!number_at(i++, "an alignment after " + quoted(verb), &op->a)) return false;
      if (!number_at(i++, "a size after the alignment", &op->b)) return false;
    } else {
      return fail("unknown allocation " + quoted(verb) +
                  " (expected malloc, calloc, realloc, memalign, aligned_alloc, "
                  "posix_memalign, valloc, pvalloc or read8)");
    }
    if (!no_more(i)) return false;
    // Intern after the operands: `a = realloc a 0x10` needs `a` to exist already.
    int64_t id = program_->find(name);
    if (id < 0) {
      if (program_->slot_count() >= kMaxSlots) {
        return fail("too many slots (at most " + std::to_string(kMaxSlots - 1) +
                    ": slot ids are 32 bits)");
      }
      id = program_->intern(name);
    }
    op->dst = static_cast<SlotId>(id);
    return true;
  }

  bool statement(Op* op) {
    std::string_view verb = words_[0];
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
        return fail("mallopt value " + quoted(words_[i - 1]) +
                    " is out of range (mallopt takes an int)");
      }
      op->a = v;
    } else if (verb == "trim") {
      op->kind = OpKind::kTrim;
      if (!number_at(i++, "a pad after 'trim'", &op->a)) return false;
    } else if (std::string_view("malloc calloc realloc memalign aligned_alloc posix_memalign "
                                "valloc pvalloc read8")
                       .find(verb) != std::string_view::npos &&
               is_name(verb)) {
      return fail(quoted(verb) + " needs a slot to assign: expected 'NAME = " + std::string(verb) +
                  (verb == "read8" ? " SLOT OFFSET'" : " ...'"));
    } else {
      return fail("unknown op " + quoted(verb) +
                  " (expected NAME = ..., free, write8, malloc_usable_size, mallopt or trim)");
    }
    return no_more(i);
  }

  bool mallopt_param(size_t i, int32_t* out) {
    if (i >= words_.size()) return fail("expected a mallopt parameter, found end of line");
    std::string_view w = words_[i];
    for (int32_t p = -8; p <= 1; ++p) {
      const char* name = mallopt_name(p);
      if (name && w == name) {
        *out = p;
        return true;
      }
    }
    uint64_t v;
    const char* why = "";
    if (parse_number(w, &v, &why)) {
      int64_t sv = static_cast<int64_t>(v);
      if (sv >= std::numeric_limits<int32_t>::min() && sv <= std::numeric_limits<int32_t>::max()) {
        *out = static_cast<int32_t>(sv);
        return true;
      }
    }
    return fail(
        "expected a mallopt parameter (M_MXFAST, M_TRIM_THRESHOLD, M_TOP_PAD, "
        "M_MMAP_THRESHOLD, M_MMAP_MAX, M_CHECK_ACTION, M_PERTURB, M_ARENA_TEST, "
        "M_ARENA_MAX or a number), found " +
        quoted(w));
  }

  // ADDR := (SLOT | heap) [(+|-) NUMBER]
  bool address(std::string_view w, Value::Kind* kind, SlotId* slot, int64_t* delta) {
    size_t cut = w.find_first_of("+-");
    std::string_view base = w.substr(0, cut);
    *delta = 0;
    if (cut != std::string_view::npos) {
      uint64_t d;
      const char* why = "";
      if (!parse_number(w.substr(cut + 1), &d, &why)) {
        return fail("expected a number after '" + std::string(1, w[cut]) + "' in " + quoted(w) +
                    " (" + why + ")");
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

  // VALUE := NUMBER | ADDR | protect(ADDR, NUMBER | ADDR)
  bool value(std::string_view w, Value* v) {
    const char* why = "";
    if (starts_like_number(w)) {
      v->kind = Value::Kind::kLiteral;
      if (!parse_number(w, &v->literal, &why)) {
        return fail("expected a value (number, SLOT+N, heap+N or protect(POS, TARGET)), found " +
                    quoted(w) + " (" + why + ")");
      }
      return true;
    }
    if (w.substr(0, 8) == "protect(") {
      if (w.back() != ')') return fail("expected ')' to close " + quoted(w));
      std::string_view inner = w.substr(8, w.size() - 9);
      size_t comma = inner.find(',');
      if (comma == std::string_view::npos) {
        return fail("expected 'protect(POS, TARGET)', found " + quoted(w));
      }
      std::string_view pos = inner.substr(0, comma), target = inner.substr(comma + 1);
      v->kind = Value::Kind::kProtect;
      Value::Kind pk;
      if (pos.empty()) return fail("expected a position in " + quoted(w));
      if (!address(pos, &pk, &v->slot, &v->delta)) return false;
      v->pos_is_heap = pk == Value::Kind::kHeap;
      if (target.empty()) return fail("expected a target in " + quoted(w));
      if (starts_like_number(target)) {
        v->target_kind = Value::Kind::kLiteral;
        if (!parse_number(target, &v->target_literal, &why)) {
          return fail("expected a target in " + quoted(w) + ", found " + quoted(target) + " (" +
                      why + ")");
        }
        return true;
      }
      return address(target, &v->target_kind, &v->target_slot, &v->target_delta);
    }
    return address(w, &v->kind, &v->slot, &v->delta);
  }

  Program* program_;
  std::vector<std::string_view> words_;  // views into the line or into unparenthesised_
  std::string unparenthesised_;
  std::string* error_ = nullptr;
};

}  // namespace

std::optional<Program> parse_heap(const std::string& text, const std::string& filename,
                                  std::string* error) {
  Program program;
  // One allocation for the ops (a line is an op, bar comments): growing a vector of millions of
  // Ops copies it and holds both copies at once.
  program.ops.reserve(static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
  ScriptParser parser(&program);
  const std::string_view all(text);
  size_t start = 0;
  uint64_t line_no = 0;
  while (start <= all.size()) {
    size_t end = all.find('\n', start);
    if (end == std::string_view::npos) end = all.size();
    std::string_view line = all.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++line_no;
    std::string why;
    if (std::memchr(line.data(), '\0', line.size()) != nullptr) {
      *error =
          filename + ":" + std::to_string(line_no) + ": unexpected NUL byte (not a text file?)";
      return std::nullopt;
    }
    if (!parser.parse_line(line, &why)) {
      *error = filename + ":" + std::to_string(line_no) + ": " + why;
      return std::nullopt;
    }
    if (end == all.size()) break;
    start = end + 1;
  }
  if (program.ops.capacity() > program.ops.size() + program.ops.size() / 4 + 64) {
    program.ops.shrink_to_fit();  // mostly comments
  }
  return program;
}

}  // namespace heaptwin
