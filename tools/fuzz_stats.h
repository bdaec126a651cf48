// What the fuzz engines say about themselves, parsed: libFuzzer's status lines (on stderr) and
// AFL++'s fuzzer_stats files; and the progress line heaptwin fuzz prints from them.
#ifndef HEAPTWIN_TOOLS_FUZZ_STATS_H_
#define HEAPTWIN_TOOLS_FUZZ_STATS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace heaptwin::cli {

// One libFuzzer status line, e.g.
//   #1234	NEW    cov: 345 ft: 1234 corp: 56/7890b lim: 4 exec/s: 123 rss: 456Mb L: 3/4 MS: 1
//   ...
// or a -fork parent's line
//   #1234: cov: 345 ft: 1234 corp: 56 exec/s 123 oom/timeout/crash: 0/0/0 time: 12s job: 3 ...
// libFuzzer prints one on every new input (NEW, REDUCE), at every power of two executions
// (pulse), once the seeds ran (INITED) and at the end (DONE): often at first, then rarely.
struct LibFuzzerStatus {
  uint64_t execs = 0;
  std::string event;  // "NEW", "REDUCE", "pulse", "INITED", "DONE", "RELOAD"; "" in fork mode
  uint64_t cov = 0;   // coverage counters (edges) hit
  uint64_t ft = 0;    // features (edges with hit-count buckets, ...)
  uint64_t corpus = 0;
  uint64_t exec_per_sec = 0;
};
std::optional<LibFuzzerStatus> parse_libfuzzer_status(std::string_view line);

// "stat::number_of_executed_units: 4456" (-print_final_stats=1): the name and the value.
std::optional<std::pair<std::string, uint64_t>> parse_libfuzzer_final_stat(std::string_view line);

// "...Test unit written to ./crash-da39a3ee..." -> the path; nullopt for any other line.
std::optional<std::string> parse_libfuzzer_artifact(std::string_view line);

// The part of a target's output that explains a finding: heaptwin's report ("==== heaptwin
// TARGET: finding" ... the input as a .heap script ... "===="), with a script longer than
// max_script_lines shortened; else a sanitizer's or libFuzzer's error and what follows it; else
// the last lines.
std::string finding_report(const std::string& output, size_t max_script_lines);

// One AFL++ instance's fuzzer_stats ("key : value" lines). AFL++ rewrites the file every few
// seconds; the fields are the instance's totals since its output folder was made.
struct AflStats {
  int64_t start_time = 0;
  int64_t last_update = 0;
  uint64_t execs_done = 0;
  double execs_per_sec = 0;  // AFL's own: execs_done over its run time
  uint64_t corpus_count = 0;
  uint64_t corpus_found = 0;  // entries this instance found by fuzzing (not seeds, not synced)
  uint64_t saved_crashes = 0;
  uint64_t saved_hangs = 0;
  uint64_t edges_found = 0;
  uint64_t total_edges = 0;  // the map size AFL++ counts coverage against
  double bitmap_cvg = 0;     // percent
};
// nullopt when the text has no execs_done (a file still being written, or not fuzzer_stats).
std::optional<AflStats> parse_afl_stats(std::string_view text);

// What a running job shows in one progress line. execs is this run's (all jobs), never an
// earlier run's: libFuzzer starts counting afresh; AFL++ runs in a fresh output folder.
struct JobSample {
  double seconds = 0;  // since the job started
  uint64_t execs = 0;
  uint64_t corpus = 0;      // inputs the engine works with now (seeds that count, and new)
  uint64_t corpus_new = 0;  // ... of them found by this run
  std::string coverage;     // "cov 345 ft 1234" (libFuzzer) or "edges 345 (1.23%)" (AFL++)
  uint64_t findings = 0;
  int jobs_running = 0;
};

// Execs/s over the last interval and over the whole run.
class RateMeter {
 public:
  // Records a sample; returns the rate since the previous one (the average for the first).
  double now(double seconds, uint64_t execs);
  static double average(double seconds, uint64_t execs) {
    return seconds > 0 ? static_cast<double>(execs) / seconds : 0;
  }

 private:
  double last_seconds_ = 0;
  uint64_t last_execs_ = 0;
};

// e.g. "twin_vs_glibc  1:05  2 jobs  execs 12,345  190/s (now 201/s)  corpus 812 (+12 kept)
//       cov 345 ft 1234  findings 0": the corpus in use (the largest job's), and the new
// inputs kept this run (all jobs).
std::string format_progress(const std::string& target, const JobSample& s, double rate_now);

// 12345 -> "12,345"
std::string with_commas(uint64_t n);
// 65 -> "1:05"; 3725 -> "1:02:05"
std::string clock_time(double seconds);

}  // namespace heaptwin::cli

#endif  // HEAPTWIN_TOOLS_FUZZ_STATS_H_
