// When the next step depends on something the model does not model (a corrupted heap, an address
// only the kernel knows, a resource limit), the model stops predicting: the side reports
// kNoOpinion from that op on, with the reason. The model never guesses.
//
// The reasons are string literals. Reaching one is an ordinary answer, not an error: random
// Programs free dead pointers all the time, so it is a returned value (Policy::unmodelled(),
// the side's own checks), never an exception. `Unmodelled` is thrown only by the model's
// consistency checks ("model bug: ..."), which no input should reach.
#ifndef HEAPTWIN_ORACLE_MODEL_UNMODELLED_H_
#define HEAPTWIN_ORACLE_MODEL_UNMODELLED_H_

#include <string>

namespace heaptwin::model {

struct Unmodelled {
  std::string why;
};

}  // namespace heaptwin::model

#endif  // HEAPTWIN_ORACLE_MODEL_UNMODELLED_H_
