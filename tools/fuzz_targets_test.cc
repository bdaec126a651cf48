// The manifest of fuzz targets (fuzz/targets.txt): the compiled-in list, and the parser's errors.
#include "tools/fuzz_targets.h"

#include <gtest/gtest.h>

namespace heaptwin::cli {
namespace {

TEST(FuzzTargets, TheManifestListsEveryTargetOnceWithOneMain) {
  const auto& targets = fuzz_targets();
  ASSERT_GE(targets.size(), 5u);
  EXPECT_EQ(main_fuzz_target().name, "twin_vs_glibc");
  for (const char* name : {"twin_vs_glibc", "twin_vs_model", "attack", "threads", "script_parser",
                           "encoding_roundtrip"}) {
    const FuzzTargetInfo* t = find_fuzz_target(name);
    ASSERT_NE(t, nullptr) << name;
    EXPECT_GT(t->ci_runs, 0u) << name;
    EXPECT_FALSE(t->summary.empty()) << name;
  }
  EXPECT_EQ(find_fuzz_target("attack")->role, "differential");
  EXPECT_EQ(find_fuzz_target("script_parser")->role, "format");
  EXPECT_EQ(find_fuzz_target("nope"), nullptr);
}

TEST(FuzzTargets, ParsesColumnsAndSkipsComments) {
  std::string error;
  auto t = parse_fuzz_targets("# comment\n\nfoo  main  12  does foo things\nbar format 0 bar\n",
                              "m.txt", &error);
  ASSERT_EQ(t.size(), 2u) << error;
  EXPECT_EQ(t[0].name, "foo");
  EXPECT_EQ(t[0].role, "main");
  EXPECT_EQ(t[0].ci_runs, 12u);
  EXPECT_EQ(t[0].summary, "does foo things");
  EXPECT_EQ(t[1].ci_runs, 0u);
}

TEST(FuzzTargets, ErrorsNameTheLineAndWhatWasExpected) {
  const struct {
    const char* manifest;
    const char* error;
  } kCases[] = {
      {"foo main 1 x\nbar fast 1 y\n",
       "m.txt:2: expected a role (main, differential, format) after 'bar'"},
      {"foo main many x\n",
       "m.txt:1: expected CI's execution count (a number) after the role of 'foo'"},
      {"foo main 1\n", "m.txt:1: expected a summary after the CI count of 'foo'"},
      {"foo main 1 x\nfoo format 1 y\n", "m.txt:2: target 'foo' is listed twice"},
      {"foo format 1 x\n", "m.txt:1: expected exactly one target whose role is main, found 0"},
      {"Foo main 1 x\n", "m.txt:1: expected a target name ([a-z0-9_]), found 'Foo'"},
  };
  for (const auto& c : kCases) {
    std::string error;
    EXPECT_TRUE(parse_fuzz_targets(c.manifest, "m.txt", &error).empty()) << c.manifest;
    EXPECT_EQ(error, c.error) << c.manifest;
  }
}

}  // namespace
}  // namespace heaptwin::cli
