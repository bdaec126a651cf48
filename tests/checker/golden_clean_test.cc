// The heap checker on every golden scenario (tests/golden/*.heap), after every op, on real glibc
// and on the twin: a heap that real glibc builds breaks no rule (a rule real glibc breaks is a
// wrong rule). Scenarios that corrupt the heap with write8 are checked up to their first write8.
#include <dirent.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "oracle/heap_check.h"
#include "oracle/side.h"
#include "program/heap_format.h"
#include "tests/golden_dir.h"

namespace heaptwin {
namespace {

std::vector<std::string> golden_files() {
  std::vector<std::string> files;
  if (DIR* dir = opendir(golden_dir().c_str())) {
    while (dirent* e = readdir(dir)) {
      std::string name = e->d_name;
      if (name.size() > 5 && name.compare(name.size() - 5, 5, ".heap") == 0) {
        files.push_back(golden_dir() + "/" + name);
      }
    }
    closedir(dir);
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Checks every golden scenario on `side_name`; returns how many ops were checked.
size_t check_goldens(const std::string& side_name) {
  std::string error;
  auto side = make_side(side_name, &error);
  if (!side) {
    ADD_FAILURE() << error;
    return 0;
  }
  size_t checked = 0;
  for (const auto& file : golden_files()) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    auto program = parse_heap(text.str(), file, &error);
    if (!program) {
      ADD_FAILURE() << error;
      continue;
    }
    size_t first_write = program->ops.size();
    for (size_t i = 0; i < program->ops.size(); ++i) {
      if (program->ops[i].kind == OpKind::kWrite8) {
        first_write = i;
        break;
      }
    }
    RunOptions options;
    options.inspect = [&](size_t op, const MemoryReader& mem, const HeapLocation& loc,
                          const GlibcLayout& layout) {
      if (op >= first_write) return;
      ++checked;
      for (auto v : check_heap(mem, loc, layout)) {
        v.op_index = static_cast<int64_t>(op);
        ADD_FAILURE() << side_name << " " << file << ": " << to_string(v);
      }
    };
    Trace trace = side->run(*program, options);
    // The twin does not implement every op yet; what it ran was checked.
    if (side_name != "twin") {
      EXPECT_EQ(trace.error, "") << file;
    }
  }
  return checked;
}

TEST(CheckerGoldenTest, RealGlibcIsCleanOnEveryGoldenScenario) {
  ASSERT_GE(golden_files().size(), 40u) << "scenarios missing from " << golden_dir();
  EXPECT_GE(check_goldens("glibc"), 300u);
}

TEST(CheckerGoldenTest, TheTwinIsCleanOnEveryGoldenScenario) {
  auto names = side_names();
  if (std::find(names.begin(), names.end(), "twin") == names.end()) GTEST_SKIP() << "no twin side";
  EXPECT_GE(check_goldens("twin"), 100u);
}

}  // namespace
}  // namespace heaptwin
