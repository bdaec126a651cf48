// A real program's whole trace replays on the twin: `heaptwin exec --trace` records perl (a
// hash of 40,000 entries built, sorted and torn down: some 300,000 calls, over 100,000 pointers
// live at once), the .heap parser reads all of it, and the twin, run on the Program in this
// process, returns at every call what the drop-in library returned in the real process.
//
// Exact, not approximate: the trace notes each result's address, and the twin reports offsets
// from the heap base. Both run the same allocator code over memory that behaves alike where
// placement is concerned (the break grows where it is asked to), so every heap pointer is
// base + the twin's offset, with one base for the whole run (the real heap's start, page
// aligned). mmapped chunks sit at whatever address the kernel picked: there, the page offset
// is what both must share.
#include <gtest/gtest.h>

#include "program/hex.h"
#include "tests/preload/skip_when_sanitized.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "oracle/twin_side.h"
#include "program/heap_format.h"
#include "tests/preload/run_process.h"

namespace heaptwin::preload_test {
namespace {

constexpr const char* kPerl = "/usr/bin/perl";  // perl-base is Essential in Debian
constexpr const char* kHashWork =
    "my %h; for my $i (1..40000) { $h{\"k$i\"} = [$i, \"v$i\"] } "
    "my @k = sort keys %h; delete $h{$_} for @k; print scalar(@k), \"\\n\"";

// What the trace says each call returned, in op order: the comment after an op line
// ("0x55555555a2a0", "NULL", or "" for calls that return no pointer).
std::vector<std::string> recorded_results(const std::string& text) {
  std::vector<std::string> results;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    size_t hash = line.find('#');
    if (line.find_first_not_of(" \t", 0) == hash) continue;  // a comment line (or blank)
    std::string comment = hash == std::string::npos ? "" : line.substr(hash + 1);
    comment.erase(0, comment.find_first_not_of(' '));
    results.push_back(comment);
  }
  return results;
}

// "" when `outcome` is what the real process got for `recorded`; else what differs.
std::string compare(const Outcome& outcome, const std::string& recorded, uint64_t* heap_base) {
  if (recorded == "NULL") {
    return outcome.kind == OutcomeKind::kNull ? "" : "twin " + to_string(outcome) + ", trace NULL";
  }
  if (recorded.rfind("0x", 0) != 0) {  // free, malloc_usable_size, mallopt, trim
    return outcome.kind == OutcomeKind::kAbort || outcome.kind == OutcomeKind::kFault
               ? "twin " + to_string(outcome)
               : "";
  }
  const uint64_t address = std::strtoull(recorded.c_str(), nullptr, 16);
  if (outcome.kind == OutcomeKind::kMmapped) {
    if ((address & 0xfff) == static_cast<uint64_t>(outcome.offset)) return "";
    return "twin " + to_string(outcome) + ", trace " + recorded + " (page offset)";
  }
  if (outcome.kind != OutcomeKind::kPointer)
    return "twin " + to_string(outcome) + ", trace " + recorded;
  if (*heap_base == 0) *heap_base = address - static_cast<uint64_t>(outcome.offset);
  if (address - *heap_base == static_cast<uint64_t>(outcome.offset)) return "";
  return "twin " + to_string(outcome) + ", trace " + recorded + " (heap+" +
         hex(address - *heap_base) + ")";
}

TEST(TraceReplay, AWholePerlRunReplaysOnTheTwinAtTheAddressesItHad) {
  if (access(kPerl, X_OK) != 0) GTEST_SKIP() << kPerl << " is not installed";
  const std::string path = temp_path("perl_hash.heap");
  Finished recorded =
      run({runfile("tools/heaptwin"), "exec", "--trace", path, "--", kPerl, "-e", kHashWork},
          RunOptions{{}, "", false, ""});
  ASSERT_EQ(recorded.exit_code, 0) << recorded.err;
  ASSERT_EQ(recorded.out, "40000\n");

  const std::string text = slurp(path);
  EXPECT_EQ(text.find("# trace stopped"), std::string::npos) << "the whole run is traced";
  // Every pointer freed or reallocated was one the trace had handed a slot (the writer lost
  // none of the live pointers it tracks).
  const size_t untraced = text.find("not returned by a traced call");
  EXPECT_EQ(untraced, std::string::npos) << text.substr(untraced < 40 ? 0 : untraced - 40, 120);
  std::string error;
  std::optional<Program> program = parse_heap(text, path, &error);
  ASSERT_TRUE(program.has_value()) << error;
  // The limits this replaces: 65,536 calls by default, 4,095 slots (pointers live at once).
  EXPECT_GT(program->ops.size(), 300000u);
  EXPECT_GT(program->slot_count(), 100000u);
  const std::vector<std::string> results = recorded_results(text);
  ASSERT_EQ(results.size(), program->ops.size());

  std::unique_ptr<Side> twin = make_twin_side("twin", &error);
  ASSERT_NE(twin, nullptr) << error;
  Trace trace = twin->run(*program, heaptwin::RunOptions{});  // no checks: placement only
  ASSERT_TRUE(trace.error.empty()) << trace.error;
  ASSERT_EQ(trace.outcomes.size(), program->ops.size());
  uint64_t heap_base = 0;
  size_t pointers = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    std::string differs = compare(trace.outcomes[i], results[i], &heap_base);
    ASSERT_EQ(differs, "") << "op " << i << ": " << print_op(*program, program->ops[i]);
    pointers += trace.outcomes[i].kind == OutcomeKind::kPointer;
  }
  EXPECT_EQ(heap_base & 0xfff, 0u) << hex(heap_base);
  EXPECT_GT(pointers, 100000u);
}

}  // namespace
}  // namespace heaptwin::preload_test
