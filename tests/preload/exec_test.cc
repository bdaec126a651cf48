// heaptwin exec and heaptwin preload-path, end to end: the trace a program's run writes replays
// with every side agreeing and names the addresses real glibc gave the same program; --check
// stops a program right after the call that left a corrupted heap.
#include <gtest/gtest.h>

#include "tests/preload/skip_when_sanitized.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/preload/run_process.h"

namespace heaptwin::preload_test {
namespace {

std::string heaptwin() { return runfile("tools/heaptwin"); }
std::string program() { return runfile("tests/preload/pointer_log"); }

RunOptions plain() {
  RunOptions o;
  o.no_aslr = false;
  return o;
}

// The addresses a log names after "-> " (pointer_log) or "# 0x" (a trace), in order.
std::vector<std::string> addresses(const std::string& text, const std::string& marker) {
  std::vector<std::string> v;
  for (size_t p = text.find(marker); p != std::string::npos; p = text.find(marker, p + 1)) {
    size_t start = p + marker.size();
    size_t end = text.find_first_of(" \n", start);
    std::string a = text.substr(start, end - start);
    if (a.rfind("0x", 0) == 0) v.push_back(a);
  }
  return v;
}

TEST(PreloadPath, PrintsTheLibrary) {
  Finished f = run({heaptwin(), "preload-path"}, plain());
  ASSERT_EQ(f.exit_code, 0) << f.err;
  std::string path = f.out.substr(0, f.out.find('\n'));
  EXPECT_EQ(path.front(), '/');
  EXPECT_NE(path.find("libheaptwin_preload.so"), std::string::npos);
  EXPECT_EQ(access(path.c_str(), R_OK), 0) << path;
  EXPECT_EQ(run({heaptwin(), "preload-path", "extra"}, plain()).exit_code, 2);
}

TEST(Exec, ReturnsTheCommandsStatusAndRefusesBadUsage) {
  EXPECT_EQ(run({heaptwin(), "exec", "--", "sh", "-c", "exit 7"}, plain()).exit_code, 7);
  EXPECT_EQ(run({heaptwin(), "exec", "--", "true"}, plain()).exit_code, 0);
  Finished none = run({heaptwin(), "exec"}, plain());
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("no command"), std::string::npos) << none.err;
  EXPECT_EQ(run({heaptwin(), "exec", "--bogus", "--", "true"}, plain()).exit_code, 2);
  Finished missing = run({heaptwin(), "exec", "--", "/nonexistent/program"}, plain());
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("/nonexistent/program"), std::string::npos) << missing.err;
  EXPECT_EQ(run({heaptwin(), "exec", "--help"}, plain()).exit_code, 0);
}

TEST(Exec, TraceReplaysOnEverySideAndNamesGlibcsAddresses) {
  if (!setarch_works()) GTEST_SKIP() << "setarch -R is not permitted here";
  for (const char* scenario : {"basic", "realloc", "memalign", "mallopt", "mmap", "stress"}) {
    std::string trace = temp_path(std::string("trace_") + scenario + ".heap");
    Finished t = run({heaptwin(), "exec", "--no-aslr", "--trace", trace, "--", program(), scenario},
                     plain());
    ASSERT_EQ(t.exit_code, 0) << t.err;
    // Real glibc, without the library, under setarch -R: the same addresses in the same order.
    Finished g = run({program(), scenario}, RunOptions{});
    ASSERT_EQ(g.exit_code, 0);
    std::string text = slurp(trace);
    std::vector<std::string> glibc_addresses = addresses(g.out, "-> ");
    EXPECT_EQ(addresses(text, "# "), glibc_addresses) << scenario;
    EXPECT_FALSE(glibc_addresses.empty());
    Finished d = run({heaptwin(), "diff", trace, "--sides", "twin,glibc"}, plain());
    EXPECT_EQ(d.exit_code, 0) << scenario << "\n" << d.out << d.err;
  }
}

// A prefix of a program is a program: a trace cut short still replays.
TEST(Exec, TraceMaxOpsStopsWithAReplayablePrefix) {
  std::string trace = temp_path("trace_prefix.heap");
  Finished t = run(
      {heaptwin(), "exec", "--trace", trace, "--trace-max-ops", "100", "--", program(), "stress"},
      plain());
  ASSERT_EQ(t.exit_code, 0) << t.err;
  std::string text = slurp(trace);
  EXPECT_NE(text.find("# trace stopped after 100 calls"), std::string::npos) << text.substr(0, 300);
  Finished d = run({heaptwin(), "diff", trace, "--sides", "twin,glibc"}, plain());
  EXPECT_EQ(d.exit_code, 0) << d.out << d.err;
  EXPECT_EQ(run({heaptwin(), "exec", "--trace-max-ops", "x", "--", "true"}, plain()).exit_code, 2);
}

// The program itself breaks a free chunk's size, then makes a call that leaves the bins alone.
// --check-every 1 (the whole heap after every call) stops right after that call; --check (what
// each call touched, and the whole heap at exit) when a call next touches that chunk.
TEST(Exec, CheckStopsAfterTheCallThatLeftACorruptedHeap) {
  Finished f = run({heaptwin(), "exec", "--check-every", "1", "--", program(), "corrupt"}, plain());
  EXPECT_EQ(f.exit_code, 1) << f.out << f.err;
  EXPECT_NE(f.out.find("bin.chunk_in_use"), std::string::npos) << f.out;
  EXPECT_NE(f.out.find("after call 4 (mallopt"), std::string::npos) << f.out;
  EXPECT_EQ(f.out.find("not stopped"), std::string::npos) << f.out;
  Finished g = run({heaptwin(), "exec", "--check", "--", program(), "corrupt"}, plain());
  EXPECT_EQ(g.exit_code, 1) << g.out << g.err;
  EXPECT_NE(g.out.find("bin.chunk_in_use"), std::string::npos) << g.out;
  EXPECT_NE(g.out.find("after call 5 (free"), std::string::npos) << g.out;
}

// The checker follows exec (a shell script's last command runs as the same process).
TEST(Exec, CheckFollowsExec) {
  std::string script = temp_path("exec_corrupt.sh");
  {
    std::ofstream out(script);
    out << "#!/bin/sh\nexec '" << program() << "' corrupt\n";
  }
  ASSERT_EQ(chmod(script.c_str(), 0755), 0);
  Finished f = run({heaptwin(), "exec", "--check", "--", script}, plain());
  EXPECT_EQ(f.exit_code, 1) << f.out << f.err;
  EXPECT_NE(f.out.find("bin.chunk_in_use"), std::string::npos) << f.out;
}

TEST(Exec, CheckPassesASoundProgram) {
  for (const char* scenario : {"basic", "realloc", "memalign", "mallopt", "mmap"}) {
    Finished f = run({heaptwin(), "exec", "--check", "--", program(), scenario}, plain());
    EXPECT_EQ(f.exit_code, 0) << scenario << "\n" << f.out << f.err;
    EXPECT_EQ(f.out.find("heaptwin exec --check"), std::string::npos) << f.out;
  }
  Finished every =
      run({heaptwin(), "exec", "--check-every", "50", "--", program(), "stress"}, plain());
  EXPECT_EQ(every.exit_code, 0) << every.out.substr(
                                       every.out.size() > 2000 ? every.out.size() - 2000 : 0)
                                << every.err;
}

// With threads the checker goes on over main_arena's heap, bins and the main thread's tcache:
// thread_log's scenarios (four threads in arenas of their own freeing one another's chunks,
// M_ARENA_MAX 2, threads exiting) pass, checked after every call, and a corruption of
// main_arena's heap after a thread has run is still reported at its call.
TEST(Exec, CheckGoesOnPastThreads) {
  const std::string threads = runfile("tests/preload/thread_log");
  for (const char* scenario : {"four", "arena_max", "exits"}) {
    Finished f = run({heaptwin(), "exec", "--check-every", "1", "--", threads, scenario}, plain());
    EXPECT_EQ(f.exit_code, 0) << scenario << "\n" << f.out << f.err;
    EXPECT_NE(f.out.find("t0 done"), std::string::npos) << scenario << "\n" << f.out;
    EXPECT_NE(f.err.find("goes on with main_arena's heap"), std::string::npos) << f.err;
    EXPECT_EQ(f.out.find("the heap breaks"), std::string::npos) << f.out;
  }
  Finished c = run({heaptwin(), "exec", "--check-every", "1", "--", threads, "corrupt"}, plain());
  EXPECT_EQ(c.exit_code, 1) << c.out << c.err;
  EXPECT_NE(c.out.find("bin.chunk_in_use"), std::string::npos) << c.out;
  EXPECT_EQ(c.out.find("not stopped"), std::string::npos) << c.out;
  Finished i = run({heaptwin(), "exec", "--check", "--", threads, "corrupt"}, plain());
  EXPECT_EQ(i.exit_code, 1) << i.out << i.err;
  EXPECT_NE(i.out.find("bin.chunk_in_use"), std::string::npos) << i.out;
}

TEST(Exec, AbortMessageIsGlibcs) {
  Finished f = run({heaptwin(), "exec", "--", program(), "double_free"}, plain());
  EXPECT_EQ(f.exit_code, 128 + 6);
  EXPECT_EQ(f.err, "free(): double free detected in tcache 2\n");
}

}  // namespace
}  // namespace heaptwin::preload_test
