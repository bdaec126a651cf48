#include "bench/table.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

namespace heaptwin::bench {

namespace {

struct RatioSpec {
  std::string numerator, denominator, goal;
  double max_ratio;
};
struct RateSpec {
  std::string column, unit;
  double min_per_second;
};

std::map<std::string, std::map<std::string, double>>& rows() {
  static std::map<std::string, std::map<std::string, double>> r;
  return r;
}
std::map<std::string, RatioSpec>& ratios() {
  static std::map<std::string, RatioSpec> r;
  return r;
}
std::map<std::string, RateSpec>& rates() {
  static std::map<std::string, RateSpec> r;
  return r;
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// A column's value as the table shows it: a duration, or a count of instructions for a column
// named "... instructions" (callgrind rows, where wall time is too noisy to compare).
std::string measured_value(const std::string& column, double v);

// A time per unit with a unit a reader can take in: 23.8 ns, 4.02 ms, 1.2 s.
std::string duration(double ns) {
  if (ns < 1e4) return fmt("%.1f ns", ns);
  if (ns < 1e7) return fmt("%.1f us", ns / 1e3);
  if (ns < 1e10) return fmt("%.1f ms", ns / 1e6);
  return fmt("%.2f s", ns / 1e9);
}

std::string measured_value(const std::string& column, double v) {
  const std::string suffix = "instructions";
  const bool counts = column.size() >= suffix.size() &&
                      column.compare(column.size() - suffix.size(), suffix.size(), suffix) == 0;
  if (!counts) return duration(v);
  if (v < 1e6) return fmt("%.0f", v);
  if (v < 1e9) return fmt("%.1f M", v / 1e6);
  return fmt("%.3f G", v / 1e9);
}

}  // namespace

void record(const std::string& name, double ns_per_unit) {
  size_t slash = name.rfind('/');
  std::string row = slash == std::string::npos ? name : name.substr(0, slash);
  std::string column = slash == std::string::npos ? "" : name.substr(slash + 1);
  // Google Benchmark appends "/real_time", "/iterations:1" etc.; keep our own column name.
  if (column == "real_time" || column == "process_time" || column.rfind("iterations:", 0) == 0 ||
      column.rfind("min_time:", 0) == 0) {
    return record(row, ns_per_unit);
  }
  rows()[row][column] = ns_per_unit;
}

void describe_ratio(const std::string& row, const std::string& numerator,
                    const std::string& denominator, double max_ratio, const std::string& goal) {
  ratios()[row] = {numerator, denominator, goal, max_ratio};
}

void describe_rate(const std::string& row, const std::string& column, double min_per_second,
                   const std::string& unit) {
  rates()[row] = {column, unit, min_per_second};
}

namespace {

bool parse_number(const std::string& text, double* out) {
  char* end = nullptr;
  *out = std::strtod(text.c_str(), &end);
  return !text.empty() && end && *end == '\0';
}

}  // namespace

bool load_rows(const std::string& path, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = path + ": cannot read";
    return false;
  }
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::stringstream fields(line);
    for (std::string x; std::getline(fields, x, '\t');) f.push_back(x);
    const std::string where = path + ":" + std::to_string(n) + ": ";
    double a = 0;
    if (f[0] == "value" && f.size() == 4 && parse_number(f[3], &a)) {
      record(f[1] + "/" + f[2], a);
    } else if (f[0] == "ratio" && f.size() == 6 && parse_number(f[4], &a)) {
      describe_ratio(f[1], f[2], f[3], a, f[5]);
    } else if (f[0] == "rate" && f.size() == 5 && parse_number(f[3], &a)) {
      describe_rate(f[1], f[2], a, f[4]);
    } else {
      *error = where +
               "expected 'value ROW COLUMN NS', 'ratio ROW NUM DEN MAX GOAL' or 'rate ROW "
               "COLUMN MIN UNIT' (tab-separated), got '" +
               line + "'";
      return false;
    }
  }
  return true;
}

std::string format_rows() {
  std::string out = "# rows of ./heaptwin bench (bench/table.h)\n";
  for (const auto& [row, columns] : rows()) {
    for (const auto& [column, ns] : columns) {
      out += "value\t" + row + "\t" + column + "\t" + fmt("%.3f", ns) + "\n";
    }
    if (auto it = ratios().find(row); it != ratios().end()) {
      const RatioSpec& r = it->second;
      out += "ratio\t" + row + "\t" + r.numerator + "\t" + r.denominator + "\t" +
             fmt("%g", r.max_ratio) + "\t" + r.goal + "\n";
    }
    if (auto it = rates().find(row); it != rates().end()) {
      const RateSpec& r = it->second;
      out += "rate\t" + row + "\t" + r.column + "\t" + fmt("%g", r.min_per_second) + "\t" + r.unit +
             "\n";
    }
  }
  return out;
}

std::string format_table() {
  std::string out = "\n";
  char line[512];
  std::snprintf(line, sizeof line, "%-46s %-40s %-14s %s\n", "row", "measured (time per unit)",
                "ratio", "target");
  out += line;
  out += std::string(124, '-') + "\n";
  for (const auto& [row, columns] : rows()) {
    std::string measured, ratio = "-", target = "-";
    for (const auto& [column, ns] : columns) {
      measured += (measured.empty() ? "" : ", ") + column + " " + measured_value(column, ns);
    }
    if (auto it = ratios().find(row); it != ratios().end()) {
      auto n = columns.find(it->second.numerator), d = columns.find(it->second.denominator);
      if (n != columns.end() && d != columns.end() && d->second > 0) {
        double r = n->second / d->second;
        ratio = fmt("%.2fx", r);
        target =
            it->second.goal +
            (it->second.max_ratio > 0 ? (r <= it->second.max_ratio ? "  met" : "  MISSED") : "");
      }
    } else if (auto rt = rates().find(row); rt != rates().end()) {
      auto c = columns.find(rt->second.column);
      if (c != columns.end() && c->second > 0) {
        double per_second = 1e9 / c->second;
        ratio = fmt("%.0f", per_second) + " " + rt->second.unit;
        if (rt->second.min_per_second > 0) {
          target = ">= " + fmt("%.0f", rt->second.min_per_second) + " " + rt->second.unit +
                   (per_second >= rt->second.min_per_second ? "  met" : "  MISSED");
        }
      }
    }
    std::snprintf(line, sizeof line, "%-46s %-40s %-14s %s\n", row.c_str(), measured.c_str(),
                  ratio.c_str(), target.c_str());
    out += line;
  }
  return out;
}

}  // namespace heaptwin::bench
