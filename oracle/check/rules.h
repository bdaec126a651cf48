// Every rule the heap checker knows: a stable id and what it means, in the order the full check
// tries them. The full and the incremental check report the same ids with the same messages.
#ifndef HEAPTWIN_ORACLE_CHECK_RULES_H_
#define HEAPTWIN_ORACLE_CHECK_RULES_H_

#include <cstddef>

namespace heaptwin::check {

struct Rule {
  const char* id;
  const char* meaning;  // one line, for `heaptwin check --rules` and the docs
};

extern const Rule kRules[];
extern const size_t kRuleCount;

}  // namespace heaptwin::check

#endif  // HEAPTWIN_ORACLE_CHECK_RULES_H_
