// The engines' output as heaptwin fuzz reads it: recorded libFuzzer and AFL++ output
// (tools/testdata/) fed to the parsers, and the progress line they make.
#include "tools/fuzz_stats.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

namespace heaptwin::cli {
namespace {

std::string testdata(const std::string& name) {
  const char* root = std::getenv("TEST_SRCDIR");
  std::string path = std::string(root ? root : ".") + "/heaptwin/tools/testdata/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A status line's fields in one line, to compare at once: "#execs event cov ft corp exec/s".
std::string fields(const LibFuzzerStatus& st) {
  std::ostringstream out;
  out << "#" << st.execs << " '" << st.event << "' cov " << st.cov << " ft " << st.ft << " corp "
      << st.corpus << " exec/s " << st.exec_per_sec;
  return out.str();
}

// A worker of `./heaptwin fuzz --time 30` (twin_vs_glibc, 2 jobs), stopped by SIGINT: seeds,
// INITED, NEW, pulse and RELOAD lines, then the final stats.
TEST(LibFuzzerOutput, ARecordedWorkerLogGivesItsLastStatusAndFinalCount) {
  std::istringstream log(testdata("libfuzzer_worker.log"));
  std::string line;
  int statuses = 0;
  LibFuzzerStatus last;
  uint64_t executed = 0;
  while (std::getline(log, line)) {
    if (auto st = parse_libfuzzer_status(line)) {
      EXPECT_GE(st->execs, last.execs) << line;  // the count only grows
      last = *st;
      ++statuses;
    } else if (auto stat = parse_libfuzzer_final_stat(line)) {
      if (stat->first == "number_of_executed_units") executed = stat->second;
    }
  }
  EXPECT_EQ(statuses, 147);  // every line that starts with #<count>
  EXPECT_EQ(fields(last), "#527 'RELOAD' cov 1982 ft 6375 corp 244 exec/s 18");
  EXPECT_EQ(executed, 531u);
}

TEST(LibFuzzerOutput, StatusLinesOfEveryKind) {
  auto st = parse_libfuzzer_status(
      "#1234\tNEW    cov: 345 ft: 1234 corp: 56/7890b lim: 4 exec/s: 123 rss: 456Mb L: 3/4 MS: 1 "
      "CopyPart-");
  ASSERT_TRUE(st);
  EXPECT_EQ(fields(*st), "#1234 'NEW' cov 345 ft 1234 corp 56 exec/s 123");

  // A -fork parent's line.
  st = parse_libfuzzer_status(
      "#53882: cov: 2131 ft: 7877 corp: 612 exec/s 310 oom/timeout/crash: 0/0/0 time: 173s job: 12 "
      "dft_time: 0");
  ASSERT_TRUE(st);
  EXPECT_EQ(fields(*st), "#53882 '' cov 2131 ft 7877 corp 612 exec/s 310");

  // No coverage yet (a target without instrumentation prints this).
  st = parse_libfuzzer_status("#2\tINITED exec/s: 0 rss: 30Mb");
  ASSERT_TRUE(st);
  EXPECT_EQ(fields(*st), "#2 'INITED' cov 0 ft 0 corp 0 exec/s 0");

  EXPECT_FALSE(parse_libfuzzer_status("#include <x>"));
  EXPECT_FALSE(parse_libfuzzer_status("#12"));
  EXPECT_FALSE(parse_libfuzzer_status("#12abc NEW cov: 1"));
  EXPECT_FALSE(parse_libfuzzer_status("INFO: Seed: 3771716270"));
  EXPECT_FALSE(parse_libfuzzer_status(""));
}

TEST(LibFuzzerOutput, FinalStatsAndArtifacts) {
  auto stat = parse_libfuzzer_final_stat("stat::average_exec_per_sec:     58");
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->first, "average_exec_per_sec");
  EXPECT_EQ(stat->second, 58u);
  EXPECT_FALSE(parse_libfuzzer_final_stat("stat:: nothing"));
  EXPECT_FALSE(parse_libfuzzer_final_stat("#1 NEW cov: 1"));

  auto path = parse_libfuzzer_artifact(
      "artifact_prefix='/w/findings/attack/crashes/'; Test unit written to "
      "/w/findings/attack/crashes/crash-da39a3ee");
  ASSERT_TRUE(path);
  EXPECT_EQ(*path, "/w/findings/attack/crashes/crash-da39a3ee");
  EXPECT_FALSE(parse_libfuzzer_artifact("MS: 1 CopyPart-; base unit: 0000"));
}

// fuzzer_stats of the main instance of `./heaptwin fuzz --engine afl --time 45` (AFL++ 4.04c).
TEST(AflOutput, ARecordedFuzzerStats) {
  auto st = parse_afl_stats(testdata("afl_fuzzer_stats"));
  ASSERT_TRUE(st);
  EXPECT_EQ(st->execs_done, 8738u);
  EXPECT_DOUBLE_EQ(st->execs_per_sec, 304.32);
  EXPECT_EQ(st->corpus_count, 474u);
  EXPECT_EQ(st->corpus_found, 218u);
  EXPECT_EQ(st->saved_crashes, 0u);
  EXPECT_EQ(st->saved_hangs, 0u);
  EXPECT_EQ(st->edges_found, 1925u);
  EXPECT_EQ(st->total_edges, 14945u);
  EXPECT_DOUBLE_EQ(st->bitmap_cvg, 12.88);
  EXPECT_EQ(st->start_time, 1796574494);
  EXPECT_EQ(st->last_update, 1796574522);
}

TEST(AflOutput, AFileBeingWrittenOrAnotherFileIsNoStats) {
  EXPECT_FALSE(parse_afl_stats(""));
  EXPECT_FALSE(parse_afl_stats("start_time        : 1796574494\nlast_update       : 1796"));
  EXPECT_FALSE(parse_afl_stats("# relative_time, cycles_done, cur_item\n28, 0, 8\n"));
  auto st = parse_afl_stats("execs_done : 12\nsaved_crashes : 3\n");
  ASSERT_TRUE(st);
  EXPECT_EQ(st->execs_done, 12u);
  EXPECT_EQ(st->saved_crashes, 3u);
}

TEST(FindingReport, HeaptwinsReportWithTheScriptShortened) {
  std::string out =
      "INFO: Seed: 1\n#49\tINITED cov: 1\n\n"
      "==== heaptwin twin_vs_glibc finding: op 9 (x = malloc 0x18) diverged: twin heap+0x2c0, "
      "glibc heap+0x2a0\n"
      "first divergence at op 9 (x = malloc 0x18)\n  twin:  heap+0x2c0\n  glibc: heap+0x2a0\n"
      "==== the input as a .heap script:\n"
      "a = malloc 0x18\nfree a\nb = malloc 0x18\nfree b\nx = malloc 0x18\n"
      "====\n==123== ERROR: libFuzzer: deadly signal\n";
  EXPECT_EQ(finding_report(out, 40),
            "==== heaptwin twin_vs_glibc finding: op 9 (x = malloc 0x18) diverged: twin "
            "heap+0x2c0, glibc heap+0x2a0\n"
            "first divergence at op 9 (x = malloc 0x18)\n  twin:  heap+0x2c0\n  glibc: heap+0x2a0\n"
            "==== the input as a .heap script:\n"
            "a = malloc 0x18\nfree a\nb = malloc 0x18\nfree b\nx = malloc 0x18\n====\n");
  EXPECT_EQ(finding_report(out, 2),
            "==== heaptwin twin_vs_glibc finding: op 9 (x = malloc 0x18) diverged: twin "
            "heap+0x2c0, glibc heap+0x2a0\n"
            "first divergence at op 9 (x = malloc 0x18)\n  twin:  heap+0x2c0\n  glibc: heap+0x2a0\n"
            "==== the input as a .heap script:\n"
            "a = malloc 0x18\nfree a\n... (3 more lines)\n");
}

TEST(FindingReport, ASanitizersErrorOrTheLastLines) {
  std::string asan =
      "INFO: Seed: 1\n==7==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x1\n"
      "READ of size 8\n    #0 0x55 in f x.cc:3\n";
  EXPECT_EQ(finding_report(asan, 40),
            "==7==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x1\nREAD of size 8\n"
            "    #0 0x55 in f x.cc:3\n");
  EXPECT_EQ(finding_report("a\nb\n", 40), "a\nb\n");
}

TEST(Progress, OneLineWithEverything) {
  JobSample s;
  s.seconds = 65.2;
  s.execs = 12345;
  s.corpus = 812;
  s.corpus_new = 12;
  s.coverage = "cov 345 ft 1,234";
  s.findings = 0;
  s.jobs_running = 2;
  EXPECT_EQ(format_progress("twin_vs_glibc", s, 201.4),
            "twin_vs_glibc  1:05  2 jobs  execs 12,345  189/s (now 201/s)  corpus 812 (+12 kept)  "
            "cov 345 ft 1,234  findings 0");
  s.jobs_running = 1;
  s.execs = 40;
  s.seconds = 10;
  EXPECT_EQ(format_progress("attack", s, 3.25),
            "attack  0:10  1 job  execs 40  4.0/s (now 3.2/s)  corpus 812 (+12 kept)  cov 345 ft "
            "1,234  findings 0");
}

TEST(Progress, RatesAndNumbers) {
  RateMeter m;
  EXPECT_DOUBLE_EQ(m.now(5, 100), 20);
  EXPECT_DOUBLE_EQ(m.now(10, 300), 40);
  EXPECT_DOUBLE_EQ(m.now(10, 300), 0);  // no time passed
  EXPECT_DOUBLE_EQ(RateMeter::average(10, 300), 30);
  EXPECT_EQ(with_commas(0), "0");
  EXPECT_EQ(with_commas(999), "999");
  EXPECT_EQ(with_commas(1000), "1,000");
  EXPECT_EQ(with_commas(1234567), "1,234,567");
  EXPECT_EQ(clock_time(5.9), "0:05");
  JobSample s;
  s.execs = 100000;
  s.seconds = 9.4;
  EXPECT_NE(format_progress("p", s, 12345.6).find("10,638/s (now 12,346/s)"), std::string::npos);
  EXPECT_EQ(clock_time(3725), "1:02:05");
}

}  // namespace
}  // namespace heaptwin::cli
