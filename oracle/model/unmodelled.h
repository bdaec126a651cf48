// Thrown from anywhere in the model when the next step depends on something it does not model
// (a corrupted heap, an address only the kernel knows, a resource limit). The side catches it and
// reports kNoOpinion from that op on: the model never guesses.
#ifndef HEAPTWIN_ORACLE_MODEL_UNMODELLED_H_
#define HEAPTWIN_ORACLE_MODEL_UNMODELLED_H_

#include <string>

namespace heaptwin::model {

struct Unmodelled {
  std::string why;
};

}  // namespace heaptwin::model

#endif  // HEAPTWIN_ORACLE_MODEL_UNMODELLED_H_
