#include "tools/technique_scenario.h"
#include "program/hex.h"

#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "oracle/comparability.h"
#include "oracle/read_value.h"
#include "program/heap_format.h"

namespace heaptwin::techniques {

namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> words_of(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// Decimal or 0x hex, as the .heap format writes numbers.
bool parse_number(const std::string& w, uint64_t* out) {
  if (w.empty()) return false;
  const bool is_hex = w.size() > 2 && w[0] == '0' && (w[1] == 'x' || w[1] == 'X');
  const std::string digits = is_hex ? w.substr(2) : w;
  if (digits.empty()) return false;
  uint64_t v = 0;
  for (char c : digits) {
    const char lower = static_cast<char>(c | 0x20);
    int d = -1;
    if (c >= '0' && c <= '9') d = c - '0';
    if (is_hex && lower >= 'a' && lower <= 'f') d = lower - 'a' + 10;
    if (d < 0) return false;
    const uint64_t base = is_hex ? 16 : 10;
    if (v > (~uint64_t{0} - static_cast<uint64_t>(d)) / base) return false;
    v = v * base + static_cast<uint64_t>(d);
  }
  *out = v;
  return true;
}

const char* kGoalForms =
    "'SLOT == ADDR' (ADDR: SLOT, SLOT+N, SLOT-N, heap+N, main_arena+N or null), 'SLOT overlaps "
    "SLOT' or 'no abort', joined by 'and'";

// Parses the goal clauses of one "# goal:" line against the Program's slots.
class GoalParser {
 public:
  GoalParser(const Program& program, std::string where, std::string* error)
      : program_(program), where_(std::move(where)), error_(error) {}

  bool parse(const std::string& text, std::vector<Goal>* goals) {
    const std::vector<std::string> words = words_of(text);
    if (words.empty()) return fail("expected a goal after '# goal:': " + std::string(kGoalForms));
    std::vector<std::string> clause;
    for (size_t i = 0; i <= words.size(); ++i) {
      if (i == words.size() || words[i] == "and") {
        Goal g;
        if (!parse_clause(clause, &g)) return false;
        goals->push_back(g);
        clause.clear();
      } else {
        clause.push_back(words[i]);
      }
    }
    return true;
  }

 private:
  bool fail(const std::string& what) {
    *error_ = where_ + ": " + what;
    return false;
  }

  std::string joined(const std::vector<std::string>& w) {
    std::string s;
    for (const auto& x : w) s += (s.empty() ? "" : " ") + x;
    return s;
  }

  bool slot(const std::string& name, SlotId* out) {
    if (name == "heap" || name == "null") {
      return fail("expected a slot on the left of the goal, found '" + name + "'");
    }
    const int64_t id = program_.find(name);
    if (id < 0) return fail("goal names '" + name + "', which no op of the scenario assigns");
    *out = static_cast<SlotId>(id);
    return true;
  }

  bool address(const std::string& w, GoalAddress* out) {
    const size_t cut = w.find_first_of("+-");
    const std::string base = w.substr(0, cut);
    if (cut != std::string::npos) {
      uint64_t d;
      if (!parse_number(w.substr(cut + 1), &d)) {
        return fail("expected a number after '" + std::string(1, w[cut]) + "' in '" + w + "'");
      }
      out->delta = static_cast<int64_t>(w[cut] == '-' ? 0 - d : d);
    }
    if (base == "heap") {
      out->is_heap = true;
      return true;
    }
    if (base == "main_arena") {
      out->is_main_arena = true;
      return true;
    }
    if (base == "null") {
      if (out->delta != 0) return fail("'null' takes no offset in a goal");
      out->slot = kNullSlot;
      return true;
    }
    if (base.empty() || (base[0] >= '0' && base[0] <= '9')) {
      return fail("expected an address (SLOT, SLOT+N, heap+N, main_arena+N or null), found '" + w +
                  "': outcomes are offsets from the heap base, so a plain number means nothing");
    }
    return slot(base, &out->slot);
  }

  bool parse_clause(const std::vector<std::string>& w, Goal* g) {
    g->text = joined(w);
    if (w.size() == 2 && w[0] == "no" && w[1] == "abort") {
      g->kind = Goal::Kind::kNoAbort;
      return true;
    }
    if (w.size() == 3 && w[1] == "==") {
      g->kind = Goal::Kind::kEquals;
      return slot(w[0], &g->slot) && address(w[2], &g->address);
    }
    if (w.size() == 3 && w[1] == "overlaps") {
      g->kind = Goal::Kind::kOverlaps;
      return slot(w[0], &g->slot) && slot(w[2], &g->other);
    }
    return fail("expected " + std::string(kGoalForms) + ", found '" + g->text + "'");
  }

  const Program& program_;
  std::string where_;
  std::string* error_;
};

// A header line "# key: value": key is one lower-case word (letters, digits, '_').
bool header_field(const std::string& line, std::string* key, std::string* value) {
  std::string body = trim(line);
  if (body.empty() || body[0] != '#') return false;
  body = trim(body.substr(1));
  const size_t colon = body.find(':');
  if (colon == std::string::npos || colon == 0) return false;
  for (size_t i = 0; i < colon; ++i) {
    const char c = body[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  *key = body.substr(0, colon);
  *value = trim(body.substr(colon + 1));
  return true;
}

std::string stem(const std::string& path) {
  size_t slash = path.find_last_of('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  if (base.size() > 5 && base.compare(base.size() - 5, 5, ".heap") == 0) {
    base.resize(base.size() - 5);
  }
  return base;
}

// The pointer slot `s` holds after its last assignment: that op's outcome (every op ran).
const Outcome* last_assignment(const Program& program, const Trace& trace, SlotId s) {
  for (size_t i = program.ops.size(); i-- > 0;) {
    const Op& op = program.ops[i];
    if (!op.assigns() || op.dst != s) continue;
    return i < trace.outcomes.size() ? &trace.outcomes[i] : nullptr;
  }
  return nullptr;
}

uint64_t last_request(const Program& program, SlotId s) {
  for (size_t i = program.ops.size(); i-- > 0;) {
    const Op& op = program.ops[i];
    if (op.allocates() && op.dst == s) return op.request_bytes();
  }
  return 0;
}

std::string offset_text(int64_t offset) {
  return offset < 0 ? "heap-" + hex(static_cast<uint64_t>(-offset)) : "heap+" + hex(offset);
}

// What a slot holds as a heap offset, when it is one: an allocation's pointer, or a read8's value
// that names the heap (a safe-linked one by its revealed target).
bool heap_offset_of(const Outcome* o, int64_t* offset) {
  if (o && o->kind == OutcomeKind::kPointer) {
    *offset = o->offset;
    return true;
  }
  if (o && o->kind == OutcomeKind::kRead && o->read_base == READ_HEAP) {
    *offset = static_cast<int64_t>(o->value);
    return true;
  }
  return false;
}

std::string pointer_text(const Outcome* o) {
  if (!o) return "never assigned";
  if (o->kind == OutcomeKind::kRead) {
    const ReadValue v = o->read_value();
    char text[64];
    read_name_text(&v.value, text, sizeof text);
    return std::string(text) + (v.safe_linked ? " (revealed)" : "");
  }
  switch (o->kind) {
    case OutcomeKind::kPointer: return offset_text(o->offset);
    case OutcomeKind::kNull: return "NULL";
    case OutcomeKind::kMmapped: return "an mmapped chunk";
    default: return to_string(*o);
  }
}

// Empty when `goal` holds, else why not.
std::string goal_unmet(const Program& program, const Trace& trace, const Goal& goal) {
  const std::string name = std::string(program.slot_names[goal.slot]);
  const Outcome* got = last_assignment(program, trace, goal.slot);
  switch (goal.kind) {
    case Goal::Kind::kNoAbort: return "";
    case Goal::Kind::kEquals: {
      const GoalAddress& a = goal.address;
      if (!a.is_heap && !a.is_main_arena && a.slot == kNullSlot) {
        if (got && got->kind == OutcomeKind::kNull) return "";
        // A read value of 0 (a list's end; safe-linked, it is 0 once revealed).
        if (got && got->kind == OutcomeKind::kRead && got->read_base == READ_NUMBER &&
            got->value == 0) {
          return "";
        }
        return name + " is " + pointer_text(got) + ", not NULL";
      }
      if (a.is_main_arena) {
        const bool in_arena = got && got->kind == OutcomeKind::kRead &&
                              got->read_base == READ_MAIN_ARENA &&
                              got->value == static_cast<uint64_t>(a.delta);
        if (in_arena) return "";
        return name + " is " + pointer_text(got) + ", wanted main_arena+" +
               hex(static_cast<uint64_t>(a.delta));
      }
      std::string want_text;
      bool known = true;
      int64_t want = a.delta;
      if (!a.is_heap) {
        const Outcome* base = last_assignment(program, trace, a.slot);
        int64_t base_offset = 0;
        known = heap_offset_of(base, &base_offset);
        if (known) {
          want += base_offset;
        } else {
          want_text = std::string(program.slot_names[a.slot]) + " is " + pointer_text(base);
        }
      }
      int64_t got_offset = 0;
      if (known && heap_offset_of(got, &got_offset) && got_offset == want) return "";
      return name + " is " + pointer_text(got) + ", " +
             (known ? "wanted " + offset_text(want) : want_text);
    }
    case Goal::Kind::kOverlaps: {
      const std::string other = std::string(program.slot_names[goal.other]);
      const Outcome* o = last_assignment(program, trace, goal.other);
      if (!got || !o || got->kind != OutcomeKind::kPointer || o->kind != OutcomeKind::kPointer) {
        return name + " is " + pointer_text(got) + ", " + other + " is " + pointer_text(o);
      }
      const int64_t a0 = got->offset, b0 = o->offset;
      const int64_t a1 =
          a0 + static_cast<int64_t>(std::max<uint64_t>(1, last_request(program, goal.slot)));
      const int64_t b1 =
          b0 + static_cast<int64_t>(std::max<uint64_t>(1, last_request(program, goal.other)));
      if (a0 < b1 && b0 < a1) return "";
      return name + " [" + offset_text(a0) + ", " + offset_text(a1) + ") and " + other + " [" +
             offset_text(b0) + ", " + offset_text(b1) + ") are apart";
    }
  }
  return "";
}

}  // namespace

std::optional<Technique> parse_technique(const std::string& text, const std::string& file,
                                         std::string* error) {
  auto program = parse_heap(text, file, error);
  if (!program) return std::nullopt;
  Technique t;
  t.file = file;
  t.name = stem(file);
  t.program = std::move(*program);
  std::istringstream in(text);
  std::string line;
  for (size_t number = 1; std::getline(in, line); ++number) {
    const std::string body = trim(line);
    if (body.empty()) continue;
    if (body[0] != '#') break;  // the header ends at the first op
    std::string key, value;
    if (!header_field(body, &key, &value)) continue;
    const std::string where = file + ":" + std::to_string(number);
    if (key == "technique") {
      if (value.empty() || value.find_first_of(" \t") != std::string::npos) {
        *error = where + ": expected one word after '# technique:', found '" + value + "'";
        return std::nullopt;
      }
      t.name = value;
    } else if (key == "how2heap") {
      t.how2heap = value;
    } else if (key == "goal") {
      GoalParser parser(t.program, where, error);
      if (!parser.parse(value, &t.goals)) return std::nullopt;
    } else if (key == "protect") {
      if (value == "by release") {
        t.protect = ProtectMode::kByRelease;
      } else if (value == "as written") {
        t.protect = ProtectMode::kAsWritten;
      } else {
        *error = where + ": expected 'by release' or 'as written' after '# protect:', found '" +
                 value + "'";
        return std::nullopt;
      }
    }
  }
  if (t.goals.empty()) {
    *error = file +
             ":1: expected a '# goal:' line in the header (before the first op), e.g. "
             "'# goal: d == t+0x10' or '# goal: no abort'";
    return std::nullopt;
  }
  return t;
}

std::optional<std::vector<Technique>> load_techniques(const std::string& dir, std::string* error) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    const int err = errno;
    *error = dir + ": " +
             (err == ENOENT    ? "no such file or directory"
              : err == ENOTDIR ? "not a directory"
              : err == EACCES  ? "permission denied"
                               : "cannot be read");
    return std::nullopt;
  }
  std::vector<std::string> files;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".heap") == 0) files.push_back(name);
  }
  ::closedir(d);
  std::sort(files.begin(), files.end());
  std::vector<Technique> out;
  for (const std::string& name : files) {
    const std::string path = dir + "/" + name;
    std::ifstream in(path);
    if (!in) {
      *error = path + ": cannot be read";
      return std::nullopt;
    }
    std::stringstream text;
    text << in.rdbuf();
    auto t = parse_technique(text.str(), path, error);
    if (!t) return std::nullopt;
    out.push_back(std::move(*t));
  }
  if (out.empty()) {
    *error = dir + ": no .heap scenarios in it";
    return std::nullopt;
  }
  return out;
}

Program program_for_side(const Technique& technique, const std::string& side_name) {
  if (technique.protect == ProtectMode::kByRelease && !has_safe_linking(side_name)) {
    return with_plain_pointers(technique.program);
  }
  return technique.program;
}

Verdict judge(const Technique& technique, const Program& program, const Trace& trace) {
  Verdict v;
  if (!trace.error.empty()) {
    v.kind = Verdict::Kind::kError;
    v.message = trace.error;
    return v;
  }
  for (size_t i = 0; i < trace.outcomes.size(); ++i) {
    const Outcome& o = trace.outcomes[i];
    v.op = i;
    switch (o.kind) {
      case OutcomeKind::kAbort:
        v.kind = Verdict::Kind::kStopped;
        v.message = o.message;
        return v;
      case OutcomeKind::kFault:
        v.kind = Verdict::Kind::kFault;
        // Only an address every process shares is named (as outcomes_agree compares them).
        if (o.address_in_heap) {
          v.message = "at " + offset_text(static_cast<int64_t>(o.address));
        } else if (o.address < 0x10000) {
          v.message = "at " + hex(o.address);
        }
        return v;
      case OutcomeKind::kTimeout: v.kind = Verdict::Kind::kTimeout; return v;
      case OutcomeKind::kNoOpinion:
        v.kind = Verdict::Kind::kUnmodelled;
        v.message = trace.unmodelled;
        return v;
      default: break;
    }
  }
  v.op = 0;
  if (trace.outcomes.size() < program.ops.size()) {
    v.kind = Verdict::Kind::kError;
    v.message = "ran " + std::to_string(trace.outcomes.size()) + " of " +
                std::to_string(program.ops.size()) + " ops";
    return v;
  }
  for (const Goal& g : technique.goals) {
    const std::string why = goal_unmet(program, trace, g);
    if (!why.empty()) {
      v.kind = Verdict::Kind::kGoalNotMet;
      v.detail = g.text + ": " + why;
      return v;
    }
  }
  v.kind = Verdict::Kind::kWorks;
  return v;
}

std::string verdict_text(const Verdict& v) {
  const std::string at = " at op " + std::to_string(v.op);
  switch (v.kind) {
    case Verdict::Kind::kWorks: return "works";
    case Verdict::Kind::kGoalNotMet: return "goal not met (" + v.detail + ")";
    case Verdict::Kind::kStopped: return "stopped" + at + ": " + v.message;
    case Verdict::Kind::kFault: return "fault" + at + (v.message.empty() ? "" : " " + v.message);
    case Verdict::Kind::kTimeout: return "timeout" + at;
    case Verdict::Kind::kUnmodelled: return "unmodelled" + at + ": " + v.message;
    case Verdict::Kind::kError: return "error: " + v.message;
  }
  return "?";
}

}  // namespace heaptwin::techniques
