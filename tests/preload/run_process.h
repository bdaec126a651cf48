// Runs a command the way the preload tests need it: under `setarch -R` (no address
// randomisation), with extra environment entries, optionally with the drop-in library
// LD_PRELOADed, capturing stdout, stderr and how it ended.
#ifndef HEAPTWIN_TESTS_PRELOAD_RUN_PROCESS_H_
#define HEAPTWIN_TESTS_PRELOAD_RUN_PROCESS_H_

#include <string>
#include <vector>

namespace heaptwin::preload_test {

struct Finished {
  std::string out;
  std::string err;
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;      // the terminating signal, 0 when it exited
};

struct RunOptions {
  std::vector<std::string> env =
      {};                    // "NAME=value" added to (or replacing in) this process's environment
  std::string preload = "";  // LD_PRELOAD, empty for none
  bool no_aslr = true;       // run under setarch -R
  std::string stdin_text = "";
};

Finished run(const std::vector<std::string>& argv, const RunOptions& options);

// $TEST_SRCDIR/heaptwin/<path>, made absolute (LD_PRELOAD needs an absolute path).
std::string runfile(const std::string& path);

// Whether `setarch -R true` works here (some sandboxes forbid personality(ADDR_NO_RANDOMIZE)).
bool setarch_works();

// A path in the test's temporary folder (TEST_TMPDIR, else /tmp).
std::string temp_path(const std::string& name);
// A copy of the file at `source` named `name` in a folder of the test's temporary folder whose
// path is padded so that the copy's path is exactly `length` characters long: ld.so keeps a
// preload's path, so two preloads compare only at equal lengths. "" and *error when the
// temporary folder is too deep or the copy fails.
std::string copy_at_path_length(const std::string& source, const std::string& name, size_t length,
                                std::string* error);

// The whole file at `path` ("" when it cannot be read).
std::string slurp(const std::string& path);

}  // namespace heaptwin::preload_test

#endif  // HEAPTWIN_TESTS_PRELOAD_RUN_PROCESS_H_
