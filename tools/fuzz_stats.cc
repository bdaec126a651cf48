#include "tools/fuzz_stats.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace heaptwin::cli {

namespace {

std::vector<std::string_view> split_ws(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t' && s[j] != '\r') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

// The leading decimal digits of s ("56/7890b" -> 56); false when s does not start with one.
bool leading_number(std::string_view s, uint64_t* out) {
  size_t i = 0;
  uint64_t v = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i < 19)
    v = v * 10 + static_cast<uint64_t>(s[i++] - '0');
  if (i == 0) return false;
  *out = v;
  return true;
}

bool is_word(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<LibFuzzerStatus> parse_libfuzzer_status(std::string_view line) {
  if (line.size() < 2 || line[0] != '#') return std::nullopt;
  std::vector<std::string_view> tok = split_ws(line.substr(1));
  if (tok.empty()) return std::nullopt;
  LibFuzzerStatus st;
  std::string_view first = tok[0];
  bool fork_line = !first.empty() && first.back() == ':';
  if (fork_line) first.remove_suffix(1);
  uint64_t execs = 0;
  if (!leading_number(first, &execs) || std::to_string(execs).size() != first.size())
    return std::nullopt;
  st.execs = execs;
  size_t i = 1;
  if (!fork_line && i < tok.size() && is_word(tok[i])) st.event = std::string(tok[i++]);
  bool any_field = false;
  for (; i + 1 < tok.size(); ++i) {
    std::string_view key = tok[i];
    uint64_t v = 0;
    if (!leading_number(tok[i + 1], &v)) continue;
    if (key == "cov:") {
      st.cov = v;
    } else if (key == "ft:") {
      st.ft = v;
    } else if (key == "corp:") {
      st.corpus = v;
    } else if (key == "exec/s:" || key == "exec/s") {
      st.exec_per_sec = v;
    } else {
      continue;
    }
    any_field = true;
    ++i;
  }
  // "#1234 pulse exec/s: 0 rss: 30Mb" counts; "#include" or a stray "#12" does not.
  if (!any_field && st.event.empty()) return std::nullopt;
  return st;
}

std::optional<std::pair<std::string, uint64_t>> parse_libfuzzer_final_stat(std::string_view line) {
  constexpr std::string_view kPrefix = "stat::";
  line = trim(line);
  if (line.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  size_t colon = line.find(':', kPrefix.size());
  if (colon == std::string_view::npos) return std::nullopt;
  uint64_t v = 0;
  if (!leading_number(trim(line.substr(colon + 1)), &v)) return std::nullopt;
  return std::make_pair(std::string(line.substr(kPrefix.size(), colon - kPrefix.size())), v);
}

std::optional<std::string> parse_libfuzzer_artifact(std::string_view line) {
  constexpr std::string_view kMarker = "Test unit written to ";
  size_t at = line.find(kMarker);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view path = trim(line.substr(at + kMarker.size()));
  if (path.empty()) return std::nullopt;
  return std::string(path);
}

namespace {

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    out.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

std::string join_lines(const std::vector<std::string_view>& lines, size_t from, size_t to) {
  std::string out;
  for (size_t i = from; i < to && i < lines.size(); ++i) {
    out.append(lines[i]);
    out += '\n';
  }
  return out;
}

}  // namespace

std::string finding_report(const std::string& output, size_t max_script_lines) {
  std::vector<std::string_view> lines = lines_of(output);
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].substr(0, 13) != "==== heaptwin") continue;
    size_t script = i + 1;
    while (script < lines.size() &&
           lines[script].substr(0, 33) != "==== the input as a .heap script:")
      ++script;
    size_t end = script + 1;
    while (end < lines.size() && lines[end] != "====") ++end;
    std::string report = join_lines(lines, i, std::min(script + 1, lines.size()));
    size_t script_lines = end - std::min(end, script + 1);
    if (script_lines <= max_script_lines) {
      report += join_lines(lines, script + 1, end + 1);
    } else {
      report += join_lines(lines, script + 1, script + 1 + max_script_lines);
      report += "... (" + std::to_string(script_lines - max_script_lines) + " more lines)\n";
    }
    return report;
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view l = lines[i];
    if (l.find("ERROR: AddressSanitizer") != std::string_view::npos ||
        l.find("ERROR: UndefinedBehaviorSanitizer") != std::string_view::npos ||
        l.find("ERROR: libFuzzer") != std::string_view::npos ||
        l.find("runtime error:") != std::string_view::npos) {
      return join_lines(lines, i, i + 25);
    }
  }
  return join_lines(lines, lines.size() - std::min<size_t>(lines.size(), 20), lines.size());
}

std::optional<AflStats> parse_afl_stats(std::string_view text) {
  AflStats st;
  bool have_execs = false;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = trim(line.substr(0, colon));
    std::string value(trim(line.substr(colon + 1)));
    if (value.empty()) continue;
    char* rest = nullptr;
    if (key == "execs_done") {
      st.execs_done = std::strtoull(value.c_str(), &rest, 10);
      have_execs = rest != value.c_str();
    } else if (key == "execs_per_sec") {
      st.execs_per_sec = std::strtod(value.c_str(), nullptr);
    } else if (key == "corpus_count" || key == "paths_total") {  // paths_total: AFL++ < 4
      st.corpus_count = std::strtoull(value.c_str(), nullptr, 10);
    } else if (key == "corpus_found" || key == "paths_found") {
      st.corpus_found = std::strtoull(value.c_str(), nullptr, 10);
    } else if (key == "saved_crashes" || key == "unique_crashes") {
      st.saved_crashes = std::strtoull(value.c_str(), nullptr, 10);
    } else if (key == "saved_hangs" || key == "unique_hangs") {
      st.saved_hangs = std::strtoull(value.c_str(), nullptr, 10);
    } else if (key == "edges_found") {
      st.edges_found = std::strtoull(value.c_str(), nullptr, 10);
    } else if (key == "total_edges") {
      st.total_edges = std::strtoull(value.c_str(), nullptr, 10);
    } else if (key == "bitmap_cvg") {
      st.bitmap_cvg = std::strtod(value.c_str(), nullptr);  // "1.23%"
    } else if (key == "start_time") {
      st.start_time = std::strtoll(value.c_str(), nullptr, 10);
    } else if (key == "last_update") {
      st.last_update = std::strtoll(value.c_str(), nullptr, 10);
    }
  }
  if (!have_execs) return std::nullopt;
  return st;
}

double RateMeter::now(double seconds, uint64_t execs) {
  double dt = seconds - last_seconds_;
  double rate = dt > 0 ? static_cast<double>(execs - std::min(execs, last_execs_)) / dt : 0;
  last_seconds_ = seconds;
  last_execs_ = execs;
  return rate;
}

std::string with_commas(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string clock_time(double seconds) {
  uint64_t s = seconds > 0 ? static_cast<uint64_t>(seconds) : 0;
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%llu:%02llu:%02llu", static_cast<unsigned long long>(s / 3600),
                  static_cast<unsigned long long>(s / 60 % 60),
                  static_cast<unsigned long long>(s % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%llu:%02llu", static_cast<unsigned long long>(s / 60),
                  static_cast<unsigned long long>(s % 60));
  }
  return buf;
}

namespace {
std::string rate_text(double r) {
  if (r >= 100 || r <= 0) return with_commas(static_cast<uint64_t>(std::max(0.0, r) + 0.5)) + "/s";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f/s", r);
  return buf;
}
}  // namespace

std::string format_progress(const std::string& target, const JobSample& s, double rate_now) {
  std::string line = target + "  " + clock_time(s.seconds) + "  " + std::to_string(s.jobs_running) +
                     (s.jobs_running == 1 ? " job" : " jobs") + "  execs " + with_commas(s.execs) +
                     "  " + rate_text(RateMeter::average(s.seconds, s.execs)) + " (now " +
                     rate_text(rate_now) + ")  corpus " + with_commas(s.corpus);
  line += " (+" + with_commas(s.corpus_new) + " kept)";
  if (!s.coverage.empty()) line += "  " + s.coverage;
  line += "  findings " + std::to_string(s.findings);
  return line;
}

}  // namespace heaptwin::cli
