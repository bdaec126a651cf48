// Tests write their Programs as .heap text. parse_script() parses it and fails the test, with the
// parser's "FILE:LINE: what was expected", when the text is wrong (an empty Program then).
#ifndef HEAPTWIN_PROGRAM_PARSE_FOR_TESTS_H_
#define HEAPTWIN_PROGRAM_PARSE_FOR_TESTS_H_

#include <gtest/gtest.h>

#include <string>

#include "program/heap_format.h"

namespace heaptwin {

inline Program parse_script(const std::string& text) {
  std::string error;
  auto p = parse_heap(text, "test.heap", &error);
  EXPECT_TRUE(p.has_value()) << error;
  return p ? *p : Program();
}

}  // namespace heaptwin

#endif  // HEAPTWIN_PROGRAM_PARSE_FOR_TESTS_H_
