#include "tools/html_timeline.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "program/heap_format.h"
#include "tools/cli_util.h"

namespace heaptwin::cli {

// html_timeline_page.html, compiled in by the BUILD rule html_timeline_page.
extern const char kHtmlTimelinePage[];

namespace {

constexpr const char kDataMarker[] = "@@TIMELINE_JSON@@";

// The step the page opens at (TimelinePage::open_at).
long opening_step(const Timeline& timeline, const Verdict& verdict, const TimelinePage& page,
                  size_t ops) {
  if (page.open_at >= 0 && static_cast<size_t>(page.open_at) < ops) return page.open_at;
  if (verdict.diff.diverged) return static_cast<long>(verdict.diff.first.op_index);
  if (!verdict.diff.violations.empty())
    return static_cast<long>(verdict.diff.violations.front().op_index);
  long fatal = -1;
  for (const SideTimeline& s : timeline.sides) {
    const auto& o = s.trace.outcomes;
    if (!o.empty() && o.back().is_fatal() &&
        (fatal < 0 || static_cast<long>(o.size()) - 1 < fatal)) {
      fatal = static_cast<long>(o.size()) - 1;
    }
  }
  return fatal >= 0 ? fatal : 0;
}

std::string verdict_summary(const Verdict& verdict) {
  switch (verdict.kind) {
    case Verdict::Kind::kAgree: return "agree";
    case Verdict::Kind::kRefused: return "refused";
    case Verdict::Kind::kExcused: return "excused";
    case Verdict::Kind::kFinding: return "finding";
  }
  return "?";
}

}  // namespace

std::string timeline_json(const Program& program, const Timeline& timeline, const Verdict& verdict,
                          const TimelinePage& page) {
  const size_t ops = program.ops.size();
  std::string out = "{\"version\":1,\"title\":" + json_string(page.title) +
                    ",\"command\":" + json_string(page.command) + ",\"sides\":[";
  for (size_t s = 0; s < timeline.sides.size(); ++s) {
    const SideTimeline& side = timeline.sides[s];
    out += std::string(s ? "," : "") + "{\"name\":" + json_string(side.side) +
           ",\"heap\":" + (side.has_heap ? "true" : "false") +
           ",\"error\":" + json_string(side.trace.error) + "}";
  }
  out += "],\"ops\":[";
  for (size_t i = 0; i < ops; ++i)
    out += std::string(i ? "," : "") + json_string(print_op(program, program.ops[i]));
  out += "],\"verdict\":" + json_string(verdict_summary(verdict)) +
         ",\"report\":" + json_string(verdict.report(program));
  const DiffResult& d = verdict.diff;
  if (d.diverged) {
    out += ",\"first\":{\"op\":" + std::to_string(d.first.op_index) +
           ",\"a\":" + std::to_string(d.first.side_a) + ",\"b\":" + std::to_string(d.first.side_b) +
           ",\"state\":" + (d.first.in_state ? "true" : "false") +
           ",\"what\":" + json_string(d.first.what) +
           ",\"excused\":" + json_string(verdict.rule ? verdict.rule->id : "") + "}";
  } else {
    out += ",\"first\":null";
  }
  out += ",\"violations\":[";
  for (size_t v = 0; v < d.violations.size(); ++v) {
    out += std::string(v ? "," : "") + "{\"side\":" + std::to_string(d.violations[v].side) +
           ",\"op\":" + std::to_string(d.violations[v].op_index) +
           ",\"what\":" + json_string(d.violations[v].what) + "}";
  }
  out +=
      "],\"open\":" + std::to_string(opening_step(timeline, verdict, page, ops)) + ",\"steps\":[";
  // Per op, per side: [kind, outcome, heap delta]; kind "notrun" once the Program has ended.
  for (size_t i = 0; i < ops; ++i) {
    out += std::string(i ? ",\n" : "\n") + "[";
    for (size_t s = 0; s < timeline.sides.size(); ++s) {
      const SideTimeline& side = timeline.sides[s];
      out += s ? "," : "";
      if (i >= side.trace.outcomes.size()) {
        out += "[\"notrun\"]";
        continue;
      }
      const Outcome& o = side.trace.outcomes[i];
      out += "[\"" + std::string(outcome_kind_name(o.kind)) + "\"," + json_string(to_string(o));
      if (i < side.heap_deltas.size() && !side.heap_deltas[i].empty())
        out += "," + side.heap_deltas[i];
      out += "]";
    }
    out += "]";
  }
  return out + "\n]}";
}

std::string timeline_html(const Program& program, const Timeline& timeline, const Verdict& verdict,
                          const TimelinePage& page) {
  std::string html = kHtmlTimelinePage;
  const size_t at = html.find(kDataMarker);
  if (at == std::string::npos) return html;  // the template lost its marker: the page says no data
  html.replace(at, sizeof kDataMarker - 1, timeline_json(program, timeline, verdict, page));
  return html;
}

bool output_path_writable(const std::string& path, std::string* error) {
  struct stat st;
  if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    *error = path + ": is a directory";
    return false;
  }
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "."
                          : slash == 0               ? "/"
                                                     : path.substr(0, slash);
  if (stat(dir.c_str(), &st) != 0) {
    *error = file_error(path, errno);
    return false;
  }
  if (!S_ISDIR(st.st_mode)) {
    *error = file_error(path, ENOTDIR);
    return false;
  }
  if (access(dir.c_str(), W_OK) != 0) {
    *error = file_error(path, errno);
    return false;
  }
  return true;
}

bool write_html_timeline(Executor& executor, const Program& program, const Verdict& verdict,
                         const TimelinePage& page, const std::string& path, std::string* error) {
  const Timeline timeline = record_timeline(executor, program);
  if (write_file_atomic(path, timeline_html(program, timeline, verdict, page), error)) return true;
  // Named as the user named it, not as the temporary beside it that the write goes through.
  const std::string tmp = path + ".tmp.";
  const size_t reason =
      error->rfind(tmp, 0) == 0 ? error->find(": ", tmp.size()) : std::string::npos;
  if (reason != std::string::npos) *error = path + error->substr(reason);
  return false;
}

}  // namespace heaptwin::cli
